/* Checks death by signal: prints a line, flushes, then abort() kills the process with SIGABRT (no core). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(void)
{
    /* No core file: keeps the wait status (no WCOREDUMP bit) and the cwd independent of core_pattern. */
    struct rlimit rl = { 0, 0 };
    setrlimit(RLIMIT_CORE, &rl);
    printf("about to abort\n");
    fflush(stdout);
    abort();
}
