/* SCM_RIGHTS over AF_UNIX: fds passed in one process (new lowest-free fd numbers,
 * MSG_CMSG_CLOEXEC, a control buffer too small for all of them) and to a forked child
 * through a named socket bound by a relative path after chdir (argv[1] is an empty directory);
 * SCM_CREDENTIALS; recvmsg's msg_namelen and msg_flags; EBADF for a bad fd in SCM_RIGHTS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static int send_fds(int s, const int *fds, int n, const char *text) {
    char ctl[CMSG_SPACE(8 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)text, strlen(text)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return sendmsg(s, &m, 0);
}

/* receive up to 8 fds with a control buffer of ctlsize bytes; returns how many came */
static int recv_fds(int s, int *fds, size_t ctlsize, int flags, char *text, size_t tlen) {
    char ctl[CMSG_SPACE(8 * sizeof(int))] __attribute__((aligned(8)));
    struct iovec iov = {text, tlen - 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = ctlsize};
    ssize_t r = recvmsg(s, &m, flags);
    if (r < 0) die("recvmsg");
    text[r] = 0;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + n, CMSG_DATA(c), k * sizeof(int));
            n += k;
        }
    /* qemu-aarch64 7.2 loses MSG_CTRUNC when it truncates the fds itself (Linux sets it):
     * tests/test_linux_syscalls.py checks nbemu's, so only a complete receive prints it */
    if (ctlsize >= CMSG_SPACE(2 * sizeof(int)))
        printf("  recvmsg %zd '%s' namelen %u controllen %zu ctrunc %d fds %d\n", r, text,
               m.msg_namelen, m.msg_controllen, !!(m.msg_flags & MSG_CTRUNC), n);
    else
        printf("  recvmsg %zd '%s' namelen %u controllen %zu fds %d\n", r, text,
               m.msg_namelen, m.msg_controllen, n);
    return n;
}

static void show(const char *what, int fd) {
    char buf[64] = {0};
    lseek(fd, 0, SEEK_SET);
    ssize_t r = read(fd, buf, sizeof buf - 1);
    printf("  %s: fd %d cloexec %d reads %zd '%s'\n", what, fd, fcntl(fd, F_GETFD), r, buf);
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc < 2 || chdir(argv[1])) die("chdir");
    int f = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "file contents", 13);
    int pfd[2];
    pipe(pfd);
    write(pfd[1], "pipe contents", 13);
    close(pfd[1]);

    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int two[2] = {f, pfd[0]}, got[8];
    char text[64];
    printf("in-process:\n");
    printf("  sendmsg %d\n", send_fds(sv[0], two, 2, "two fds"));
    int n = recv_fds(sv[1], got, sizeof(text), 0, text, sizeof text);
    if (n == 2) { show("file", got[0]); show("pipe", got[1]); close(got[0]); close(got[1]); }
    printf("  sendmsg %d\n", send_fds(sv[0], &f, 1, "cloexec"));
    n = recv_fds(sv[1], got, CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, text, sizeof text);
    if (n == 1) { show("file", got[0]); close(got[0]); }
    printf("  sendmsg %d\n", send_fds(sv[0], two, 2, "truncated"));
    n = recv_fds(sv[1], got, CMSG_LEN(sizeof(int)), 0, text, sizeof text);
    for (int i = 0; i < n; i++) close(got[i]);
    int bad[2] = {f, 999};
    printf("  sendmsg bad fd: %d %s\n", send_fds(sv[0], bad, 2, "bad"), strerror(errno));
    close(sv[0]);
    close(sv[1]);

    /* SCM_CREDENTIALS: the kernel fills in the sender's pid, uid, gid */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int one = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    send(sv[0], "c", 1, 0);
    char ctl[CMSG_SPACE(sizeof(struct ucred))] __attribute__((aligned(8)));
    char c;
    struct iovec iov = {&c, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = sizeof ctl};
    recvmsg(sv[1], &m, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(cm), sizeof uc);
    printf("credentials: type %d pid ok %d uid ok %d gid ok %d\n", cm->cmsg_type,
           uc.pid == getpid(), uc.uid == getuid(), uc.gid == getgid());
    close(sv[0]);
    close(sv[1]);

    /* to a forked child over a socket named by a relative path */
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "sock"};
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 5;
    if (bind(ls, (struct sockaddr *)&a, alen)) die("bind");
    listen(ls, 1);
    struct sockaddr_un b;
    socklen_t bl = sizeof b;
    getsockname(ls, (struct sockaddr *)&b, &bl);
    printf("named socket: len %u path '%s' exists %d\n", bl, b.sun_path, access("sock", F_OK) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(ls);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, alen)) die("child connect");
        n = recv_fds(s, got, sizeof(text), 0, text, sizeof text);
        if (n == 2) { show("child file", got[0]); show("child pipe", got[1]); }
        write(got[0], " + child", 8);
        _exit(0);
    }
    int cs = accept(ls, (struct sockaddr *)&b, &bl);
    printf("accepted: peer len %u\n", bl);
    lseek(pfd[0], 0, SEEK_SET);
    int pfd2[2];
    pipe(pfd2);
    write(pfd2[1], "second pipe", 11);
    int pass[2] = {f, pfd2[0]};
    int sent = send_fds(cs, pass, 2, "to the child");
    int st;
    waitpid(pid, &st, 0);
    printf("  sendmsg %d\n", sent);
    printf("child exit %d\n", WEXITSTATUS(st));
    show("file after the child wrote", f);
    unlink("sock");
    unlink("data.txt");
    return 0;
}
