/* Control-flow discontinuities for the plugin API: two faults whose SIGSEGV handler jumps
 * back with siglongjmp, and a SIGUSR1 the process sends itself, taken by its handler when the
 * kill returns. Prints what the handlers saw. */
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int faults, usr1, round;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    faults++;
    siglongjmp(env, 1);
}

static void on_usr1(int sig)
{
    usr1++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    signal(SIGUSR1, on_usr1);

    for (round = 0; round < 2; round++) {
        if (sigsetjmp(env, 1) == 0)     /* faults: nothing is mapped there */
            *(volatile int *)(uintptr_t)(16 + round * 8) = round;
    }
    kill(getpid(), SIGUSR1);
    printf("faults %d, usr1 %d\n", faults, usr1);
    return 0;
}
