/* A blocking write to a full pipe, FIFO (argv[1]/fifo) or AF_UNIX stream socket (also send
   and sendmsg) that a handled SIGALRM (from setitimer) interrupts, as pipe_write and
   unix_stream_sendmsg treat it: nothing written yet gives -ERESTARTSYS (restarted under
   SA_RESTART, the handler having made room; EINTR without it), some bytes written give their
   count either way. Every case runs twice: with this the only thread (a blocking wait in the
   host) and with a second thread alive, blocked in a read with SIGALRM blocked (the emulator's
   scheduler waits for both). The output only has results, errnos and inequalities, so it does
   not depend on the host's buffer sizes or timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define BIG (1 << 20)

static volatile sig_atomic_t hits;
static int drain_fd = -1;      /* the handler reads this much from it: room for the restart */
static char buf[BIG], sink[BIG];

static void on_alarm(int sig)
{
    (void)sig;
    hits++;
    if (drain_fd >= 0 && read(drain_fd, sink, 65536) <= 0)
        _exit(3);
}

static void arm(int flags, int drain)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
    drain_fd = drain;
    hits = 0;
    /* long enough that the write is blocked when it comes, whatever the emulator's speed */
    struct itimerval it = {{0, 0}, {0, 150000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static void fill(int fd)
{
    set_nonblock(fd, 1);
    while (write(fd, buf, 4096) > 0)
        ;
    while (write(fd, buf, 1) > 0)
        ;
    set_nonblock(fd, 0);
}

static void drain_all(int fd)
{
    set_nonblock(fd, 1);
    while (read(fd, sink, sizeof sink) > 0)
        ;
    set_nonblock(fd, 0);
}

static void result(const char *what, long n, int err, long want)
{
    if (n < 0)
        printf("  %s: -1 %s, handler ran %d\n", what, err == EINTR ? "EINTR" : strerror(err),
               (int)hits);
    else if (n == want)
        printf("  %s: all %ld bytes, handler ran %d\n", what, want, (int)hits);
    else
        printf("  %s: partial %s, handler ran %d\n", what,
               n > 0 && n < want ? "0 < n < count" : "out of range", (int)hits);
}

static int use_send;     /* send and sendmsg instead of write and writev */

static long put(int w, const void *b, size_t n)
{
    return use_send ? send(w, b, n, 0) : write(w, b, n);
}

static long putv(int w, struct iovec *iov, int cnt)
{
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = cnt};
    return use_send ? sendmsg(w, &m, 0) : writev(w, iov, cnt);
}

/* one kind of fd: w is the write end, r the read end */
static void cases(const char *kind, int r, int w)
{
    long n;
    char name[64];

    snprintf(name, sizeof name, "%s full, SA_RESTART", kind);
    fill(w);
    arm(SA_RESTART, r);
    n = put(w, buf, 100);
    result(name, n, errno, 100);
    drain_all(r);

    snprintf(name, sizeof name, "%s full, no SA_RESTART", kind);
    fill(w);
    arm(0, -1);
    errno = 0;
    n = put(w, buf, 100);
    result(name, n, errno, 100);
    drain_all(r);

    /* a large write fills the empty buffer, then blocks for the rest */
    snprintf(name, sizeof name, "%s partial, SA_RESTART", kind);
    arm(SA_RESTART, -1);
    n = put(w, buf, BIG);
    result(name, n, errno, BIG);
    drain_all(r);

    snprintf(name, sizeof name, "%s partial %s, no SA_RESTART", kind,
             use_send ? "sendmsg" : "writev");
    struct iovec iov[2] = {{buf, BIG / 2}, {buf + BIG / 2, BIG / 2}};
    arm(0, -1);
    n = putv(w, iov, 2);
    result(name, n, errno, BIG);
    drain_all(r);
}

static const char *dir;

static void all_cases(void)
{
    int pfd[2], sv[2];
    if (pipe(pfd) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        exit(1);
    cases("pipe", pfd[0], pfd[1]);
    cases("unix stream", sv[1], sv[0]);
    use_send = 1;
    cases("unix stream send", sv[1], sv[0]);
    use_send = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/fifo", dir);
    unlink(path);
    if (mkfifo(path, 0600))
        exit(1);
    int fr = open(path, O_RDONLY | O_NONBLOCK), fw = open(path, O_WRONLY);
    if (fr < 0 || fw < 0)
        exit(1);
    set_nonblock(fr, 0);
    cases("fifo", fr, fw);
    close(fr);
    close(fw);
    unlink(path);
    close(pfd[0]);
    close(pfd[1]);
    close(sv[0]);
    close(sv[1]);
}

static int hold[2];

static void *idle_thread(void *arg)
{
    char c;
    (void)arg;
    /* process-directed SIGALRM goes to the writer, the one thread not blocking it */
    if (read(hold[0], &c, 1) != 1)
        return (void *)1;
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    void *ret;

    dir = argc > 1 ? argv[1] : "/tmp";
    memset(buf, 'w', sizeof buf);
    puts("one thread:");
    all_cases();

    /* it starts with every signal blocked, so SIGALRM never finds it before its own mask */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (pipe(hold) || pthread_create(&t, NULL, idle_thread, NULL))
        return 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    puts("with a second thread blocked in read:");
    all_cases();
    if (write(hold[1], "x", 1) != 1 || pthread_join(t, &ret) || ret)
        return 2;
    puts("done");
    return 0;
}
