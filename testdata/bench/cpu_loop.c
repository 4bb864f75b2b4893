/* CPU benchmark: an integer hash chain argv[1] steps long (multiply, xor-shift,
 * rotate). Each step depends on the previous one, so it cannot be vectorised or
 * folded away; the result goes to a volatile sink. No system calls in the loop. */
#include <stdint.h>
#include "bench.h"

static volatile uint32_t sink;
static uint32_t seed; /* argc, set in main: not a constant the compiler could fold the chain with */

static void loop(long n)
{
    uint32_t h = seed;
    for (long i = 0; i < n; i++) {
        h ^= (uint32_t)i;
        h *= 0x9e3779b1u;
        h ^= h >> 15;
        h = (h << 13) | (h >> 19);
        h += 0x7f4a7c15u;
    }
    sink = h;
}

int main(int argc, char **argv)
{
    seed = (uint32_t)argc;
    return run_bench(argc, argv, loop);
}
