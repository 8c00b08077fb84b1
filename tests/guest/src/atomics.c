/* C11 atomics on 8-, 16-, 32- and 64-bit objects: fetch-and-op, exchange, compare-exchange that
 * succeeds and fails, and a lock built on them. Built twice (tests/guest/Makefile):
 * atomics_lse with -march=armv8.1-a, where gcc emits FEAT_LSE instructions inline (LDADD, LDCLR,
 * LDEOR, LDSET, SWP, CAS...), and atomics_outline with -march=armv8-a -moutline-atomics, where
 * libgcc's helpers pick LSE or LDXR/STXR at run time from AT_HWCAP. When AT_HWCAP advertises
 * LSE, the signed/unsigned min/max operations and CASP (which C11 has no operator for) run too,
 * from inline assembly. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP_ATOMICS_BIT (1UL << 8)

static uint64_t sum;

static void note(const char *what, uint64_t v)
{
    sum = sum * 31 + v;
    printf("%-28s %#llx\n", what, (unsigned long long)v);
}

#define EXERCISE(T, name, init)                                                        \
    static void exercise_##name(void)                                                  \
    {                                                                                  \
        static _Atomic T a = (T)(init);                                                \
        T expected;                                                                    \
        note(#name " fetch_add", (uint64_t)atomic_fetch_add(&a, (T)0x5A));             \
        note(#name " fetch_sub", (uint64_t)atomic_fetch_sub_explicit(&a, (T)7,         \
                                                                     memory_order_acquire)); \
        note(#name " fetch_and", (uint64_t)atomic_fetch_and_explicit(&a, (T)~(T)0x30,  \
                                                                     memory_order_release)); \
        note(#name " fetch_or", (uint64_t)atomic_fetch_or_explicit(&a, (T)0x81,        \
                                                                   memory_order_relaxed)); \
        note(#name " fetch_xor", (uint64_t)atomic_fetch_xor(&a, (T)0xFF));             \
        note(#name " exchange", (uint64_t)atomic_exchange(&a, (T)(init) ^ (T)0x1234));  \
        expected = (T)0;                                                               \
        note(#name " cas fail", atomic_compare_exchange_strong(&a, &expected, (T)1));   \
        note(#name " cas fail saw", (uint64_t)expected);                               \
        note(#name " cas ok", atomic_compare_exchange_strong(&a, &expected, (T)-3));    \
        note(#name " value", (uint64_t)atomic_load(&a));                               \
        atomic_fetch_add_explicit(&a, (T)1, memory_order_relaxed); /* result unused: STADD */ \
        note(#name " after stadd", (uint64_t)atomic_load_explicit(&a, memory_order_relaxed)); \
    }

EXERCISE(uint8_t, u8, 0xC3)
EXERCISE(uint16_t, u16, 0xBEEF)
EXERCISE(uint32_t, u32, 0x89ABCDEF)
EXERCISE(uint64_t, u64, 0xFEDCBA9876543210ULL)

/* a spin lock and a counter, the way a runtime uses them */
static atomic_flag lock = ATOMIC_FLAG_INIT;
static _Atomic long counter;

static void locked_counting(void)
{
    for (int i = 0; i < 1000; i++) {
        while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
            ;
        atomic_fetch_add_explicit(&counter, i, memory_order_relaxed);
        atomic_flag_clear_explicit(&lock, memory_order_release);
    }
    note("counter", (uint64_t)atomic_load(&counter));
}

/* LSE operations C11 cannot express: only when the CPU says it has them */
static void lse_asm(void)
{
    uint32_t w = 0x80000005, old;
    uint64_t x = 5, oldx;
    __asm__ volatile(".arch armv8.1-a\n\tldsmax %w2, %w0, [%1]" : "=r"(old) : "r"(&w), "r"(3) : "memory");
    note("ldsmax w", old); note("ldsmax w mem", w);
    __asm__ volatile(".arch armv8.1-a\n\tldsminal %w2, %w0, [%1]" : "=r"(old) : "r"(&w), "r"(-7) : "memory");
    note("ldsminal w", old); note("ldsminal w mem", w);
    __asm__ volatile(".arch armv8.1-a\n\tldumaxa %2, %0, [%1]" : "=r"(oldx) : "r"(&x), "r"(0xFFFFFFFFFFULL) : "memory");
    note("ldumaxa x", oldx); note("ldumaxa x mem", x);
    __asm__ volatile(".arch armv8.1-a\n\tlduminl %2, %0, [%1]" : "=r"(oldx) : "r"(&x), "r"(17ULL) : "memory");
    note("lduminl x", oldx); note("lduminl x mem", x);
    uint8_t b = 0xF0, oldb;
    __asm__ volatile(".arch armv8.1-a\n\tldsmaxb %w2, %w0, [%1]" : "=r"(oldb) : "r"(&b), "r"(0x10) : "memory");
    note("ldsmaxb", oldb); note("ldsmaxb mem", b);
    uint16_t h = 0x1234, oldh;
    __asm__ volatile(".arch armv8.1-a\n\tswpalh %w2, %w0, [%1]" : "=r"(oldh) : "r"(&h), "r"(0xABCD) : "memory");
    note("swpalh", oldh); note("swpalh mem", h);

    /* CASP on a 16-byte pair: succeeds, then fails and returns the current pair */
    static uint64_t pair[2] __attribute__((aligned(16))) = {0x1111, 0x2222};
    for (int round = 0; round < 2; round++) {
        register uint64_t e0 __asm__("x4") = 0x1111, e1 __asm__("x5") = 0x2222;
        register uint64_t n0 __asm__("x6") = 0x3333 + round, n1 __asm__("x7") = 0x4444;
        __asm__ volatile(".arch armv8.1-a\n\tcaspal x4, x5, x6, x7, [%4]"
                         : "+r"(e0), "+r"(e1) : "r"(n0), "r"(n1), "r"(pair) : "memory");
        /* copy out at once: x4-x7 do not survive the calls below */
        uint64_t old_lo = e0, old_hi = e1;
        note("caspal old lo", old_lo); note("caspal old hi", old_hi);
        note("caspal mem lo", pair[0]); note("caspal mem hi", pair[1]);
    }
    static uint32_t wpair[2] __attribute__((aligned(8))) = {7, 9};
    register uint32_t f0 __asm__("x8") = 7, f1 __asm__("x9") = 9;
    register uint32_t m0 __asm__("x10") = 70, m1 __asm__("x11") = 90;
    __asm__ volatile(".arch armv8.1-a\n\tcasp w8, w9, w10, w11, [%4]"
                     : "+r"(f0), "+r"(f1) : "r"(m0), "r"(m1), "r"(wpair) : "memory");
    uint64_t wold = (uint64_t)f1 << 32 | f0;
    note("casp w old", wold);
    note("casp w mem", (uint64_t)wpair[1] << 32 | wpair[0]);
}

int main(void)
{
    exercise_u8();
    exercise_u16();
    exercise_u32();
    exercise_u64();
    locked_counting();
    if (getauxval(AT_HWCAP) & HWCAP_ATOMICS_BIT)
        lse_asm();
    else
        printf("no LSE advertised\n");
    printf("checksum %#llx\n", (unsigned long long)sum);
    return 0;
}
