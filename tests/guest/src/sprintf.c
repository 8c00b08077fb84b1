/* sprintf/snprintf formatting of integers of every width. */
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* the format edge cases below are intentional */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static unsigned long total_len;
static unsigned long ck = 5381;

static void out(const char *buf, int n)
{
    printf("[%s] n=%d\n", buf, n);
    total_len += (unsigned long)n;
    for (const char *p = buf; *p; p++)
        ck = ck * 33 + (unsigned char)*p;
}

#define F(...)                                        \
    do {                                              \
        char b_[256];                                 \
        int n_ = sprintf(b_, __VA_ARGS__);            \
        out(b_, n_);                                  \
    } while (0)

int main(void)
{
    volatile signed char sc = -128;
    volatile unsigned char uc = 255;
    volatile short ss = -32768;
    volatile unsigned short us = 65535;
    volatile int si = INT_MIN;
    volatile unsigned ui = UINT_MAX;
    volatile long sl = LONG_MIN;
    volatile unsigned long ul = ULONG_MAX;
    volatile long long sll = LLONG_MIN, sllmax = LLONG_MAX;
    volatile unsigned long long ull = ULLONG_MAX;

    F("%hhd %hhu %hhx %hho", sc, uc, uc, uc);
    F("%hd %hu %hx %ho", ss, us, us, us);
    F("%d %u %x %X %o", si, ui, ui, ui, ui);
    F("%ld %lu %lx %lo", sl, ul, ul, ul);
    F("%lld %lld %llu", sll, sllmax, ull);
    F("%llx %llX %llo", ull, (unsigned long long)sll, ull);
    F("%zu %zd %td", (size_t)123456789, (ssize_t)-42, (ptrdiff_t)-7);
    F("%jd %ju", (intmax_t)INTMAX_MIN, (uintmax_t)UINTMAX_MAX);
    F("%" PRId8 " %" PRIu16 " %" PRIx32 " %" PRIo64, (int8_t)-5, (uint16_t)500, (uint32_t)0xdeadbeef,
      (uint64_t)01234567);
    F("%d %i %d", 0, -0, -1);

    /* width, precision, flags */
    F("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d]", 42, 42, 42, 42, 42, -42);
    F("[%10ld] [%-10ld] [%010ld]", -123456L, -123456L, -123456L);
    F("[%.3d] [%.0d] [%5.3d] [%-8.4x] [%08.3d]", 7, 0, 7, 0xab, 5);
    F("[%#x] [%#X] [%#o] [%#x] [%#o] [%#10x] [%#-10x] [%#010x]", 255, 255, 8, 0, 0, 255, 255, 255);
    F("[%*d] [%-*d] [%.*d] [%*.*d]", 6, 12, 6, 12, 4, 12, 8, 5, -12);
    F("[%c%c%c] [%5c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
    F("[%s] [%10s] [%-10s] [%.3s] [%10.2s]", "str", "right", "left", "truncate", "ab-cd");
    F("[%%] [100%%]");
    F("[%lx] [%#lo]", 0x8000000000000000UL, 0x8000000000000000UL);

    /* a sweep over powers of ten and their negatives */
    long long p = 1;
    for (int i = 0; i < 19; i++, p *= 10)
        F("%lld %lld %llx %20lld|", p, -p, (unsigned long long)p, p - 1);
    /* hex/octal sweep of 32-bit values */
    for (unsigned v = 1; v != 0; v <<= 3)
        F("%08x %011o %u %d", v, v, v, (int)v);

    /* snprintf truncation semantics */
    char small[8];
    int n = snprintf(small, sizeof small, "%d-%d-%d", 12345, 67890, 13579);
    printf("snprintf trunc: \"%s\" ret=%d\n", small, n);
    n = snprintf(NULL, 0, "%lld", LLONG_MIN);
    printf("snprintf(NULL,0) ret=%d\n", n);
    n = snprintf(small, 1, "abc");
    printf("snprintf size 1: \"%s\" ret=%d\n", small, n);
    memset(small, 'Z', sizeof small);
    n = snprintf(small, sizeof small, "%s", "1234567");
    printf("snprintf exact: \"%s\" ret=%d last=%d\n", small, n, small[7]);

    /* %n */
    int cnt = 0;
    char nb[64];
    sprintf(nb, "hello%n world", &cnt);
    printf("%%n=%d \"%s\"\n", cnt, nb);

    /* sscanf round-trip */
    long long rt;
    unsigned long long rx;
    int got = sscanf("-9223372036854775808 ffffffffffffffff", "%lld %llx", &rt, &rx);
    printf("sscanf got=%d %lld %llx\n", got, rt, rx);

    printf("total_len=%lu checksum=%016lx\n", total_len, ck);
    return 0;
}
