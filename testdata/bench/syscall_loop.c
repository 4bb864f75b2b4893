/* System-call benchmark: getppid through the glibc wrapper, argv[1] times.
 * glibc (2.36 here) caches nothing for getppid: the static i386 wrapper is
 * `mov $0x40,%eax; call *%gs:0x10`, i.e. __kernel_vsyscall when AT_SYSINFO is
 * present, else int $0x80 (scripts/bench.sh checks the disassembly). */
#include <unistd.h>
#include "bench.h"

static volatile pid_t sink;

static void loop(long n)
{
    for (long i = 0; i < n; i++)
        sink = getppid();
}

int main(int argc, char **argv)
{
    return run_bench(argc, argv, loop);
}
