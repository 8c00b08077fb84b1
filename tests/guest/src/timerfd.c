/* timerfd: one-shot and periodic timers read as expiration counts, absolute times, the old
 * value from settime, gettime, disarming, EAGAIN, epoll readiness, the errnos (EINVAL, EBADF,
 * EFAULT), and a SIGALRM ending a blocking read with EINTR. Counts that depend on timing are
 * printed as bounds. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHECK(what, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-34s %ld%s%s\n", what, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static struct itimerspec *volatile wild = (struct itimerspec *)16;
static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static struct itimerspec ms(long value, long interval) {
    struct itimerspec t = {{interval / 1000, interval % 1000 * 1000000},
                           {value / 1000, value % 1000 * 1000000}};
    return t;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    uint64_t n;
    CHECK("create bad clock (EINVAL)", timerfd_create(12345, 0));
    /* unknown flags are EINVAL on Linux; qemu-aarch64 7.2 creates the timer (test_linux_syscalls) */
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK("create", t);
    CHECK("read unarmed (EAGAIN)", read(t, &n, 8));
    struct itimerspec v = ms(20, 0), old, cur;
    CHECK("settime bad flags (EINVAL)", timerfd_settime(t, 0x10, &v, 0));
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    CHECK("settime bad nsec (EINVAL)", timerfd_settime(t, 0, &bad, 0));
    CHECK("settime wild (EFAULT)", timerfd_settime(t, 0, wild, 0));
    CHECK("settime bad fd (EBADF)", timerfd_settime(999, 0, &v, 0));
    int e = eventfd(0, 0);
    CHECK("settime on an eventfd (EINVAL)", timerfd_settime(e, 0, &v, 0));
    CHECK("gettime wild (EFAULT)", timerfd_gettime(t, wild));

    v = ms(150, 0);     /* long enough that a loaded machine still reads it before it fires */
    CHECK("settime one-shot 150 ms", timerfd_settime(t, 0, &v, &old));
    timerfd_gettime(t, &cur);
    printf("  old %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);
    printf("  left <= 150 ms %d > 0 %d\n", cur.it_value.tv_nsec <= 150000000 && cur.it_value.tv_sec == 0,
           cur.it_value.tv_nsec > 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 9};
    epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
    CHECK("epoll_wait for it", epoll_wait(ep, &ev, 1, 2000));
    printf("  events %#x data %u\n", ev.events, ev.data.u32);
    CHECK("read", read(t, &n, 8));
    printf("  expirations %llu\n", (unsigned long long)n);
    CHECK("read again (EAGAIN)", read(t, &n, 8));
    CHECK("read short (EINVAL)", read(t, &n, 4));

    /* periodic, blocking */
    int b = timerfd_create(CLOCK_MONOTONIC, 0);
    v = ms(10, 10);
    timerfd_settime(b, 0, &v, 0);
    CHECK("blocking read periodic", read(b, &n, 8));
    usleep(35000);
    read(b, &n, 8);
    printf("  expirations after 35 ms >= 3: %d\n", n >= 3);
    timerfd_gettime(b, &cur);
    printf("  interval %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    v = ms(0, 0);
    CHECK("disarm", timerfd_settime(b, 0, &v, &old));
    printf("  old interval %ld.%09ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    timerfd_gettime(b, &cur);
    printf("  now %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* absolute, already past: fires at once */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, now.tv_nsec}};
    CHECK("settime absolute in the past", timerfd_settime(b, TFD_TIMER_ABSTIME, &abs, 0));
    CHECK("read", read(b, &n, 8));
    printf("  expirations %llu\n", (unsigned long long)n);

    /* a blocking read of a disarmed timer ends with a handled SIGALRM */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    CHECK("blocking read, SIGALRM (EINTR)", read(b, &n, 8));
    printf("  alarms %d\n", alarms);
    return 0;
}
