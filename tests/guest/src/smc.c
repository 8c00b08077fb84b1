/* Self-modifying and run-time generated code: the emulator must notice every change to code it
 * has already translated (stores to the code page, mprotect, munmap/mmap, mremap, stores that
 * cross a page boundary, memcpy, read(2)) and run the new instructions.
 *
 * Every case writes AArch64 instruction words into mmap'ed memory, synchronises the caches as
 * a real JIT does (__builtin___clear_cache: DC CVAU / IC IVAU / ISB), and calls the code
 * through a function pointer many times, so that an emulator with tiers sees hot, compiled
 * code being replaced. Results are printed and checked against the expected values; the exit
 * status is the number of failed checks (0 when all pass).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define CALLS 1000
#define XCALLS 250     /* cross_page: three functions per round */

#define RET 0xd65f03c0u
#define NOP 0xd503201fu

typedef int (*fn0)(void);
typedef int (*fn2)(int, int);
typedef int (*fnp)(uint32_t *, uint32_t);

static int checks, failures;

static uint32_t mov_w0(unsigned imm) { return 0x52800000u | (imm & 0xffffu) << 5; }   /* mov w0, #imm */
static uint32_t add_w0(unsigned imm) { return 0x11000000u | (imm & 0xfffu) << 10; }   /* add w0, w0, #imm */

static void sync_code(void *p, size_t n)
{
    __builtin___clear_cache((char *)p, (char *)p + n);
}

static void check(const char *what, long got, long want)
{
    checks++;
    if (got != want) {
        failures++;
        printf("FAIL %s: got %ld, want %ld\n", what, got, want);
    }
}

static void *map_pages(size_t n, int prot)
{
    void *p = mmap(NULL, n * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        _exit(100);
    }
    return p;
}

static long call_many(fn0 f, int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++)
        sum += f();
    return sum;
}

/* 1. An RWX page patched in place between (and in the middle of) hot call loops. */
static void rwx_patch(void)
{
    uint32_t *code = map_pages(1, PROT_READ | PROT_WRITE | PROT_EXEC);
    fn0 f = (fn0)(void *)code;
    code[1] = RET;
    for (int round = 1; round <= 6; round++) {
        code[0] = mov_w0(round);
        sync_code(code, 8);
        long sum = call_many(f, CALLS);
        printf("rwx round %d: f() = %d, sum = %ld\n", round, f(), sum);
        check("rwx sum", sum, (long)round * CALLS);
    }
    /* patch while the call loop is running */
    long sum = 0;
    for (int i = 0; i < 4 * CALLS; i++) {
        if (i % CALLS == 0) {
            code[0] = mov_w0(100 + i / CALLS);
            sync_code(code, 4);
        }
        sum += f();
    }
    printf("rwx patched mid-loop: sum = %ld\n", sum);
    check("rwx mid-loop", sum, (long)CALLS * (100 + 101 + 102 + 103));
    munmap(code, PAGE);
}

/* 2. A function whose body is a tight loop (one self-looping block), patched between calls. */
static void loop_patch(void)
{
    uint32_t *code = map_pages(1, PROT_READ | PROT_WRITE | PROT_EXEC);
    fn2 f = (fn2)(void *)code;     /* f(0, n) returns n * k: the loop counter is w1 */
    code[0] = mov_w0(0);
    code[2] = 0x71000421u;      /* subs w1, w1, #1 */
    code[3] = 0x54ffffc1u;      /* b.ne code+1 */
    code[4] = RET;
    for (int k = 1; k <= 5; k++) {
        code[1] = add_w0(k);    /* add w0, w0, #k */
        sync_code(code, 20);
        long sum = 0;
        for (int i = 0; i < 50; i++)
            sum += f(0, 20 + i);
        printf("loop k=%d: sum = %ld\n", k, sum);
        check("loop sum", sum, (long)k * (50 * 20 + 49 * 50 / 2));
    }
    munmap(code, PAGE);
}

/* 3. Code that stores to its own next instructions (then synchronises, as the architecture
 * requires before executing them). */
static void self_patch(void)
{
    static const uint32_t body[] = {
        0xb9000001u,            /* str  w1, [x0]  (x0 = &body[6]) */
        0xd50b7b20u,            /* dc   cvau, x0 */
        0xd5033b9fu,            /* dsb  ish */
        0xd50b7520u,            /* ic   ivau, x0 */
        0xd5033b9fu,            /* dsb  ish */
        0xd5033fdfu,            /* isb */
        0x528000e0u,            /* mov  w0, #7   <- replaced by the str above */
        RET,
    };
    uint32_t *code = map_pages(1, PROT_READ | PROT_WRITE | PROT_EXEC);
    memcpy(code, body, sizeof body);
    sync_code(code, sizeof body);
    fnp f = (fnp)(void *)code;
    long sum = 0;
    for (int i = 0; i < 24; i++) {
        int want = 200 + i % 4;
        int got = f(&code[6], mov_w0(want));
        sum += got;
        check("self-patch", got, want);
    }
    printf("self-patch: sum = %ld, last word %08x\n", sum, code[6]);
    munmap(code, PAGE);
}

/* 4. W^X: write on a RW page, mprotect to RX, run, back to RW, patch, RX again, run. */
static void mprotect_cycle(void)
{
    uint32_t *code = map_pages(1, PROT_READ | PROT_WRITE);
    fn0 f = (fn0)(void *)code;
    for (int round = 0; round < 4; round++) {
        code[0] = mov_w0(10 + round);
        code[1] = add_w0(round);
        code[2] = RET;
        if (mprotect(code, PAGE, PROT_READ | PROT_EXEC)) {
            perror("mprotect");
            _exit(101);
        }
        sync_code(code, 12);
        long sum = call_many(f, CALLS);
        printf("mprotect round %d: f() = %d, sum = %ld\n", round, f(), sum);
        check("mprotect sum", sum, (long)(10 + 2 * round) * CALLS);
        if (mprotect(code, PAGE, PROT_READ | PROT_WRITE)) {
            perror("mprotect");
            _exit(101);
        }
    }
    munmap(code, PAGE);
}

/* 5. munmap + mmap at the same address, MAP_FIXED over live code, mremap over live code. */
static void remap(void)
{
    const int rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
    uint32_t *code = map_pages(1, rwx);
    fn0 f = (fn0)(void *)code;
    for (int round = 0; round < 3; round++) {
        code[0] = mov_w0(20 + round);
        code[1] = RET;
        sync_code(code, 8);
        long sum = call_many(f, CALLS);
        check("remap sum", sum, (long)(20 + round) * CALLS);
        printf("remap round %d: f() = %d\n", round, f());
        munmap(code, PAGE);
        void *p = mmap(code, PAGE, rwx, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        check("remap same address", p == (void *)code, 1);
        /* fresh anonymous memory is zero: nothing of the old code survives */
        check("remap zeroed", code[0], 0);
    }
    /* MAP_FIXED straight over a mapping whose code has run */
    code[0] = mov_w0(30);
    code[1] = RET;
    sync_code(code, 8);
    long sum = call_many(f, CALLS);
    void *p = mmap(code, PAGE, rwx, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("fixed same address", p == (void *)code, 1);
    code[0] = mov_w0(31);
    code[1] = RET;
    sync_code(code, 8);
    sum += call_many(f, CALLS);
    printf("map-fixed over code: sum = %ld\n", sum);
    check("map-fixed sum", sum, 61L * CALLS);

    /* mremap another page's code over this one */
    uint32_t *other = map_pages(1, rwx);
    other[0] = mov_w0(32);
    other[1] = RET;
    sync_code(other, 8);
    check("other", call_many((fn0)(void *)other, CALLS), 32L * CALLS);
    p = mremap(other, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, code);
    check("mremap target", p == (void *)code, 1);
    sync_code(code, 8);
    sum = call_many(f, CALLS);
    printf("mremap over code: f() = %d, sum = %ld\n", f(), sum);
    check("mremap sum", sum, 32L * CALLS);
    /* and new code where the moved page used to be */
    p = mmap(other, PAGE, rwx, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("remap old address", p == (void *)other, 1);
    other[0] = mov_w0(33);
    other[1] = RET;
    sync_code(other, 8);
    check("new code at old address", call_many((fn0)(void *)other, CALLS), 33L * CALLS);
    munmap(code, PAGE);
    munmap(other, PAGE);
}

static void store64(void *p, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" : : "r"(v), "r"(p) : "memory");
}

static void store128(void *p, uint64_t lo, uint64_t hi)
{
    __asm__ volatile("stp %x0, %x1, [%2]" : : "r"(lo), "r"(hi), "r"(p) : "memory");
}

/* 6. One store that spans two pages, changing code on the second page (or on both). */
static void cross_page(void)
{
    char *base = map_pages(4, PROT_READ | PROT_WRITE | PROT_EXEC);
    /* f at the start of page 1; page 0 holds no code */
    uint32_t *f = (uint32_t *)(base + PAGE);
    f[0] = mov_w0(40);
    f[1] = RET;
    /* h straddles pages 1 and 2: mov at the end of page 1, add + ret at the start of page 2 */
    uint32_t *h = (uint32_t *)(base + 2 * PAGE - 4);
    h[0] = mov_w0(50);
    h[1] = add_w0(1);
    h[2] = RET;
    /* g straddles pages 2 and 3, two instructions on each */
    uint32_t *g = (uint32_t *)(base + 3 * PAGE - 8);
    g[0] = mov_w0(70);
    g[1] = add_w0(1);
    g[2] = add_w0(2);
    g[3] = RET;
    sync_code(base, 4 * PAGE);
    long a = call_many((fn0)(void *)f, XCALLS);
    long b = call_many((fn0)(void *)h, XCALLS);
    long c = call_many((fn0)(void *)g, XCALLS);
    printf("cross-page before: %ld %ld %ld\n", a / XCALLS, b / XCALLS, c / XCALLS);
    check("f before", a, 40L * XCALLS);
    check("h before", b, 51L * XCALLS);
    check("g before", c, 73L * XCALLS);

    /* each store is followed by calls of the code it changed, so that no other store's
     * invalidation can hide a missed one */
    for (int round = 1; round <= 3; round++) {
        /* 8 bytes at the end of page 0 / start of page 1: the low word is a nop on page 0
         * (never executed), the high word replaces f's first instruction */
        store64(base + PAGE - 4, (uint64_t)mov_w0(40 + round) << 32 | NOP);
        sync_code(base + PAGE - 4, 8);
        a = call_many((fn0)(void *)f, XCALLS);
        /* 8 bytes over h's mov (page 1) and add (page 2) */
        store64(h, (uint64_t)add_w0(round + 1) << 32 | mov_w0(50 + 10 * round));
        sync_code(h, 8);
        b = call_many((fn0)(void *)h, XCALLS);
        /* 16 bytes over all of g: two words on page 2, two on page 3 */
        store128(g, (uint64_t)add_w0(round) << 32 | mov_w0(70 + 10 * round),
                 (uint64_t)RET << 32 | add_w0(2 * round + 1));
        sync_code(g, 16);
        c = call_many((fn0)(void *)g, XCALLS);
        printf("cross-page round %d: %ld %ld %ld\n", round, a / XCALLS, b / XCALLS, c / XCALLS);
        check("f after cross-page store", a, (40L + round) * XCALLS);
        check("h after cross-page store", b, (51L + 11 * round) * XCALLS);
        check("g after cross-page stp", c, (71L + 13 * round) * XCALLS);
    }
    munmap(base, 4 * PAGE);
}

/* 7. Code copied in by memcpy (SIMD stores) and by read(2) from a pipe, over a function that
 * straddles two pages and has run before. */
static void copy_in(void)
{
    char *base = map_pages(2, PROT_READ | PROT_WRITE | PROT_EXEC);
    /* 6 words on the first page, 10 on the second: the inlined memcpy's 32-byte STP Q stores
     * cross the boundary */
    uint32_t *fn = (uint32_t *)(base + PAGE - 24);
    uint32_t body[16];
    int pfd[2];
    if (pipe(pfd)) {
        perror("pipe");
        _exit(102);
    }
    for (int round = 0; round < 4; round++) {
        body[0] = mov_w0(7 * round);
        for (int i = 1; i < 15; i++)
            body[i] = add_w0(i + round);
        body[15] = RET;
        if (round & 1) {
            memcpy(fn, body, sizeof body);
        } else if (write(pfd[1], body, sizeof body) != sizeof body ||
                   read(pfd[0], fn, sizeof body) != sizeof body) {
            perror("pipe i/o");
            _exit(102);
        }
        sync_code(fn, sizeof body);
        long sum = call_many((fn0)(void *)fn, CALLS / 4);
        printf("copy-in round %d (%s): f() = %ld\n", round, round & 1 ? "memcpy" : "read",
               sum / (CALLS / 4));
        check("copy-in", sum, (105L + 21 * round) * (CALLS / 4));
    }
    close(pfd[0]);
    close(pfd[1]);
    munmap(base, 2 * PAGE);
}

int main(void)
{
    rwx_patch();
    loop_patch();
    self_patch();
    mprotect_cycle();
    remap();
    cross_page();
    copy_in();
    printf("smc: %d checks, %d failed\n", checks, failures);
    return failures;
}
