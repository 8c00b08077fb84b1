/* Shared helpers for the bench workloads: a size argument and a deterministic PRNG. */
#include <stdint.h>
#include <stdlib.h>

/* argv[1], when given, overrides the default problem size (for counting on smaller runs). */
static long size_arg(int argc, char **argv, long dflt)
{
    return argc > 1 ? strtol(argv[1], 0, 0) : dflt;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rng(void)
{
    uint64_t x = rng_state;     /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
