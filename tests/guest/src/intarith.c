/* Integer arithmetic corner cases; all results printed in hex.
 * Operands go through volatile variables so the compiler emits the real
 * instructions (mul/umulh/smulh/sdiv/udiv/lsl/ror/clz/rbit/rev...). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t vu64[] = {
    0, 1, 2, 3, 7, 0xff, 0x7fffffffull, 0x80000000ull, 0xffffffffull,
    0x100000000ull, 0x123456789abcdef0ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xfedcba9876543210ull, 0xffffffffffffffffull,
    0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
};
#define NV (sizeof vu64 / sizeof vu64[0])

static volatile int vshift[] = {0, 1, 7, 31, 32, 33, 63, 64, 65, 127};
#define NS (sizeof vshift / sizeof vshift[0])

static uint64_t H = 0xcbf29ce484222325ull;
static void acc(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        H ^= (v >> (i * 8)) & 0xff;
        H *= 0x100000001b3ull;
    }
}

static uint64_t bitrev64_manual(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (x & 1);
        x >>= 1;
    }
    return r;
}

static uint64_t bitrev64(uint64_t x)
{
#if defined(__has_builtin)
#if __has_builtin(__builtin_bitreverse64)
    return __builtin_bitreverse64(x);
#endif
#endif
    uint64_t r;
    __asm__("rbit %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static uint32_t bitrev32(uint32_t x)
{
    uint32_t r;
    __asm__("rbit %w0, %w1" : "=r"(r) : "r"(x));
    return r;
}

static uint64_t rotr64(uint64_t x, unsigned n) { n &= 63; return (x >> n) | (x << ((64 - n) & 63)); }
static uint32_t rotr32(uint32_t x, unsigned n) { n &= 31; return (x >> n) | (x << ((32 - n) & 31)); }
static uint64_t rotl64(uint64_t x, unsigned n) { n &= 63; return (x << n) | (x >> ((64 - n) & 63)); }

int main(void)
{
    /* multiply high (umulh / smulh), 32x32->64 (umull / smull), mul/madd/msub */
    printf("== multiply\n");
    for (unsigned i = 0; i < NV; i += 2)
        for (unsigned j = 1; j < NV; j += 3) {
            uint64_t a = vu64[i], b = vu64[j];
            unsigned __int128 up = (unsigned __int128)a * b;
            __int128 sp = (__int128)(int64_t)a * (int64_t)b;
            uint64_t m32u = (uint64_t)(uint32_t)a * (uint32_t)b;
            int64_t m32s = (int64_t)(int32_t)a * (int32_t)b;
            uint32_t w = (uint32_t)a * (uint32_t)b;
            printf("%016llx * %016llx: lo=%016llx uhi=%016llx shi=%016llx u32=%016llx s32=%016llx w=%08x\n",
                   (unsigned long long)a, (unsigned long long)b, (unsigned long long)(uint64_t)up,
                   (unsigned long long)(uint64_t)(up >> 64), (unsigned long long)(uint64_t)((unsigned __int128)sp >> 64),
                   (unsigned long long)m32u, (unsigned long long)m32s, w);
        }
    uint64_t macc = 0;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            macc += vu64[i] * vu64[j];                 /* madd */
            macc -= (vu64[i] ^ 0x33) * (vu64[j] + 1);  /* msub */
            macc ^= (uint64_t)((int64_t)(int32_t)vu64[i] * (int32_t)vu64[j]) >> 3; /* smull */
            acc(macc);
        }
    printf("mul-acc=%016llx\n", (unsigned long long)macc);

    /* 128-bit arithmetic: adds/adcs/subs/sbcs */
    unsigned __int128 big = 0;
    for (unsigned i = 0; i < NV; i++) {
        big += (unsigned __int128)vu64[i] << (i & 63);
        big -= vu64[(i + 3) % NV];
    }
    printf("u128=%016llx%016llx\n", (unsigned long long)(uint64_t)(big >> 64), (unsigned long long)(uint64_t)big);

    /* division incl. by zero (AArch64: result 0) and INT_MIN / -1 */
    printf("== divide\n");
    volatile int64_t s64[] = {0, 1, -1, 7, -7, 100, -100, INT64_MAX, INT64_MIN, 3};
    volatile int32_t s32[] = {0, 1, -1, 7, -7, 100, -100, INT32_MAX, INT32_MIN, 3};
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            int64_t a = s64[i], b = s64[j];
            int64_t q, r;
            uint64_t uq, ur;
            /* inline asm so that div-by-zero / overflow are the hardware
             * semantics rather than C undefined behaviour */
            __asm__ volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(a), "r"(b));
            __asm__ volatile("msub %0, %1, %2, %3" : "=r"(r) : "r"(q), "r"(b), "r"(a));
            __asm__ volatile("udiv %0, %1, %2" : "=r"(uq) : "r"(a), "r"(b));
            __asm__ volatile("msub %0, %1, %2, %3" : "=r"(ur) : "r"(uq), "r"(b), "r"(a));
            int32_t a32 = s32[i], b32 = s32[j], q32;
            uint32_t uq32;
            __asm__ volatile("sdiv %w0, %w1, %w2" : "=r"(q32) : "r"(a32), "r"(b32));
            __asm__ volatile("udiv %w0, %w1, %w2" : "=r"(uq32) : "r"(a32), "r"(b32));
            printf("%llx/%llx: sq=%016llx sr=%016llx uq=%016llx ur=%016llx | sq32=%08x uq32=%08x\n",
                   (unsigned long long)a, (unsigned long long)b, (unsigned long long)q,
                   (unsigned long long)r, (unsigned long long)uq, (unsigned long long)ur,
                   (uint32_t)q32, uq32);
        }
    /* compiler-generated division by non-zero values (C semantics) */
    {
        volatile int64_t n = -1000000007, d = 13;
        volatile uint32_t un = 4000000000u, ud = 7;
        printf("c-div: %lld %lld %u %u %lld\n", (long long)(n / d), (long long)(n % d), un / ud,
               un % ud, (long long)(n / 10));
    }

    /* overflow wrap-around */
    printf("== wrap\n");
    volatile uint32_t u32max = UINT32_MAX;
    volatile int32_t i32max = INT32_MAX;
    volatile uint64_t u64max = UINT64_MAX;
    printf("u32max+1=%08x i32max+1=%08x u64max+1=%016llx 0-1=%016llx\n", (uint32_t)(u32max + 1),
           (uint32_t)((uint32_t)i32max + 1u), (unsigned long long)(u64max + 1),
           (unsigned long long)(u64max - u64max - 1));
    printf("neg INT64_MIN=%016llx abs-ish=%016llx\n", (unsigned long long)(0 - (uint64_t)s64[8]),
           (unsigned long long)((uint64_t)s64[8] * (uint64_t)-1));

    /* shifts: C shifts (masked amounts) and hardware variable shifts */
    printf("== shifts\n");
    for (unsigned i = 0; i < NV; i += 3)
        for (unsigned k = 0; k < NS; k++) {
            uint64_t x = vu64[i];
            int n = vshift[k];
            uint64_t l, r, ar, l32, r32, ar32, ro, ro32;
            /* lslv/lsrv/asrv/rorv take the amount modulo the register size */
            __asm__ volatile("lsl %0, %1, %2" : "=r"(l) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("lsr %0, %1, %2" : "=r"(r) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("asr %0, %1, %2" : "=r"(ar) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("ror %0, %1, %2" : "=r"(ro) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("lsl %w0, %w1, %w2" : "=r"(l32) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("lsr %w0, %w1, %w2" : "=r"(r32) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("asr %w0, %w1, %w2" : "=r"(ar32) : "r"(x), "r"((uint64_t)n));
            __asm__ volatile("ror %w0, %w1, %w2" : "=r"(ro32) : "r"(x), "r"((uint64_t)n));
            printf("%016llx,%3d: lsl=%016llx lsr=%016llx asr=%016llx ror=%016llx w: %08x %08x %08x %08x\n",
                   (unsigned long long)x, n, (unsigned long long)l, (unsigned long long)r,
                   (unsigned long long)ar, (unsigned long long)ro, (uint32_t)l32, (uint32_t)r32,
                   (uint32_t)ar32, (uint32_t)ro32);
        }
    /* C-level rotates (compiler emits ror / extr) */
    uint64_t rh = 0;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned n = 0; n < 64; n += 5) {
            rh ^= rotr64(vu64[i], n) + rotl64(vu64[i], n + 1);
            rh += rotr32((uint32_t)vu64[i], n);
            rh = rotl64(rh, 7);
        }
    printf("rot-hash=%016llx\n", (unsigned long long)rh);
    /* immediate-shift forms: ubfx/sbfx/ubfiz/bfi/extr */
    uint64_t bf = 0;
    for (unsigned i = 0; i < NV; i++) {
        uint64_t x = vu64[i];
        bf += (x >> 13) & 0x3ff;                               /* ubfx */
        bf += (uint64_t)(((int64_t)(x << 20)) >> 40);          /* sbfx */
        bf += (x & 0xfff) << 17;                               /* ubfiz */
        bf = (bf & ~(0xffull << 24)) | ((x & 0xff) << 24);     /* bfi */
        bf ^= (x << 23) | (vu64[(i + 1) % NV] >> 41);          /* extr */
        bf ^= (uint64_t)(int64_t)(int8_t)x + (uint64_t)(int64_t)(int16_t)x + (uint64_t)(int64_t)(int32_t)x;
    }
    printf("bitfield-hash=%016llx\n", (unsigned long long)bf);

    /* clz / ctz / popcount / bit reverse / byte swap */
    printf("== bits\n");
    for (unsigned i = 0; i < NV; i++) {
        uint64_t x = vu64[i];
        uint32_t x32 = (uint32_t)x;
        int clz64 = x ? __builtin_clzll(x) : 64;
        int ctz64 = x ? __builtin_ctzll(x) : 64;
        int clz32 = x32 ? __builtin_clz(x32) : 32;
        int ctz32 = x32 ? __builtin_ctz(x32) : 32;
        int clrsb = __builtin_clrsbll((long long)x);
        printf("%016llx: clz=%d ctz=%d clz32=%d ctz32=%d cls=%d pop=%d pop32=%d par=%d "
               "rbit=%016llx rbit32=%08x rev=%016llx rev32=%08x rev16=%04x\n",
               (unsigned long long)x, clz64, ctz64, clz32, ctz32, clrsb, __builtin_popcountll(x),
               __builtin_popcount(x32), __builtin_parityll(x), (unsigned long long)bitrev64(x),
               bitrev32(x32), (unsigned long long)__builtin_bswap64(x), __builtin_bswap32(x32),
               __builtin_bswap16((uint16_t)x));
        if (bitrev64(x) != bitrev64_manual(x))
            printf("  rbit mismatch!\n");
        acc(x);
    }
    /* conditional ops: csel/csinc/csinv/csneg/ccmp */
    int64_t cs = 0;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            int64_t a = (int64_t)vu64[i], b = (int64_t)vu64[j];
            cs += a < b ? 1 : -1;
            cs += (vu64[i] < vu64[j]) ? 3 : 0;
            cs ^= (a == b && (a & 4)) ? ~cs : -cs;
            cs += (a > 0 && b < 0) || vu64[i] >= vu64[j];
        }
    printf("cond-hash=%016llx\n", (unsigned long long)cs);
    acc((uint64_t)cs);
    acc(rh);
    acc(bf);
    printf("final=%016llx\n", (unsigned long long)H);
    return (int)(H & 0x7f);
}
