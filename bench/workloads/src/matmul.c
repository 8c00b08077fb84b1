/* matmul: double-precision matrix multiply C = A * B (i-k-j order, so gcc -O2 uses fmadd and
 * streams rows), then a checksum over C. */
#include <stdio.h>
#include <string.h>
#include "common.h"

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 200);
    double *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *b);
    double *c = calloc(n * n, sizeof *c);
    for (long i = 0; i < n * n; i++) {
        a[i] = (double)(rng() % 2001) / 1000.0 - 1.0;
        b[i] = (double)(rng() % 2001) / 997.0 - 1.0;
    }
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    double tr = 0, sum = 0;
    uint64_t bits = 0;
    for (long i = 0; i < n; i++)
        tr += c[i * n + i];
    for (long i = 0; i < n * n; i++) {
        uint64_t u;
        sum += c[i];
        memcpy(&u, &c[i], sizeof u);
        bits = bits * 0x100000001b3ull ^ u;
    }
    printf("matmul: n=%ld trace=%.9f sum=%.9f bits=%016llx\n", n, tr, sum, (unsigned long long)bits);
    return 0;
}
