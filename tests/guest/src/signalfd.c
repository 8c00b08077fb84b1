/* signalfd4: blocked signals read as struct signalfd_siginfo (kill, tgkill, a forked child's
 * kill, SIGCHLD with its status), several per read, EAGAIN, poll and epoll readiness, changing
 * the mask of an existing signalfd, dup, an inherited signalfd in a child, the errnos (EINVAL,
 * EBADF), and a handled signal outside the mask ending a blocking read with EINTR. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(what, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-34s %ld%s%s\n", what, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void show(const struct signalfd_siginfo *si, pid_t from) {
    printf("  signo %u code %d pid ok %d uid ok %d status %d\n", si->ssi_signo, si->ssi_code,
           (pid_t)si->ssi_pid == from, si->ssi_uid == getuid(), si->ssi_status);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    printf("sizeof(struct signalfd_siginfo) = %zu\n", sizeof(struct signalfd_siginfo));
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGCHLD);
    sigprocmask(SIG_BLOCK, &m, 0);
    sigdelset(&m, SIGCHLD);

    CHECK("signalfd bad flags (EINVAL)", signalfd(-1, &m, 0x10));
    CHECK("signalfd bad fd (EBADF)", signalfd(999, &m, 0));
    CHECK("signalfd on a pipe (EINVAL)", signalfd(0, &m, 0));
    /* sizemask != 8 is EINVAL on Linux, qemu-aarch64 7.2 accepts it: see test_linux_syscalls */
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK("signalfd", fd);
    struct signalfd_siginfo si[4];
    CHECK("read nothing pending (EAGAIN)", read(fd, si, sizeof si));
    CHECK("read short buffer (EINVAL)", read(fd, si, 100));
    CHECK("write (EINVAL)", write(fd, si, sizeof si[0]));
    struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
    CHECK("poll nothing pending", poll(&pf, 1, 0));

    /* both process-directed: Linux takes a thread's own (tgkill) signals before the
     * process's, which nbemu's one pending set does not tell apart */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    CHECK("poll pending", poll(&pf, 1, 0));
    printf("  revents %#x\n", pf.revents);
    sigset_t pend;
    sigpending(&pend);
    printf("  sigpending usr1 %d usr2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));
    CHECK("read two", read(fd, si, sizeof si));
    show(&si[0], getpid());
    show(&si[1], getpid());
    sigpending(&pend);
    printf("  sigpending usr1 %d usr2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));
    CHECK("poll drained", poll(&pf, 1, 0));

    /* a dup shares the file; a new mask through either */
    int d = dup(fd);
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
    CHECK("read one through the dup", read(d, si, sizeof si));
    show(&si[0], getpid());
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    CHECK("signalfd new mask (same fd)", signalfd(d, &only2, 0) == d);
    kill(getpid(), SIGUSR1);
    CHECK("read usr1 not in mask (EAGAIN)", read(fd, si, sizeof si));
    signalfd(fd, &m, 0);
    CHECK("read with usr1 back in mask", read(fd, si, sizeof si));
    close(d);

    /* epoll readiness and a blocking read woken by a forked child's kill */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    CHECK("epoll nothing pending", epoll_wait(ep, &ev, 1, 0));
    pid_t child = fork();
    if (child == 0) {
        usleep(30000);
        kill(getppid(), SIGUSR2);
        _exit(7);
    }
    CHECK("epoll_wait for the child's kill", epoll_wait(ep, &ev, 1, 5000));
    printf("  events %#x data %u\n", ev.events, ev.data.u32);
    CHECK("read it", read(fd, si, sizeof si));
    /* the sender's pid of a signal from another process is not known to nbemu (hostsig.py) */
    printf("  signo %u code %d\n", si[0].ssi_signo, si[0].ssi_code);

    /* SIGCHLD through its own blocking signalfd */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int cfd = signalfd(-1, &chld, 0);
    CHECK("blocking read SIGCHLD", read(cfd, si, sizeof si));
    show(&si[0], child);
    waitpid(child, 0, 0);

    /* an inherited signalfd reads the reader's own signals: the child's raise is the
     * child's, and the parent's fd does not become readable */
    child = fork();
    if (child == 0) {
        struct pollfd cp = {fd, POLLIN, 0};
        int before = poll(&cp, 1, 0);
        kill(getpid(), SIGUSR2);
        int after = poll(&cp, 1, 0);
        ssize_t n = read(fd, si, sizeof si);
        printf("child: poll before %d after %d, read %zd signo %u pid ok %d\n", before, after,
               n, si[0].ssi_signo, (pid_t)si[0].ssi_pid == getpid());
        _exit(0);
    }
    waitpid(child, 0, 0);
    CHECK("the second child's SIGCHLD", read(cfd, si, sizeof si));
    printf("  signo %u code %d status %d\n", si[0].ssi_signo, si[0].ssi_code, si[0].ssi_status);
    pf.revents = 0;
    CHECK("parent's poll after the child", poll(&pf, 1, 0));
    CHECK("parent's read (EAGAIN)", read(fd, si, sizeof si));

    /* a handled, unblocked signal ends a blocking read */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    CHECK("blocking read, SIGALRM (EINTR)", read(cfd, si, sizeof si));
    printf("  alarms %d\n", alarms);
    return 0;
}
