/* ptrchase: walk a singly linked list whose nodes are laid out in random order (cache and TLB
 * misses on the host too: 1M nodes of 32 bytes = 32 MiB). */
#include <stdio.h>
#include "common.h"

struct node {
    struct node *next;
    uint64_t val;
    uint64_t pad[2];
};

int main(int argc, char **argv)
{
    long n = size_arg(argc, argv, 1000000);
    int laps = 3;
    struct node *nodes = malloc(n * sizeof *nodes);
    uint32_t *perm = malloc(n * sizeof *perm);
    for (long i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (long i = n - 1; i > 0; i--) {      /* Fisher-Yates */
        long j = (long)(rng() % (uint64_t)(i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (long i = 0; i < n; i++) {
        nodes[perm[i]].next = &nodes[perm[(i + 1) % n]];
        nodes[perm[i]].val = (uint64_t)i * 2654435761u;
    }
    uint64_t sum = 0;
    struct node *p = &nodes[perm[0]];
    for (int lap = 0; lap < laps; lap++)
        for (long i = 0; i < n; i++) {
            sum = (sum ^ p->val) * 0x100000001b3ull;
            p = p->next;
        }
    printf("ptrchase: n=%ld laps=%d checksum=%016llx\n", n, laps, (unsigned long long)sum);
    free(perm);
    free(nodes);
    return 0;
}
