/* FEAT_PAuth from a Linux process (built with -march=armv8.5-a -mbranch-protection=standard, so
 * every non-leaf function also signs and authenticates its return address with PACIASP and
 * AUTIASP).  The keys are random per exec, so the program prints only facts that do not depend
 * on them: where the PAC goes, that authentication gives the pointer back, the error code a
 * failed authentication leaves, that fork keeps the keys and prctl(PR_PAC_RESET_KEYS) changes
 * them.  With an argument it then fails an authentication on purpose:
 *   "branch": BRAAZ through a corrupted signed pointer (SIGSEGV),
 *   "ret":    a function whose signed return address was corrupted (SIGSEGV at its RET),
 *   "load":   LDRAA through an unsigned pointer (SIGSEGV). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_PAC_RESET_KEYS
#define PR_PAC_RESET_KEYS 54
#endif
#ifndef HWCAP_PACA
#define HWCAP_PACA (1UL << 30)
#define HWCAP_PACG (1UL << 31)
#endif

static inline uint64_t pacia(uint64_t p, uint64_t m) { __asm__ volatile("pacia %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t pacib(uint64_t p, uint64_t m) { __asm__ volatile("pacib %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t pacda(uint64_t p, uint64_t m) { __asm__ volatile("pacda %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t autia(uint64_t p, uint64_t m) { __asm__ volatile("autia %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t autib(uint64_t p, uint64_t m) { __asm__ volatile("autib %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t autda(uint64_t p, uint64_t m) { __asm__ volatile("autda %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t autdb(uint64_t p, uint64_t m) { __asm__ volatile("autdb %0, %1" : "+r"(p) : "r"(m)); return p; }
static inline uint64_t xpaci(uint64_t p) { __asm__ volatile("xpaci %0" : "+r"(p)); return p; }
static inline uint64_t xpacd(uint64_t p) { __asm__ volatile("xpacd %0" : "+r"(p)); return p; }
static inline uint64_t pacga(uint64_t a, uint64_t m)
{
    uint64_t r;
    __asm__ volatile("pacga %0, %1, %2" : "=r"(r) : "r"(a), "r"(m));
    return r;
}

static const uint64_t PAC_LOW = 0x007F000000000000ULL;       /* bits 54:48 */
static const uint64_t PAC_HIGH = 0xFF7F000000000000ULL;      /* bits 63:56 and 54:48 */

/* The error code (bits 54:53 or 62:61) of the first modifier that fails to authenticate
 * (a wrong modifier still matches the 7-bit PAC with probability 1/128). */
static uint64_t fail_code(uint64_t (*sign)(uint64_t, uint64_t),
                          uint64_t (*auth)(uint64_t, uint64_t), uint64_t p)
{
    uint64_t s = sign(p, 1);
    for (uint64_t m = 2; m < 1000; m++) {
        uint64_t a = auth(s, m);
        if (a != p)
            return a ^ p;
    }
    return 0;
}

static uint64_t data_word = 0x1122334455667788ULL;

static uint64_t ldraa_of(uint64_t *p)
{
    uint64_t s = (uint64_t)p, v;
    __asm__ volatile("pacdza %0" : "+r"(s));
    __asm__ volatile("ldraa %0, [%1]" : "=r"(v) : "r"(s));
    return v;
}

static uint64_t ldraa_pre(uint64_t *p, uint64_t *wb)
{
    uint64_t s = (uint64_t)p - 8, v;
    __asm__ volatile("pacdza %0" : "+r"(s));
    __asm__ volatile("ldraa %0, [%1, #8]!" : "=r"(v), "+r"(s));
    *wb = s;
    return v;
}

static int depth(int n)             /* non-leaf: PACIASP/AUTIASP around every call */
{
    return n ? depth(n - 1) + 1 : 0;
}

static void __attribute__((noinline)) corrupt_return(void)
{
    /* flip a PAC bit of the return address this function signed and saved */
    uint64_t *frame = __builtin_frame_address(0);
    frame[1] ^= 1ULL << 50;
    printf("returning through a corrupted return address\n");
    fflush(stdout);
}

static void target(void)
{
    printf("NOT REACHED\n");
}

int main(int argc, char **argv)
{
    unsigned long hw = getauxval(AT_HWCAP);
    printf("hwcap paca %d pacg %d\n", !!(hw & HWCAP_PACA), !!(hw & HWCAP_PACG));

    uint64_t p = 0x0000123456789ab0ULL, tagged = 0x5a00123456789ab0ULL;
    uint64_t upper = 0xffff800012345670ULL;
    uint64_t s = pacia(p, 7);
    printf("pacia: PAC only in bits 54:48: %d\n", (s & ~PAC_LOW) == p);
    printf("tagged: top byte kept: %d\n", (pacda(tagged, 7) & ~PAC_LOW) == tagged);
    printf("upper half: PAC in 63:56 and 54:48: %d\n", (pacda(upper, 7) & ~PAC_HIGH) == (upper & ~PAC_HIGH));
    printf("autia round trip: %d, autib: %d, autda: %d\n", autia(s, 7) == p,
           autib(pacib(p, 9), 9) == p, autda(pacda(tagged, 3), 3) == tagged);
    printf("xpaci/xpacd strip: %d %d\n", xpaci(s) == p, xpacd(pacda(upper, 5)) == upper);
    printf("autia failure code %#llx\n", (unsigned long long)fail_code(pacia, autia, p));
    printf("autib failure code %#llx\n", (unsigned long long)fail_code(pacib, autib, p));
    printf("autda failure code (tagged) %#llx\n",
           (unsigned long long)fail_code(pacda, autda, tagged));
    printf("autdb failure code (upper half) %#llx\n", (unsigned long long)(autdb(upper, 0) ^ upper));
    printf("pacga: low half zero %d, deterministic %d\n", (pacga(p, 1) & 0xffffffff) == 0,
           pacga(p, 1) == pacga(p, 1));
    printf("ldraa: %#llx\n", (unsigned long long)ldraa_of(&data_word));
    uint64_t wb;
    uint64_t v = ldraa_pre(&data_word, &wb);
    printf("ldraa pre-index: %#llx, writeback is the authenticated address: %d\n",
           (unsigned long long)v, wb == (uint64_t)&data_word);
    printf("depth %d\n", depth(20));

    /* as QEMU's tests/tcg/aarch64 pauth-4: a signed pointer with one low bit flipped fails
     * (the first flip whose PAC differs: a flip keeps the PAC with probability 1/128) */
    int flip_fails = 0;
    for (int b = 2; b < 40 && !flip_fails; b++) {
        uint64_t c = pacia(p, 11) ^ (1ULL << b);
        flip_fails = autia(c, 11) != xpaci(c);
    }
    printf("corrupted pointer fails: %d\n", flip_fails);
    /* as pauth-5: signing a signed pointer (its PAC bits are not an extension of bit 55)
     * inverts the PAC's top bit, so it never authenticates */
    uint64_t salt = 0, d1;
    do
        d1 = pacda(p, ++salt);
    while (d1 == p);
    uint64_t d2 = pacda(d1, salt), d3 = autda(d2, salt);
    printf("double signing: the PAC with bit 54 inverted %d, fails %d\n",
           d2 == (d1 ^ 1ULL << 54), d3 == (p | 1ULL << 53));

    /* fork: the child has the parent's keys (it authenticates the parent's signature) */
    uint64_t before = pacga(p, 1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(pacga(p, 1) == before && autia(s, 7) == p ? 0 : 1);
    int st;
    waitpid(pid, &st, 0);
    printf("fork keeps keys: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* PR_PAC_RESET_KEYS: bad arguments are EINVAL; resetting APGAKey changes PACGA's result
     * (with probability 1 - 2^-32) and leaves APIAKey alone */
    printf("reset with unknown key bit: %d\n", prctl(PR_PAC_RESET_KEYS, 1 << 5, 0, 0, 0));
    printf("reset with arg3 != 0: %d\n", prctl(PR_PAC_RESET_KEYS, 0, 1, 0, 0));
    /* as pauth-1: PACDZA signatures change when APDAKey is reset (8 pointers: all eight
     * keep their 7-bit PAC with probability 2^-56) */
    uint64_t da[8];
    for (int i = 0; i < 8; i++)
        da[i] = pacda(p + 16 * i, 0);
    printf("reset APDAKey: %d\n", prctl(PR_PAC_RESET_KEYS, 1 << 2, 0, 0, 0));
    int da_changed = 0;
    for (int i = 0; i < 8; i++)
        da_changed |= pacda(p + 16 * i, 0) != da[i];
    printf("pacdza changed: %d, APIAKey kept: %d\n", da_changed, autia(s, 7) == p);
    printf("reset APGAKey: %d\n", prctl(PR_PAC_RESET_KEYS, 1 << 4, 0, 0, 0));
    uint64_t after = pacga(p, 1);
    printf("pacga changed: %d, APIAKey kept: %d\n", after != before, autia(s, 7) == p);
    /* resetting APIAKey would make every return address signed so far fail its AUTIASP: a
     * child does it and leaves with _exit */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int r = prctl(PR_PAC_RESET_KEYS, 0, 0, 0, 0);
        printf("reset all: %d, APGAKey changed: %d\n", r, pacga(p, 1) != after);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &st, 0);

    if (argc > 1) {
        fflush(stdout);
        if (!strcmp(argv[1], "branch")) {
            uint64_t t = (uint64_t)&target;
            __asm__ volatile("paciza %0" : "+r"(t));
            t ^= 1ULL << 49;
            printf("branching through a corrupted pointer\n");
            fflush(stdout);
            __asm__ volatile("braaz %0" : : "r"(t));
        } else if (!strcmp(argv[1], "ret")) {
            corrupt_return();
        } else if (!strcmp(argv[1], "load")) {
            printf("loading through an unsigned pointer\n");
            fflush(stdout);
            uint64_t q = (uint64_t)&data_word;
            __asm__ volatile("ldraa %0, [%0]" : "+r"(q));
            printf("loaded %#llx\n", (unsigned long long)q);
        }
        printf("NOT REACHED\n");
    }
    return 0;
}
