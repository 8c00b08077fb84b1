/* fork + pipe + wait: children write to a pipe, the parent reads; exit statuses, a signal
   death, SIGCHLD to a handler, waitid, vfork + _exit, and wait4's ECHILD at the end. No pids
   are printed, so the output is the same under any emulator. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld_count;

static void on_chld(int sig) { (void)sig; chld_count++; }

static void report(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status %#x\n", what, st);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* nothing buffered is copied into a child */
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); return 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);

    /* child 1 writes a message and exits 7 */
    pid_t a = fork();
    if (a < 0) { perror("fork"); return 1; }
    if (a == 0) {
        close(fds[0]);
        const char msg[] = "hello from the child\n";
        if (write(fds[1], msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) _exit(99);
        _exit(7);
    }
    close(fds[1]);
    char buf[128];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    printf("parent read %zu bytes: %s", got, buf);
    int st;
    struct rusage ru;
    pid_t w = wait4(a, &st, 0, &ru);
    printf("wait4 returned the child: %s\n", w == a ? "yes" : "no");
    report("child 1", st);

    /* child 2 dies of SIGTERM (raised on itself) */
    pid_t b = fork();
    if (b == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(1);
    }
    w = waitpid(b, &st, 0);
    printf("waitpid returned the child: %s\n", w == b ? "yes" : "no");
    report("child 2", st);

    /* child 3: waitid with WEXITED */
    pid_t c = fork();
    if (c == 0)
        exit(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)c, &si, WEXITED) != 0) { perror("waitid"); return 1; }
    printf("waitid: pid matches %s, code %s, status %d\n", si.si_pid == c ? "yes" : "no",
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);

    /* vfork child that only _exits */
    pid_t v = vfork();
    if (v == 0)
        _exit(5);
    waitpid(v, &st, 0);
    report("vfork child", st);

    /* WNOHANG with a child still running, then a blocking wait */
    int go[2];
    if (pipe(go) != 0) return 1;
    pid_t d = fork();
    if (d == 0) {
        char ch;
        close(go[1]);
        if (read(go[0], &ch, 1) != 1) _exit(98);
        _exit(ch);
    }
    close(go[0]);
    w = waitpid(d, &st, WNOHANG);
    printf("WNOHANG on a running child: %d\n", (int)w);
    char code = 11;
    if (write(go[1], &code, 1) != 1) return 1;
    waitpid(d, &st, 0);
    report("child 4", st);

    /* fork's child sees its own copy of memory */
    static int shared = 1;
    pid_t e = fork();
    if (e == 0) {
        shared = 42;
        _exit(shared);
    }
    waitpid(e, &st, 0);
    printf("child changed its copy to %d, parent still has %d\n", WEXITSTATUS(st), shared);

    errno = 0;
    w = wait(&st);
    printf("wait with no children: %d (%s)\n", (int)w, errno == ECHILD ? "ECHILD" : strerror(errno));
    printf("SIGCHLD handler ran: %s\n", chld_count > 0 ? "yes" : "no");
    fflush(stdout);
    return 0;
}
