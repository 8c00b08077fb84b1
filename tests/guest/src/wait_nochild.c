/* A process without children: wait() fails with ECHILD and no SIGCHLD arrives, also while
   the emulator runs helper processes of its own (the compile worker of --jit=auto). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig) { (void)sig; sigchld_count++; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);

    /* hot enough to be compiled: the emulator starts its compile worker meanwhile */
    unsigned long h = 1469598103934665603UL;
    for (unsigned long i = 0; i < 30000000; i++)
        h = (h ^ (i & 0xff)) * 1099511628211UL;
    printf("hash %016lx\n", h);

    int status;
    pid_t r = wait(&status);
    printf("wait: %d %s\n", (int)r, r < 0 && errno == ECHILD ? "ECHILD" : strerror(errno));
    printf("SIGCHLD received: %d\n", (int)sigchld_count);
    return 0;
}
