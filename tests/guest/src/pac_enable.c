/* prctl(PR_PAC_SET_ENABLED_KEYS / PR_PAC_GET_ENABLED_KEYS) as Linux arm64 provides them
 * (arch/arm64/kernel/pointer_auth.c, kernel/sys.c): the enabled keys start as all four, a
 * disabled key makes PAC* and AUT* with it leave the pointer as it is (SCTLR_EL1.EnIA.. = 0),
 * and BRAA/LDRAA through it use the pointer unauthenticated; fork inherits the setting; the
 * argument checks return EINVAL. Keys are random, so the program prints only whether a pointer
 * changed. Built without -mbranch-protection: no function signs its own return address, so
 * disabling a key cannot break a return. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PR_PAC_SET_ENABLED_KEYS_ 60
#define PR_PAC_GET_ENABLED_KEYS_ 61
#define IA 1UL
#define IB 2UL
#define DA 4UL
#define DB 8UL

#define SIGN(insn, p, m) ({ uint64_t v_ = (p); \
        __asm__ volatile(insn " %0, %1" : "+r"(v_) : "r"((uint64_t)(m))); v_; })

static long pr(long option, unsigned long a2, unsigned long a3, unsigned long a4,
               unsigned long a5)
{
    long r = prctl(option, a2, a3, a4, a5);
    return r < 0 ? -errno : r;
}

static uint64_t target_called;

static void target(void)
{
    target_called++;
}

/* whether PAC<insn> changes p under any of eight modifiers: a PAC field of zero (one chance in
 * 128 for one modifier) would otherwise look like "unchanged" */
#define SIGNS(insn, p) ({ int c_ = 0; \
        for (uint64_t m_ = 1; m_ <= 8; m_++) { c_ |= SIGN(insn, p, m_ * 0x1234) != (p); } c_; })
/* whether AUT<insn> of the unsigned p fails (changes it) under any of eight modifiers */
#define FAILS(insn, p) SIGNS(insn, p)

static void report(const char *when)
{
    static uint64_t word = 0x1122334455667788UL;
    uint64_t p = (uint64_t)&word, m = 0x1234;
    printf("%s: enabled %ld\n", when, pr(PR_PAC_GET_ENABLED_KEYS_, 0, 0, 0, 0));
    printf("  pacia %s pacib %s pacda %s pacdb %s\n",
           SIGNS("pacia", p) ? "signs" : "unchanged", SIGNS("pacib", p) ? "signs" : "unchanged",
           SIGNS("pacda", p) ? "signs" : "unchanged", SIGNS("pacdb", p) ? "signs" : "unchanged");
    /* a round trip authenticates; a corrupted PAC fails (error bits) unless the key is off */
    uint64_t s = SIGN("pacia", p, m), bad = SIGN("pacia", p, m) ^ (1UL << 50);
    printf("  autia round trip %s, corrupted %s\n", SIGN("autia", s, m) == p ? "ok" : "FAIL",
           SIGN("autia", bad, m) == bad ? "unchanged" :
           SIGN("autia", bad, m) == p ? "ok" : "error");
    uint64_t sd = SIGN("pacdb", p, m);
    printf("  autdb round trip %s, unsigned %s\n", SIGN("autdb", sd, m) == p ? "ok" : "FAIL",
           FAILS("autdb", p) ? "error" : "unchanged");
    uint64_t pg;
    __asm__ volatile("pacga %0, %1, %2" : "=r"(pg) : "r"(p), "r"(m));
    printf("  pacga %s\n", pg ? "nonzero" : "zero");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    report("start");
    printf("disable IA, DB: %ld\n", pr(PR_PAC_SET_ENABLED_KEYS_, IA | DB, 0, 0, 0));
    report("IA DB off");
    /* BRAA and LDRAA through plain pointers: the disabled keys skip authentication */
    uint64_t f = (uint64_t)&target, before = target_called;
    __asm__ volatile("blraa %0, %1" : : "r"(f), "r"((uint64_t)0) : "x30", "memory", "x0", "x1",
                     "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                     "x14", "x15", "x16", "x17", "cc");
    printf("blraa plain pointer with IA off: called %lu\n",
           (unsigned long)(target_called - before));
    static uint64_t cell = 0xabcdef;
    printf("disable DA: %ld\n", pr(PR_PAC_SET_ENABLED_KEYS_, DA, 0, 0, 0));
    uint64_t v, a = (uint64_t)&cell;
    __asm__ volatile("ldraa %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    printf("ldraa plain pointer with DA off: %#lx\n", (unsigned long)v);
    /* the setting is per thread and a child inherits it */
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: enabled %ld\n", pr(PR_PAC_GET_ENABLED_KEYS_, 0, 0, 0, 0));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    /* keys outside IA..DB, enabled keys not selected, unused arguments: EINVAL */
    printf("errors: %ld %ld %ld %ld %ld %ld\n",
           pr(PR_PAC_SET_ENABLED_KEYS_, 0x10, 0, 0, 0),
           pr(PR_PAC_SET_ENABLED_KEYS_, IA, IB, 0, 0),
           pr(PR_PAC_SET_ENABLED_KEYS_, IA, IA, 1, 0),
           pr(PR_PAC_SET_ENABLED_KEYS_, IA, IA, 0, 1),
           pr(PR_PAC_GET_ENABLED_KEYS_, 1, 0, 0, 0),
           pr(PR_PAC_GET_ENABLED_KEYS_, 0, 0, 0, 1));
    printf("unchanged: enabled %ld\n", pr(PR_PAC_GET_ENABLED_KEYS_, 0, 0, 0, 0));
    printf("enable IA, keep DA off: %ld\n", pr(PR_PAC_SET_ENABLED_KEYS_, IA | DA, IA, 0, 0));
    report("DA DB off");
    printf("enable all: %ld\n", pr(PR_PAC_SET_ENABLED_KEYS_, IA | IB | DA | DB,
                                   IA | IB | DA | DB, 0, 0));
    report("all on");
    return 0;
}
