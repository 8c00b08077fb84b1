/*
 * FEAT_MTE heap-overflow detector: a 48-byte buffer in PROT_MTE memory gets a random tag (IRG)
 * on its three granules (STG) through the ACLE intrinsics; in-bounds accesses work, and the
 * first byte past its end (the next granule keeps tag 0, which IRG never picks here) faults.
 * Modes (argv[1]): sync (a store past the end: SIGSEGV SEGV_MTESERR at that byte), load (a
 * load past the end, the same), async (SEGV_MTEAERR with si_addr 0 after the store completed,
 * at the next syscall), none (tag checks off: the overflow goes unnoticed), tco (sync, but a
 * store with PSTATE.TCO set is unchecked; the next one, after TCO is cleared, faults).
 */
#include <arm_acle.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PR_SET_TAGGED_ADDR_CTRL 55
#define PR_GET_TAGGED_ADDR_CTRL 56
#define PR_TAGGED_ADDR_ENABLE (1UL << 0)
#define PR_MTE_TCF_SYNC (1UL << 1)
#define PR_MTE_TCF_ASYNC (1UL << 2)
#define PR_MTE_TAG_SHIFT 3
#define PROT_MTE 0x20
#define BUF 48
#define ADDR_BITS ((1UL << 56) - 1)

static uintptr_t base;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    /* the offset from the buffer of the address without its top byte */
    printf("SIGSEGV si_code %d si_addr %s%ld\n", si->si_code, a ? "buffer+" : "",
           a ? (long)((a & ADDR_BITS) - base) : 0L);
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "sync";
    unsigned long tcf = !strcmp(mode, "async") ? PR_MTE_TCF_ASYNC :
                        !strcmp(mode, "none") ? 0 : PR_MTE_TCF_SYNC;
    /* tags 1..15 allowed for IRG: 0 (untagged memory's) is excluded */
    if (prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE | tcf | (0xfffeUL << PR_MTE_TAG_SHIFT),
              0, 0, 0)) {
        perror("prctl");
        return 2;
    }
    printf("ctrl %#lx\n", (unsigned long)prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0));
    char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_MTE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    base = (uintptr_t)mem;
    char *buf = __arm_mte_create_random_tag(mem, 0);
    for (int i = 0; i < BUF; i += 16)
        __arm_mte_set_tag(buf + i);
    printf("tagged: %d, same address: %d\n", buf != mem, __arm_mte_ptrdiff(buf, mem) == 0);
    printf("ldg agrees: %d\n", __arm_mte_get_tag(mem + 32) == buf + 32);
    uint64_t excl = __arm_mte_exclude_tag(buf, 1);
    printf("exclude mask has tag 0 and the buffer's: %d\n",
           excl == (1UL | 1UL << (((uintptr_t)buf >> 56) & 15)));
    char *next = __arm_mte_increment_tag(buf, 1);
    printf("incremented tag differs: %d\n", next != buf);

    memset(buf, 'x', BUF);
    long sum = 0;
    for (int i = 0; i < BUF; i++)
        sum += buf[i];
    printf("in bounds: sum %ld\n", sum);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    volatile char *p = buf;
    if (!strcmp(mode, "load")) {
        sum += p[BUF + 5];
    } else if (!strcmp(mode, "tco")) {
        uint64_t tco;
        __asm__ volatile(".inst 0xd503419f\n\t"              /* msr tco, #1 */
                         "mrs %0, s3_3_c4_c2_7" : "=r"(tco) :: "memory");
        p[BUF + 5] = 'y';
        printf("tco %#lx: unchecked store, the untagged pointer sees %c\n", (unsigned long)tco,
               mem[BUF + 5]);
        fflush(stdout);
        __asm__ volatile("msr s3_3_c4_c2_7, xzr" ::: "memory");
        p[BUF + 6] = 'z';
    } else {
        p[BUF + 5] = 'y';
        getppid();              /* an async fault is reported at the latest on return to EL0 */
    }
    printf("no fault; the untagged pointer sees %c\n", mem[BUF + 5] ? mem[BUF + 5] : '0');
    return 0;
}
