/* eventfd2 and epoll on eventfds and pipes: counter and semaphore reads, EAGAIN, the error
 * paths (EINVAL, EBADF, EEXIST, ENOENT, EPERM, EFAULT), level vs edge triggering, EPOLLONESHOT,
 * the 64-bit data word, epoll_pwait's timeout, and a SIGALRM ending a blocked epoll_wait with
 * EINTR (and a blocked eventfd read, restarted under SA_RESTART). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <fcntl.h>

static volatile int alarms;
/* through a volatile, so that gcc does not warn about the wild pointer it cannot see */
static struct epoll_event *volatile wild = (struct epoll_event *)16;
static void on_alarm(int sig) { (void)sig; alarms++; }

#define CHECK(what, expr) do { long r_ = (long)(expr); \
    printf("%-34s %ld%s%s\n", what, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static void arm(int ms) {
    struct itimerval it = {{0, 0}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, 0);
}

int main(void) {
    uint64_t v;
    setvbuf(stdout, 0, _IONBF, 0);
    printf("sizeof(struct epoll_event) = %zu\n", sizeof(struct epoll_event));

    int e = eventfd(5, EFD_NONBLOCK);
    CHECK("eventfd(5, NONBLOCK) >= 0", e >= 0);
    CHECK("read counter", read(e, &v, 8)); printf("  value %llu\n", (unsigned long long)v);
    CHECK("read empty (EAGAIN)", read(e, &v, 8));
    v = 2; CHECK("write 2", write(e, &v, 8));
    v = 7; CHECK("write 7", write(e, &v, 8));
    CHECK("read short buffer (EINVAL)", read(e, &v, 4));
    CHECK("read", read(e, &v, 8)); printf("  value %llu\n", (unsigned long long)v);
    v = UINT64_MAX; CHECK("write ~0 (EINVAL)", write(e, &v, 8));
    CHECK("fcntl GETFL nonblock", (fcntl(e, F_GETFL) & O_NONBLOCK) != 0);
    CHECK("fcntl GETFD cloexec", fcntl(e, F_GETFD));

    int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK("fcntl GETFD cloexec", fcntl(s, F_GETFD));
    CHECK("sem read", read(s, &v, 8)); printf("  value %llu\n", (unsigned long long)v);
    CHECK("sem read", read(s, &v, 8)); printf("  value %llu\n", (unsigned long long)v);
    CHECK("sem read (EAGAIN)", read(s, &v, 8));
    CHECK("eventfd bad flags (EINVAL)", syscall(SYS_eventfd2, 0, 0x10));

    /* epoll */
    CHECK("epoll_create1 bad flags (EINVAL)", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK("epoll_create1 >= 0", ep >= 0);
    CHECK("epoll cloexec", fcntl(ep, F_GETFD));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    CHECK("ctl add eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
    CHECK("ctl add again (EEXIST)", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
    CHECK("ctl mod unknown (ENOENT)", epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev));
    CHECK("ctl del unknown (ENOENT)", epoll_ctl(ep, EPOLL_CTL_DEL, s, 0));
    CHECK("ctl bad fd (EBADF)", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
    CHECK("ctl bad epfd (EBADF)", epoll_ctl(999, EPOLL_CTL_ADD, e, &ev));
    CHECK("ctl epfd not epoll (EINVAL)", epoll_ctl(s, EPOLL_CTL_ADD, e, &ev));
    CHECK("ctl self (EINVAL)", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    CHECK("ctl bad op (EINVAL)", epoll_ctl(ep, 9, s, &ev));
    CHECK("ctl wild event (EFAULT)", epoll_ctl(ep, EPOLL_CTL_ADD, s, wild));
    int rf = open("/proc/self/exe", O_RDONLY);
    CHECK("ctl regular file (EPERM)", epoll_ctl(ep, EPOLL_CTL_ADD, rf, &ev));
    close(rf);

    struct epoll_event out[4];
    memset(out, 0xAA, sizeof out);
    CHECK("wait nothing ready", epoll_wait(ep, out, 4, 0));
    CHECK("wait 30 ms nothing ready", epoll_wait(ep, out, 4, 30));
    CHECK("wait maxevents 0 (EINVAL)", epoll_wait(ep, out, 0, 0));
    CHECK("wait bad epfd (EBADF)", epoll_wait(999, out, 1, 0));
    CHECK("wait not epoll (EINVAL)", epoll_wait(e, out, 1, 0));
    v = 1; write(e, &v, 8);
    CHECK("wait ready", epoll_wait(ep, out, 4, -1));
    printf("  events %#x data %#llx\n", out[0].events, (unsigned long long)out[0].data.u64);
    CHECK("wait level-triggered again", epoll_wait(ep, out, 4, 0));
    CHECK("wait wild events (EFAULT)", epoll_wait(ep, wild, 4, 0));

    /* edge-triggered + pipe */
    int pfd[2];
    pipe(pfd);
    ev.events = EPOLLIN | EPOLLET; ev.data.fd = pfd[0];
    CHECK("ctl add pipe ET", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev));
    ev.events = EPOLLOUT | EPOLLONESHOT; ev.data.u32 = 77;
    CHECK("ctl add pipe write ONESHOT", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[1], &ev));
    read(e, &v, 8);                 /* eventfd no longer ready */
    CHECK("wait oneshot out", epoll_wait(ep, out, 4, 0));
    printf("  events %#x data %u\n", out[0].events, out[0].data.u32);
    CHECK("wait oneshot disarmed", epoll_wait(ep, out, 4, 0));
    write(pfd[1], "abc", 3);
    CHECK("wait pipe ET", epoll_wait(ep, out, 4, 0));
    printf("  events %#x fd==pfd0 %d\n", out[0].events, out[0].data.fd == pfd[0]);
    CHECK("wait pipe ET again (none)", epoll_wait(ep, out, 4, 0));
    ev.events = EPOLLOUT; ev.data.u32 = 78;
    CHECK("ctl mod rearm", epoll_ctl(ep, EPOLL_CTL_MOD, pfd[1], &ev));
    CHECK("wait rearmed", epoll_wait(ep, out, 4, 0));
    printf("  data %u\n", out[0].data.u32);
    CHECK("ctl del", epoll_ctl(ep, EPOLL_CTL_DEL, pfd[1], 0));
    close(pfd[1]);
    CHECK("wait hangup", epoll_wait(ep, out, 4, 0));
    printf("  events %#x\n", out[0].events);
    close(pfd[0]);
    CHECK("wait after close", epoll_wait(ep, out, 4, 0));

    /* signals: epoll_wait is never restarted; a blocking eventfd read is under SA_RESTART */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    arm(20);
    CHECK("wait interrupted (EINTR)", epoll_wait(ep, out, 4, -1));
    printf("  alarms %d\n", alarms);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, 0);
    sigset_t none;
    sigemptyset(&none);
    arm(20);
    CHECK("epoll_pwait unblocks (EINTR)", epoll_pwait(ep, out, 4, -1, &none));
    printf("  alarms %d\n", alarms);
    sigprocmask(SIG_UNBLOCK, &block, 0);
    int b = eventfd(0, 0);
    arm(20);
    CHECK("blocking read interrupted (EINTR)", read(b, &v, 8));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    if (fork() == 0) {
        usleep(60000);
        v = 42;
        write(b, &v, 8);
        _exit(0);
    }
    arm(20);
    CHECK("blocking read restarted", read(b, &v, 8));
    printf("  value %llu alarms %d\n", (unsigned long long)v, alarms);
    close(ep);
    CHECK("close epoll", 0);
    return 0;
}
