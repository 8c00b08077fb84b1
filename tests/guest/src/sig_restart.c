/* Linux's rules for a blocking syscall that a handled signal interrupts (arch/arm64 do_signal):
   each call runs once with a SIGALRM handler without SA_RESTART and once with it, the handler
   making the call able to complete (a byte into the pipe or socket, a connect, the futex word
   changed). -ERESTARTSYS calls (read of a pipe, recv, accept, wait4, FUTEX_WAIT without a
   timeout) are restarted under SA_RESTART and fail with EINTR otherwise; nanosleep,
   clock_nanosleep and a FUTEX_WAIT with a timeout (-ERESTART_RESTARTBLOCK) and poll, ppoll,
   select, epoll_wait always fail with EINTR. sigsuspend, ppoll and pselect with a temporary
   mask: the handler runs under it and the old mask is back afterwards. Output is fixed: only
   results, errnos and coarse time bounds are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { NOTHING, PIPE_BYTE, SOCK_BYTE, FUTEX_WORD, CONNECT };

static volatile sig_atomic_t hits, action, usr1_blocked_in_handler;
static int pipefd[2], sv[2];
static volatile uint32_t word;
static struct sockaddr_un addr;
static socklen_t addrlen;

static void on_alarm(int sig)
{
    sigset_t cur;
    hits++;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    usr1_blocked_in_handler = sigismember(&cur, SIGUSR1);
    if (action == PIPE_BYTE) {
        if (write(pipefd[1], "x", 1) != 1) _exit(3);
    } else if (action == SOCK_BYTE) {
        if (send(sv[1], "y", 1, 0) != 1) _exit(3);
    } else if (action == FUTEX_WORD) {
        word = 1;
    } else if (action == CONNECT) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&addr, addrlen) != 0) _exit(3);
    }
}

static void handle(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
}

static void arm(int what)
{
    struct itimerval it = {{0, 0}, {0, 50000}};     /* 50 ms, once */
    action = what;
    hits = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

static const char *en(long r, int e)
{
    if (r >= 0) return "ok";
    return e == EINTR ? "EINTR" : e == EAGAIN ? "EAGAIN" : strerror(e);
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void restartable(int flags, const char *mode)
{
    char c = '?';
    ssize_t n;
    int e;

    /* read of an empty pipe */
    if (pipe(pipefd)) return;
    arm(PIPE_BYTE);
    n = read(pipefd[0], &c, 1);
    e = errno;
    printf("read pipe, %s: %zd %s, handler ran %d", mode, n, en(n, e), (int)hits);
    if (n < 0) {
        n = read(pipefd[0], &c, 1);
        printf("; read again: %zd", n);
    }
    printf(" '%c'\n", c);
    close(pipefd[0]);
    close(pipefd[1]);

    /* recv on a socketpair */
    c = '?';
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return;
    arm(SOCK_BYTE);
    n = recv(sv[0], &c, 1, 0);
    e = errno;
    printf("recv, %s: %zd %s, handler ran %d", mode, n, en(n, e), (int)hits);
    if (n < 0) {
        n = recv(sv[0], &c, 1, 0);
        printf("; recv again: %zd", n);
    }
    printf(" '%c'\n", c);
    close(sv[0]);
    close(sv[1]);

    /* accept on a listening socket the handler connects to */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    int len = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "nbemu-sig-restart-%d",
                       (int)getpid());
    addrlen = offsetof(struct sockaddr_un, sun_path) + 1 + len;
    if (l < 0 || bind(l, (struct sockaddr *)&addr, addrlen) || listen(l, 4)) {
        printf("listen: %s\n", strerror(errno));
        return;
    }
    arm(CONNECT);
    int a = accept(l, NULL, NULL);
    e = errno;
    printf("accept, %s: %s %s, handler ran %d", mode, a >= 0 ? "fd" : "-1", en(a, e), (int)hits);
    if (a < 0) {
        a = accept(l, NULL, NULL);
        printf("; accept again: %s", a >= 0 ? "fd" : "-1");
    }
    printf("\n");
    close(a);
    close(l);

    /* wait4 for a child that exits later */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
        _exit(7);
    }
    int st = 0;
    arm(NOTHING);
    pid_t w = waitpid(pid, &st, 0);
    e = errno;
    printf("wait4, %s: %s %s, handler ran %d", mode, w == pid ? "child" : "-1", en(w, e),
           (int)hits);
    if (w < 0) {
        w = waitpid(pid, &st, 0);
        printf("; wait4 again: %s", w == pid ? "child" : "-1");
    }
    printf(", status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* FUTEX_WAIT without a timeout: restarted, it sees the word the handler changed */
    word = 0;
    arm(FUTEX_WORD);
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    e = errno;
    printf("futex wait, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);
}

static void never_restarted(const char *mode)
{
    struct timespec t0, req = {1, 0}, rem = {0, 0};
    long r;
    int e;

    /* FUTEX_WAIT with a timeout: -ERESTART_RESTARTBLOCK, so EINTR after any handler */
    word = 0;
    arm(FUTEX_WORD);
    struct timespec two = {2, 0};
    r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &two, NULL, 0);
    e = errno;
    printf("futex wait with timeout, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    arm(NOTHING);
    r = nanosleep(&req, &rem);
    e = errno;
    double left = rem.tv_sec + rem.tv_nsec / 1e9;
    printf("nanosleep 1 s, %s: %ld %s, handler ran %d, 0.5 s < rem < 1 s: %d, slept < 0.5 s: %d\n",
           mode, r, en(r, e), (int)hits, left > 0.5 && left < 1.0, since(&t0) < 0.5);

    rem.tv_sec = rem.tv_nsec = 0;
    arm(NOTHING);
    int cr = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    left = rem.tv_sec + rem.tv_nsec / 1e9;
    printf("clock_nanosleep relative, %s: %s, handler ran %d, 0.5 s < rem < 1 s: %d\n", mode,
           cr == EINTR ? "EINTR" : cr ? strerror(cr) : "0", (int)hits, left > 0.5 && left < 1.0);

    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 1;
    arm(NOTHING);
    cr = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    printf("clock_nanosleep absolute, %s: %s, handler ran %d\n", mode,
           cr == EINTR ? "EINTR" : cr ? strerror(cr) : "0", (int)hits);

    int p[2];
    if (pipe(p)) return;
    struct pollfd pfd = {p[0], POLLIN, 0};
    arm(NOTHING);
    r = poll(&pfd, 1, 2000);
    e = errno;
    printf("poll, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);

    struct timespec tmo = {2, 0};
    arm(NOTHING);
    r = ppoll(&pfd, 1, &tmo, NULL);
    e = errno;
    printf("ppoll, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {2, 0};
    arm(NOTHING);
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    e = errno;
    printf("select, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    arm(NOTHING);
    r = epoll_wait(ep, &ev, 1, 2000);
    e = errno;
    printf("epoll_wait, %s: %ld %s, handler ran %d\n", mode, r, en(r, e), (int)hits);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void temporary_masks(void)
{
    sigset_t usr1, none, usr1_alrm;
    sigemptyset(&none);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    usr1_alrm = usr1;
    sigaddset(&usr1_alrm, SIGALRM);

    /* sigsuspend: SIGUSR1 is blocked, the temporary mask is empty */
    sigprocmask(SIG_SETMASK, &usr1, NULL);
    arm(NOTHING);
    int r = sigsuspend(&none);
    int e = errno;
    printf("sigsuspend: %d %s, handler ran %d, SIGUSR1 blocked in the handler %d, after %d\n",
           r, en(r, e), (int)hits, (int)usr1_blocked_in_handler, blocked(SIGUSR1));

    /* SIGALRM blocked: it stays pending until ppoll's temporary mask lets it in */
    int p[2];
    if (pipe(p)) return;
    struct pollfd pfd = {p[0], POLLIN, 0};
    sigprocmask(SIG_SETMASK, &usr1_alrm, NULL);
    arm(NOTHING);
    struct timespec wait = {0, 200000000};
    nanosleep(&wait, NULL);
    sigset_t pend;
    sigpending(&pend);
    printf("SIGALRM blocked: pending %d, handler ran %d\n", sigismember(&pend, SIGALRM),
           (int)hits);
    r = ppoll(&pfd, 1, NULL, &none);
    e = errno;
    printf("ppoll with an empty mask: %d %s, handler ran %d, SIGUSR1 blocked in the handler %d, "
           "after: SIGUSR1 %d SIGALRM %d\n", r, en(r, e), (int)hits,
           (int)usr1_blocked_in_handler, blocked(SIGUSR1), blocked(SIGALRM));

    arm(NOTHING);
    nanosleep(&wait, NULL);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    r = pselect(p[0] + 1, &rd, NULL, NULL, NULL, &usr1);
    e = errno;
    printf("pselect with SIGUSR1 only: %d %s, handler ran %d, SIGUSR1 blocked in the handler %d, "
           "after: SIGUSR1 %d SIGALRM %d\n", r, en(r, e), (int)hits,
           (int)usr1_blocked_in_handler, blocked(SIGUSR1), blocked(SIGALRM));
    sigprocmask(SIG_SETMASK, &none, NULL);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    handle(0);
    restartable(0, "no SA_RESTART");
    never_restarted("no SA_RESTART");
    handle(SA_RESTART);
    restartable(SA_RESTART, "SA_RESTART");
    never_restarted("SA_RESTART");
    temporary_masks();
    return 0;
}
