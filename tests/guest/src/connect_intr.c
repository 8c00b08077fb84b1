/* A blocking connect() that really waits, ended by a SIGALRM handler (from setitimer):
   to an AF_UNIX listener whose backlog is full (unix_stream_connect waits in
   unix_wait_for_peer) and to a loopback TCP listener whose accept queue is full (the SYN is
   dropped and retransmitted; inet_wait_for_connect). Both return sock_intr_errno: -ERESTARTSYS
   with no SO_SNDTIMEO, so under SA_RESTART the connect is restarted (the handler accepts one
   queued connection, making room) and succeeds; without SA_RESTART it fails with EINTR, and a
   TCP connect called again on the same socket (still connecting) waits and succeeds. Also
   once with a second thread alive, blocked in a read with every signal blocked. Output:
   results and errnos only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static int accept_fd = -1;     /* the handler accepts one connection from it */

static void on_alarm(int sig)
{
    (void)sig;
    hits++;
    if (accept_fd >= 0) {
        int a = accept(accept_fd, NULL, NULL);
        if (a < 0)
            _exit(3);
        close(a);
    }
}

static void arm(int flags, int lfd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
    accept_fd = lfd;
    hits = 0;
    struct itimerval it = {{0, 0}, {0, 150000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void result(const char *what, int r, int err)
{
    if (r == 0)
        printf("  %s: 0, handler ran %d\n", what, (int)hits);
    else
        printf("  %s: -1 %s, handler ran %d\n", what, err == EINTR ? "EINTR" : strerror(err),
               (int)hits);
}

/* a listener whose queue is full: n clients connected and never accepted */
static int full_listener(int family, struct sockaddr_storage *sa, socklen_t *len, int *clients,
                         int n)
{
    int l = socket(family, SOCK_STREAM, 0);
    if (family == AF_UNIX) {
        struct sockaddr_un *u = (struct sockaddr_un *)sa;
        memset(u, 0, sizeof *u);
        u->sun_family = AF_UNIX;
        /* abstract: nothing on disk; the pid keeps concurrent runs apart */
        int k = snprintf(u->sun_path + 1, sizeof u->sun_path - 1, "connect_intr.%d.%d",
                         (int)getpid(), l);
        *len = offsetof(struct sockaddr_un, sun_path) + 1 + k;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        memset(in, 0, sizeof *in);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *in;
    }
    if (l < 0 || bind(l, (struct sockaddr *)sa, *len) || listen(l, 1))
        exit(1);
    *len = sizeof *sa;
    getsockname(l, (struct sockaddr *)sa, len);
    for (int i = 0; i < n; i++) {
        clients[i] = socket(family, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)sa, *len))
            exit(2);
    }
    return l;
}

static void close_all(int l, int *c, int n)
{
    close(l);
    for (int i = 0; i < n; i++)
        close(c[i]);
}

static void cases(int family, const char *kind)
{
    /* backlog 1: an AF_UNIX listener takes 2 before it is full, a TCP one 2 as well */
    enum { N = 2 };
    struct sockaddr_storage sa;
    socklen_t len;
    int c[N], l, s, r;
    char name[80];

    snprintf(name, sizeof name, "%s full, SA_RESTART", kind);
    l = full_listener(family, &sa, &len, c, N);
    s = socket(family, SOCK_STREAM, 0);
    arm(SA_RESTART, l);
    errno = 0;
    r = connect(s, (struct sockaddr *)&sa, len);
    result(name, r, errno);
    close(s);
    close_all(l, c, N);

    snprintf(name, sizeof name, "%s full, no SA_RESTART", kind);
    l = full_listener(family, &sa, &len, c, N);
    s = socket(family, SOCK_STREAM, 0);
    arm(0, -1);
    errno = 0;
    r = connect(s, (struct sockaddr *)&sa, len);
    result(name, r, errno);
    if (family == AF_INET) {
        /* still connecting: after room is made, connect again waits for it to complete */
        int a = accept(l, NULL, NULL);
        close(a);
        errno = 0;
        r = connect(s, (struct sockaddr *)&sa, len);
        snprintf(name, sizeof name, "%s connect again", kind);
        result(name, r, errno);
        errno = 0;
        r = connect(s, (struct sockaddr *)&sa, len);
        snprintf(name, sizeof name, "%s connected, connect again", kind);
        result(name, r, errno);
    }
    close(s);
    close_all(l, c, N);
}

static int hold[2];

static void *idle_thread(void *arg)
{
    char c;
    (void)arg;
    if (read(hold[0], &c, 1) != 1)
        return (void *)1;
    return NULL;
}

int main(void)
{
    pthread_t t;
    void *ret;

    puts("one thread:");
    cases(AF_UNIX, "unix");
    cases(AF_INET, "tcp");

    /* the thread starts with every signal blocked: SIGALRM is the connecting thread's */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (pipe(hold) || pthread_create(&t, NULL, idle_thread, NULL))
        return 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    puts("with a second thread blocked in read:");
    cases(AF_UNIX, "unix");
    cases(AF_INET, "tcp");
    if (write(hold[1], "x", 1) != 1 || pthread_join(t, &ret) || ret)
        return 2;
    puts("done");
    return 0;
}
