/* An epoll echo server and its clients: over an AF_UNIX socketpair with a forked server, and
 * over 127.0.0.1 TCP in one process with non-blocking sockets (listen on port 0, getsockname,
 * EINPROGRESS connect, accept4, EPOLLOUT/EPOLLIN/EPOLLRDHUP), then AF_INET6 UDP on ::1 with
 * sendto/recvfrom addresses, sendmmsg/recvmmsg. Prints only what does not depend on ports or
 * timing. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

/* echo everything read on fd back, upper-cased, until EOF; driven by epoll */
static void unix_server(int fd) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd}, out[2];
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl");
    for (;;) {
        int n = epoll_wait(ep, out, 2, 5000);
        if (n <= 0) die("server epoll_wait");
        char buf[256];
        ssize_t r = read(out[0].data.fd, buf, sizeof buf);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
        write(out[0].data.fd, buf, r);
    }
    _exit(0);
}

static void over_socketpair(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) die("socketpair");
    pid_t pid = fork();
    if (pid == 0) { close(sv[0]); unix_server(sv[1]); }
    close(sv[1]);
    const char *msgs[] = {"hello", "epoll over", "a socketpair"};
    for (int i = 0; i < 3; i++) {
        char buf[64];
        send(sv[0], msgs[i], strlen(msgs[i]), 0);
        ssize_t got = 0, want = strlen(msgs[i]);
        while (got < want) {
            ssize_t r = recv(sv[0], buf + got, sizeof buf - got, 0);
            if (r <= 0) die("recv");
            got += r;
        }
        printf("unix echo: %.*s\n", (int)got, buf);
    }
    shutdown(sv[0], SHUT_WR);
    char c;
    printf("unix EOF after shutdown: %zd\n", recv(sv[0], &c, 1, 0));
    int st;
    waitpid(pid, &st, 0);
    printf("server exit %d\n", WEXITSTATUS(st));
    close(sv[0]);
}

#define NCLIENTS 3
static void over_tcp(void) {
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a)) die("bind");
    if (listen(ls, 8)) die("listen");
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("tcp listener: len %u family %d addr %s port assigned %d\n", al, a.sin_family,
           inet_ntoa(a.sin_addr), a.sin_port != 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1000};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    int cl[NCLIENTS], sent[NCLIENTS] = {0}, got[NCLIENTS] = {0};
    char rbuf[NCLIENTS][64];
    for (int i = 0; i < NCLIENTS; i++) {
        cl[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int r = connect(cl[i], (struct sockaddr *)&a, sizeof a);
        if (i == 0) printf("non-blocking connect: %d %s\n", r, r ? strerror(errno) : "");
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &ev);
    }
    int accepted = 0, done = 0;
    while (done < NCLIENTS) {
        struct epoll_event out[8];
        int n = epoll_wait(ep, out, 8, 5000);
        if (n <= 0) die("tcp epoll_wait");
        for (int k = 0; k < n; k++) {
            unsigned long long id = out[k].data.u64;
            if (id == 1000) {                       /* listener */
                struct sockaddr_in peer;
                socklen_t pl = sizeof peer;
                int c;
                while ((c = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK)) >= 0) {
                    if (peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || pl != sizeof peer)
                        printf("bad peer address\n");
                    ev.events = EPOLLIN | EPOLLRDHUP;
                    ev.data.u64 = 2000 + c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                    accepted++;
                }
                if (errno != EAGAIN) die("accept4");
            } else if (id >= 2000) {                /* a server connection: echo */
                int c = id - 2000;
                char buf[64];
                ssize_t r = recv(c, buf, sizeof buf, 0);
                if (r > 0) send(c, buf, r, MSG_NOSIGNAL);
                else if (r == 0 || (out[k].events & EPOLLRDHUP)) { epoll_ctl(ep, EPOLL_CTL_DEL, c, 0); close(c); }
            } else {                                /* a client */
                int i = id;
                char msg[32];
                int len = snprintf(msg, sizeof msg, "client %d says hi", i);
                if ((out[k].events & EPOLLOUT) && !sent[i]) {
                    int err; socklen_t el = sizeof err;
                    getsockopt(cl[i], SOL_SOCKET, SO_ERROR, &err, &el);
                    if (err) printf("connect error %d\n", err);
                    send(cl[i], msg, len, 0);
                    sent[i] = 1;
                    ev.events = EPOLLIN;
                    ev.data.u64 = i;
                    epoll_ctl(ep, EPOLL_CTL_MOD, cl[i], &ev);
                }
                if (out[k].events & EPOLLIN) {
                    ssize_t r = recv(cl[i], rbuf[i] + got[i], sizeof rbuf[i] - got[i], 0);
                    if (r > 0) got[i] += r;
                    if (got[i] == len) {
                        epoll_ctl(ep, EPOLL_CTL_DEL, cl[i], 0);
                        close(cl[i]);
                        done++;
                    }
                }
            }
        }
    }
    for (int i = 0; i < NCLIENTS; i++) printf("tcp echo %d: %.*s\n", i, got[i], rbuf[i]);
    printf("accepted %d\n", accepted);
    close(ls);
    close(ep);
}

static void over_udp6(void) {
    int s = socket(AF_INET6, SOCK_DGRAM, 0), c = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (bind(s, (struct sockaddr *)&a, sizeof a)) die("bind6");
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    if (sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a) != 8) die("sendto");
    struct sockaddr_in6 from, me;
    socklen_t fl = sizeof from, ml = sizeof me;
    char buf[32];
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    getsockname(c, (struct sockaddr *)&me, &ml);
    char txt[64];
    inet_ntop(AF_INET6, &from.sin6_addr, txt, sizeof txt);
    printf("udp6: %zd '%.*s' from %s len %u same port %d\n", n, (int)n, buf, txt, fl,
           from.sin6_port == me.sin6_port);
    fl = 4;     /* a short address buffer: truncated, the full length comes back */
    sendto(c, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    memset(&from, 0, sizeof from);
    n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("udp6 short name: %zd len %u family %d port zero %d\n", n, fl, from.sin6_family,
           from.sin6_port == 0);

    /* sendmmsg three datagrams, recvmmsg them with MSG_WAITFORONE into room for five */
    connect(c, (struct sockaddr *)&a, sizeof a);
    const char *words[3] = {"one", "three", "seventeen"};
    struct mmsghdr out[3], in[5];
    struct iovec oiov[3], iiov[5];
    char ibuf[5][16];
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        oiov[i].iov_base = (void *)words[i];
        oiov[i].iov_len = strlen(words[i]);
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    for (int i = 0; i < 5; i++) {
        iiov[i].iov_base = ibuf[i];
        iiov[i].iov_len = sizeof ibuf[i];
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    printf("sendmmsg: %d\n", sendmmsg(c, out, 3, 0));
    printf("  msg_len %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);
    struct timespec tmo = {5, 0};
    int got = recvmmsg(s, in, 5, MSG_WAITFORONE, &tmo);
    printf("recvmmsg: %d\n", got);
    for (int i = 0; i < got; i++) printf("  %u '%.*s'\n", in[i].msg_len, (int)in[i].msg_len, ibuf[i]);
    printf("recvmmsg nothing (EAGAIN): %d %s\n", recvmmsg(s, in, 5, MSG_DONTWAIT, 0), strerror(errno));
    close(s);
    close(c);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    over_socketpair();
    over_tcp();
    over_udp6();
    return 0;
}
