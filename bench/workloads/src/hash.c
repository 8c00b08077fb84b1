/* hash: integer hash loop (multiply, xor, shift, rotate) over a counter; pure ALU, no memory. */
#include <stdio.h>
#include "common.h"

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 24000000);
    uint64_t acc = 0, x = 1;
    for (long i = 0; i < n; i++) {
        x = mix(x + (uint64_t)i);
        acc += x;
        acc = (acc << 7) | (acc >> 57);
    }
    printf("hash: n=%ld checksum=%016llx\n", n, (unsigned long long)acc);
    return 0;
}
