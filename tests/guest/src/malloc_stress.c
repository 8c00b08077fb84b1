/* malloc/free/realloc stress: small blocks (brk heap) and large blocks
 * (> 128 KiB, mmap path). Each block carries a pattern derived from a tag;
 * patterns are verified before free/realloc. Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 128
#define ITERS 2000

static uint32_t rng = 12345;
static uint32_t lcg(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

struct slot {
    unsigned char *p;
    size_t size;
    unsigned tag;
};

static struct slot slots[NSLOTS];
static unsigned long errors, checksum;
static unsigned long n_small, n_large, n_realloc, n_free;

/* Pattern: whole block memset to the tag byte, then a few "probe" bytes
 * (start, middle, end and every 4 KiB) get position-dependent values. */
static unsigned char probe_val(unsigned tag, size_t i)
{
    return (unsigned char)(tag * 31u + (unsigned)(i * 7u) + (unsigned)(i >> 12));
}

static void fill(struct slot *s)
{
    unsigned char t = (unsigned char)s->tag;
    memset(s->p, t, s->size);
    for (size_t i = 0; i < s->size; i += 4096)
        s->p[i] = probe_val(s->tag, i);
    if (s->size) {
        s->p[s->size - 1] = probe_val(s->tag, s->size - 1);
        s->p[s->size / 2] = probe_val(s->tag, s->size / 2);
    }
}

static unsigned char expected(const struct slot *s, size_t i)
{
    if (i % 4096 == 0 || i == s->size - 1 || i == s->size / 2)
        return probe_val(s->tag, i);
    return (unsigned char)s->tag;
}

/* verify the first `limit` bytes (used after realloc shrink/grow) */
static void verify(const struct slot *s, size_t limit)
{
    if (limit > s->size)
        limit = s->size;
    if (limit == 0)
        return;
    /* probes */
    for (size_t i = 0; i < limit; i += 4096)
        errors += s->p[i] != expected(s, i);
    errors += s->p[limit - 1] != expected(s, limit - 1);
    if (s->size / 2 < limit)
        errors += s->p[s->size / 2] != expected(s, s->size / 2);
    /* a sampled scan of the body (every 251st byte) */
    unsigned char t = (unsigned char)s->tag;
    for (size_t i = 1; i < limit; i += 251)
        if (s->p[i] != t && s->p[i] != expected(s, i))
            errors++;
    for (size_t i = 0; i < limit; i += 1021)
        checksum = checksum * 131 + s->p[i];
}

static size_t pick_size(void)
{
    uint32_t r = lcg();
    if ((r & 15) == 0) {                 /* ~1/16: large, mmap path */
        n_large++;
        return 128 * 1024 + 1 + (lcg() % (384 * 1024));
    }
    n_small++;
    if ((r & 3) == 1)
        return lcg() % 16;               /* tiny, incl. 0 */
    if ((r & 3) == 2)
        return 16 + lcg() % 512;
    return 512 + lcg() % 8192;
}

int main(void)
{
    unsigned tag = 1;
    for (int it = 0; it < ITERS; it++) {
        struct slot *s = &slots[lcg() % NSLOTS];
        uint32_t op = lcg() % 8;
        if (s->p == NULL) {
            s->size = pick_size();
            s->p = malloc(s->size);
            if (!s->p) { printf("malloc(%zu) failed\n", s->size); return 1; }
            s->tag = tag++;
            fill(s);
        } else if (op < 3) {
            /* realloc: grow or shrink, contents must be preserved */
            size_t newsize = pick_size();
            verify(s, s->size);
            unsigned char *np = realloc(s->p, newsize);
            if (!np && newsize) { printf("realloc failed\n"); return 1; }
            struct slot old = *s;
            old.p = np;
            verify(&old, newsize < s->size ? newsize : s->size);
            s->p = np;
            s->size = newsize;
            s->tag = tag++;
            fill(s);
            n_realloc++;
        } else {
            verify(s, s->size);
            free(s->p);
            s->p = NULL;
            n_free++;
        }
    }
    /* calloc must return zeroed memory (both paths) */
    for (int i = 0; i < 8; i++) {
        size_t n = i < 4 ? 100 + i * 1000 : 300000 + i * 4096;
        unsigned char *z = calloc(n, 1);
        size_t nz = 0;
        for (size_t j = 0; j < n; j += 97)
            nz += z[j] != 0;
        nz += z[n - 1] != 0;
        if (nz) errors++;
        free(z);
    }
    for (int i = 0; i < NSLOTS; i++) {
        if (slots[i].p) {
            verify(&slots[i], slots[i].size);
            free(slots[i].p);
        }
    }
    /* pointer alignment must be 16 */
    unsigned long misaligned = 0;
    for (int i = 0; i < 64; i++) {
        void *p = malloc(1 + i * 3);
        misaligned += ((uintptr_t)p & 15) != 0;
        free(p);
    }
    printf("small=%lu large=%lu realloc=%lu free=%lu\n", n_small, n_large, n_realloc, n_free);
    printf("misaligned=%lu errors=%lu\n", misaligned, errors);
    printf("checksum=%016lx\n", checksum);
    return errors || misaligned ? 1 : 0;
}
