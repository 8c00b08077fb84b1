/* string.h functions over lengths 0..300 and alignments 0..15.
 * Prints one checksum per function plus an error count. Comparison results
 * are reduced to their sign (magnitude is implementation-defined). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAXLEN 300
#define NALIGN 16
/* every length 0..65, then every 5th up to 300 (5 is coprime with the
 * 16/32/64-byte block sizes, so all tail residues are still covered) */
#define FOR_LEN(len) for (int len = 0; len <= MAXLEN; len += (len < 65 ? 1 : 5))
#define BUFSZ (MAXLEN + 64)

static unsigned char src[BUFSZ] __attribute__((aligned(64)));
static unsigned char dst[BUFSZ] __attribute__((aligned(64)));
static unsigned char ref[BUFSZ] __attribute__((aligned(64)));
static unsigned char alpha[BUFSZ] __attribute__((aligned(64)));
static unsigned long errors;

static uint32_t seed = 1;
static uint32_t lcg(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 16;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static int sgn(long v) { return (v > 0) - (v < 0); }

/* Prevent the compiler from folding/inlining libc calls on known data. */
#define OPAQUE(p) __asm__ volatile("" : "+r"(p))

static void reset_src(void)
{
    for (int i = 0; i < BUFSZ; i++)
        src[i] = (unsigned char)(1 + lcg() % 255);   /* never 0 */
}

static void report(const char *name, uint64_t h)
{
    printf("%-8s %016llx\n", name, (unsigned long long)h);
}

int main(void)
{
    uint64_t h;
    reset_src();
    for (int i = 0; i < BUFSZ; i++)
        alpha[i] = "abcd"[lcg() & 3];

    /* strlen */
    h = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            unsigned char save = src[a + len];
            src[a + len] = 0;
            char *p = (char *)src + a;
            OPAQUE(p);
            size_t r = strlen(p);
            if (r != (size_t)len) errors++;
            h = mix(h, r);
            src[a + len] = save;
        }
    report("strlen", h);

    /* memcpy: src alignment a, dst alignment (a*7)&15 */
    h = 0;
    memset(dst, 0xEE, BUFSZ);
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            int da = (a * 7) & 15;
            unsigned char *d = dst + da, *s = src + a;
            OPAQUE(d);
            memcpy(d, s, len);
            if (memcmp(d, s, len) != 0) errors++;
            if (dst[da + len] != 0xEE) errors++;         /* no overrun */
            if (da && dst[da - 1] != 0xEE) errors++;      /* no underrun */
            h = mix(h, len ? d[0] ^ d[len - 1] << 8 : 0);
            memset(dst, 0xEE, da + len + 1);
        }
    report("memcpy", h);

    /* memmove, overlapping in both directions */
    h = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            int shift = 1 + (a * 5 + len) % 23;
            /* dst below src (forward copy) */
            memcpy(dst, src, BUFSZ);
            unsigned char *d = dst + a, *s = dst + a + shift;
            OPAQUE(d);
            memmove(d, s, len);
            if (memcmp(d, src + a + shift, len) != 0) errors++;
            h = mix(h, len ? d[len - 1] : 0);
            /* dst above src (backward copy) */
            if (a + shift + len <= BUFSZ) {
                memcpy(dst, src, BUFSZ);
                d = dst + a + shift;
                s = dst + a;
                OPAQUE(d);
                memmove(d, s, len);
                if (memcmp(d, src + a, len) != 0) errors++;
                h = mix(h, len ? d[0] : 0);
            }
        }
    report("memmove", h);

    /* memset */
    h = 0;
    memset(dst, 0, BUFSZ);
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            int c = (len + a) & 0xff;           /* includes 0 (dc zva path) */
            unsigned char *d = dst + a;
            OPAQUE(d);
            memset(ref, c, len);
            dst[a + len] = 0x5A;
            memset(d, c, len);
            if (memcmp(d, ref, len) != 0) errors++;
            if (dst[a + len] != 0x5A) errors++;
            h = mix(h, len ? d[len - 1] + c : c);
        }
    report("memset", h);

    /* big memset / memcpy (exercises the large-size loops) */
    {
        static unsigned char big[70000], big2[70000];
        unsigned char *bp = big;
        OPAQUE(bp);
        memset(bp, 0, sizeof big);
        memset(bp + 3, 0x77, 65000);
        memcpy(big2 + 1, bp, 69000);
        uint64_t s = 0;
        for (int i = 0; i < 70000; i += 13)
            s += big2[i];
        if (big2[1] != 0 || big2[4] != 0x77 || big2[65003] != 0x77 || big2[65004] != 0) errors++;
        printf("%-8s %016llx\n", "bigmem", (unsigned long long)s);
    }

    /* memchr: target planted at position len (searching len+1 bytes) and
     * absent (searching len bytes) */
    h = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            memcpy(dst, src, BUFSZ);
            unsigned char *d = dst + a;
            OPAQUE(d);
            int c = 0;                               /* never present in src */
            dst[a + len] = 0;
            unsigned char *r = memchr(d, c, len + 1);
            if (r != d + len) errors++;
            h = mix(h, (uint64_t)(r - d));
            r = memchr(d, c, len);
            if (r != NULL) errors++;
            /* search for a byte that does occur */
            if (len) {
                int c2 = d[len / 2];
                r = memchr(d, c2, len);
                if (!r || *r != c2 || r > d + len / 2) errors++;
                h = mix(h, (uint64_t)(r - d));
            }
        }
    report("memchr", h);

    /* strchr / strrchr */
    h = 0;
    uint64_t h2 = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            memcpy(dst, alpha, BUFSZ);
            dst[a + len] = 0;
            char *d = (char *)dst + a;
            OPAQUE(d);
            char *r = strchr(d, 'c');
            h = mix(h, r ? (uint64_t)(r - d) : 999);
            r = strchr(d, 'z');                     /* absent */
            if (r) errors++;
            r = strchr(d, 0);                       /* terminator */
            if (r != d + len) errors++;
            r = strrchr(d, 'b');
            h2 = mix(h2, r ? (uint64_t)(r - d) : 999);
            r = strrchr(d, 0);
            if (r != d + len) errors++;
            if (strrchr(d, 'z')) errors++;
        }
    report("strchr", h);
    report("strrchr", h2);

    /* strstr over a 4-letter alphabet haystack */
    h = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            memcpy(dst, alpha, BUFSZ);
            dst[a + len] = 0;
            char *d = (char *)dst + a;
            OPAQUE(d);
            char needle[8];
            int nl = 1 + (len + a) % 6;
            for (int i = 0; i < nl; i++)
                needle[i] = "abcd"[(len * 3 + a + i * i) & 3];
            needle[nl] = 0;
            char *r = strstr(d, needle);
            h = mix(h, r ? (uint64_t)(r - d) : 999);
            if (r && strncmp(r, needle, nl) != 0) errors++;
            /* needle copied from the end of the haystack: always found */
            if (len >= 4) {
                char n2[5];
                memcpy(n2, d + len - 4, 4);
                n2[4] = 0;
                r = strstr(d, n2);
                if (!r || r > d + len - 4) errors++;
                h = mix(h, r ? (uint64_t)(r - d) : 999);
            }
        }
    report("strstr", h);

    /* strcpy */
    h = 0;
    memset(dst, 0xEE, BUFSZ);
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            int da = (a * 3 + 5) & 15;
            unsigned char save = src[a + len];
            src[a + len] = 0;
            char *d = (char *)dst + da;
            OPAQUE(d);
            char *r = strcpy(d, (char *)src + a);
            if (r != d) errors++;
            if (memcmp(d, src + a, len + 1) != 0) errors++;
            if (dst[da + len + 1] != 0xEE) errors++;
            h = mix(h, (unsigned char)d[len / 2] + len);
            src[a + len] = save;
            memset(dst, 0xEE, da + len + 2);
        }
    report("strcpy", h);

    /* strcmp / strncmp / memcmp: strings equal up to position len, then
     * differ (or are equal) depending on the case */
    uint64_t hs = 0, hn = 0, hm = 0;
    FOR_LEN(len)
        for (int a = 0; a < NALIGN; a++) {
            int b = (a * 11 + 3) & 15;
            unsigned char *x = ref + a, *y = dst + b;
            memcpy(x, src, len);
            memcpy(y, src, len);
            int kase = (len + a) % 4;
            if (kase == 0) {            /* equal */
                x[len] = y[len] = 0;
            } else if (kase == 1) {     /* x greater at len */
                x[len] = 0xF0; y[len] = 0x10; x[len + 1] = y[len + 1] = 0;
            } else if (kase == 2) {     /* y longer */
                x[len] = 0; y[len] = 0x41; y[len + 1] = 0;
            } else {                    /* differ only in high bit */
                x[len] = 0x01; y[len] = 0x81; x[len + 1] = y[len + 1] = 0;
            }
            OPAQUE(x);
            OPAQUE(y);
            int rs = sgn(strcmp((char *)x, (char *)y));
            int expect = kase == 0 ? 0 : kase == 1 ? 1 : -1;
            if (rs != expect) errors++;
            hs = mix(hs, rs + 1);
            int rn1 = sgn(strncmp((char *)x, (char *)y, len));      /* equal prefix */
            int rn2 = sgn(strncmp((char *)x, (char *)y, len + 1));
            if (rn1 != 0 || rn2 != expect) errors++;
            hn = mix(hn, rn1 + 1 + 3 * (rn2 + 1));
            int rm1 = sgn(memcmp(x, y, len));
            int rm2 = sgn(memcmp(x, y, len + 1));
            if (rm1 != 0 || rm2 != expect) errors++;
            hm = mix(hm, 100 + rm1 + 1 + 3 * (rm2 + 1));
        }
    report("strcmp", hs);
    report("strncmp", hn);
    report("memcmp", hm);

    printf("errors=%lu\n", errors);
    return errors ? 1 : 0;
}
