/* Clock benchmark: clock_gettime(CLOCK_MONOTONIC) argv[1] times. With the 32-bit
 * vDSO this never enters the kernel; without it every call is a system call. */
#include "bench.h"

static volatile long long sink;

static void loop(long n)
{
    struct timespec ts;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink = ts.tv_nsec;
    }
}

int main(int argc, char **argv)
{
    return run_bench(argc, argv, loop);
}
