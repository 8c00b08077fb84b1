/* qsort benchmark: 20000 LCG ints plus 2000 generated strings.
 * Also serves as the interpreter MIPS benchmark. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NINTS 20000
#define NSTRS 2000

static uint32_t seed = 2463534242u;
static uint32_t lcg(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ints[NINTS];
static char strbuf[NSTRS][16];
static char *strs[NSTRS];

int main(void)
{
    for (int i = 0; i < NINTS; i++)
        ints[i] = (int)lcg();
    qsort(ints, NINTS, sizeof ints[0], cmp_int);

    int sorted = 1;
    uint64_t ck = 0;
    for (int i = 0; i < NINTS; i++) {
        if (i && ints[i - 1] > ints[i])
            sorted = 0;
        ck = ck * 1000003u + (uint32_t)ints[i];
    }
    printf("ints: n=%d sorted=%d checksum=%016llx\n", NINTS, sorted, (unsigned long long)ck);
    printf("ints: min=%d max=%d median=%d [100]=%d\n", ints[0], ints[NINTS - 1],
           ints[NINTS / 2], ints[100]);

    for (int i = 0; i < NSTRS; i++) {
        int len = 3 + lcg() % 10;
        for (int j = 0; j < len; j++)
            strbuf[i][j] = "abcdefghijklmnopqrstuvwxyz"[(lcg() >> 16) % 6 + (j & 1) * 10];
        strbuf[i][len] = 0;
        strs[i] = strbuf[i];
    }
    qsort(strs, NSTRS, sizeof strs[0], cmp_str);
    sorted = 1;
    ck = 0;
    for (int i = 0; i < NSTRS; i++) {
        if (i && strcmp(strs[i - 1], strs[i]) > 0)
            sorted = 0;
        for (const char *p = strs[i]; *p; p++)
            ck = ck * 31 + (unsigned char)*p;
    }
    printf("strs: n=%d sorted=%d checksum=%016llx\n", NSTRS, sorted, (unsigned long long)ck);
    printf("strs: first=%s last=%s [1000]=%s\n", strs[0], strs[NSTRS - 1], strs[1000]);
    return sorted ? 0 : 1;
}
