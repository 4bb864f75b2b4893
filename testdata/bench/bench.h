/* Shared helpers for the self-timing loop benchmarks (see scripts/bench.sh).
 *
 * Each program defines its loop and hands it to run_bench from main: run_bench takes
 * the iteration count as argv[1], runs a short untimed warm-up (a tenth of the count,
 * so qemu has translated the loop and caches are warm), then times the loop with
 * clock_gettime(CLOCK_MONOTONIC) and prints one line on stdout: the nanoseconds per
 * iteration, e.g. "203.417". Exit status 2 on a usage error. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
static inline long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* iterations_arg: parses argv[1] as a positive iteration count or exits with status 2. */
static inline long iterations_arg(int argc, char **argv)
{
    char *end;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != '\0' || n <= 0) {
        fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
        exit(2);
    }
    return n;
}

/* report: prints the cost per iteration of a loop that ran n times in elapsed_ns. */
static inline int report(long long elapsed_ns, long n)
{
    printf("%.3f\n", (double)elapsed_ns / (double)n);
    return 0;
}

/* run_bench: the whole program: loop(n / 10) as the warm-up, then loop(n) timed and reported. */
static inline int run_bench(int argc, char **argv, void (*loop)(long n))
{
    long n = iterations_arg(argc, argv);
    loop(n / 10);
    long long t0 = now_ns();
    loop(n);
    long long t1 = now_ns();
    return report(t1 - t0, n);
}

#endif
