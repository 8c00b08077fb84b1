/* qsort: glibc qsort (merge sort with a callback) of 1M pseudo-random ints. */
#include <stdio.h>
#include "common.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 1000000);
    int *a = malloc(n * sizeof *a);
    for (long i = 0; i < n; i++)
        a[i] = (int)rng();
    qsort(a, n, sizeof *a, cmp_int);
    uint64_t ck = 0;
    int sorted = 1;
    for (long i = 0; i < n; i++) {
        if (i && a[i - 1] > a[i])
            sorted = 0;
        ck = ck * 1000003u + (uint32_t)a[i];
    }
    printf("qsort: n=%ld sorted=%d min=%d max=%d checksum=%016llx\n", n, sorted, a[0], a[n - 1],
           (unsigned long long)ck);
    free(a);
    return 0;
}
