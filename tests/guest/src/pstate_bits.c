/* PSTATE.DIT and PSTATE.SSBS (FEAT_DIT, FEAT_SSBS2) as a Linux process sees them: the values at
 * start, MSR (immediate) and MSR/MRS (register) round trips, what a signal handler starts with,
 * and that sigreturn restores the interrupted values. The registers are named by encoding so no
 * -march extension is needed to build. */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>

#define RD(enc) ({ uint64_t v_; __asm__ volatile("mrs %0, " enc : "=r"(v_)); v_; })
#define DIT() RD("s3_3_c4_c2_5")
#define SSBS() RD("s3_3_c4_c2_6")

static volatile uint64_t in_handler[3];
static int has_dit, has_ssbs;

#define DIT_IMM(v) __asm__ volatile(".inst %c0" :: "i"(0xd503405f | (v) << 8) : "memory")
#define SSBS_IMM(v) __asm__ volatile(".inst %c0" :: "i"(0xd503403f | (v) << 8) : "memory")

static void handler(int sig, siginfo_t *si, void *ctx)
{
    /* the interrupted context's PSTATE.DIT and SSBS as the signal frame holds them */
    in_handler[2] = ((ucontext_t *)ctx)->uc_mcontext.pstate & (1UL << 24 | 1UL << 12);
    /* what the handler starts with; then changed, for sigreturn to restore from the frame */
    if (has_dit) {
        in_handler[0] = DIT();
        DIT_IMM(1);
    }
    if (has_ssbs) {
        in_handler[1] = SSBS();
        SSBS_IMM(0);
    }
}

static void show(const char *what)
{
    printf("%s:", what);
    if (has_dit)
        printf(" dit %#lx", (unsigned long)DIT());
    if (has_ssbs)
        printf(" ssbs %#lx", (unsigned long)SSBS());
    printf("\n");
}

static void around_signal(int dit, int ssbs)
{
    if (has_dit) {
        if (dit) DIT_IMM(1); else DIT_IMM(0);
    }
    if (has_ssbs) {
        if (ssbs) SSBS_IMM(1); else SSBS_IMM(0);
    }
    raise(SIGUSR1);
    printf("handler saw dit %#lx ssbs %#lx, frame pstate bits %#lx\n",
           (unsigned long)in_handler[0], (unsigned long)in_handler[1],
           (unsigned long)in_handler[2]);
    show("after sigreturn");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!(getauxval(AT_HWCAP) & (1UL << 11)))           /* HWCAP_CPUID: MRS of ID registers */
        return 1;
    has_dit = (RD("s3_0_c0_c4_0") >> 48 & 0xf) >= 1;    /* ID_AA64PFR0_EL1.DIT */
    has_ssbs = (RD("s3_0_c0_c4_1") >> 4 & 0xf) >= 1;    /* ID_AA64PFR1_EL1.SSBS */
    printf("dit %d ssbs %d\n", has_dit, has_ssbs);
    show("start");
    if (has_dit) {
        DIT_IMM(1);
        show("msr dit, #1");
        DIT_IMM(0);
        show("msr dit, #0");
        __asm__ volatile("msr s3_3_c4_c2_5, %0" :: "r"(~0UL) : "memory");
        show("msr dit, all ones");
        __asm__ volatile("msr s3_3_c4_c2_5, %0" :: "r"(~(1UL << 24)) : "memory");
        show("msr dit, all but bit 24");
    }
    if (has_ssbs) {
        SSBS_IMM(1);
        show("msr ssbs, #1");
        SSBS_IMM(0);
        show("msr ssbs, #0");
        __asm__ volatile("msr s3_3_c4_c2_6, %0" :: "r"(~0UL) : "memory");
        show("msr ssbs, all ones");
        __asm__ volatile("msr s3_3_c4_c2_6, %0" :: "r"(~(1UL << 12)) : "memory");
        show("msr ssbs, all but bit 12");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    around_signal(1, 0);
    around_signal(0, 1);
    return 0;
}
