/* SIGALRM to a handler: from setitimer (one-shot and periodic, getitimer while armed), from
   alarm() interrupting pause() and nanosleep() (EINTR with the time left), a read of an empty
   pipe interrupted (EINTR) and restarted (SA_RESTART), a POSIX timer (timer_create,
   SIGEV_SIGNAL with its sigev_value), sigsuspend, poll on a pipe, and at last a default SIGALRM
   that kills the process. Only facts that do not depend on timing are printed, and a timer that
   must interrupt a call is periodic, so a slow start (an emulator compiling code) cannot make
   it fire before the call and leave the call waiting. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, last_code;
static volatile long last_value;
static int feed_fd = -1;        /* the handler writes a byte here (then cleared) */

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    alarms++;
    last_code = si->si_code;
    last_value = si->si_value.sival_int;
    if (feed_fd >= 0) {
        if (write(feed_fd, "r", 1) != 1) _exit(90);
        feed_fd = -1;
    }
}

static void handle(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_alarm;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(SIGALRM, &sa, NULL);
}

/* a call in the spin loop keeps it from being one self-looping TB, which nbemu's compiled code
   runs without ever returning to look for signals (see docs/architecture.md) */
__attribute__((noinline)) static void spin_once(void) { __asm__ volatile(""); }

static const char *err(int e)
{
    return e == EINTR ? "EINTR" : e == 0 ? "none" : strerror(e);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    handle(0);

    /* one-shot setitimer, caught while spinning (no syscalls in the loop) */
    struct itimerval far = {{0, 0}, {100, 0}}, it = {{0, 0}, {0, 20000}}, cur;
    setitimer(ITIMER_REAL, &far, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("armed: %s, interval %ld\n", cur.it_value.tv_sec >= 90 ? "yes" : "no",
           (long)cur.it_interval.tv_usec);
    setitimer(ITIMER_REAL, &it, NULL);
    while (alarms == 0)
        spin_once();
    printf("setitimer one-shot: %d alarm, code %s\n", (int)alarms,
           last_code == SI_KERNEL ? "SI_KERNEL" : "other");
    getitimer(ITIMER_REAL, &cur);
    printf("disarmed after firing: %s\n", cur.it_value.tv_sec || cur.it_value.tv_usec ? "no" : "yes");

    /* periodic: three ticks while pausing */
    alarms = 0;
    struct itimerval per = {{0, 10000}, {0, 10000}};
    setitimer(ITIMER_REAL, &per, NULL);
    while (alarms < 3)
        pause();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("periodic: at least 3 ticks: %s\n", alarms >= 3 ? "yes" : "no");

    /* alarm() interrupts pause() (pause's code already ran above) */
    alarms = 0;
    alarm(0);
    alarm(1);
    errno = 0;
    int r = pause();
    printf("pause: %d %s, alarms %d\n", r, err(errno), (int)alarms);

    /* and nanosleep, which reports the time left */
    alarms = 0;
    struct itimerval shot = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &shot, NULL);
    struct timespec req = {5, 0}, rem = {0, 0};
    errno = 0;
    r = nanosleep(&req, &rem);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("nanosleep: %d %s, time left between 4 and 5 s: %s\n", r, err(errno),
           rem.tv_sec == 4 ? "yes" : "no");

    /* a read of an empty pipe: interrupted without SA_RESTART... */
    int fds[2];
    if (pipe(fds) != 0) return 1;
    char ch;
    setitimer(ITIMER_REAL, &shot, NULL);
    errno = 0;
    ssize_t n = read(fds[0], &ch, 1);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("read without SA_RESTART: %zd %s\n", n, err(errno));

    /* ...restarted with it: the handler writes the byte the restarted read then returns */
    handle(SA_RESTART);
    alarms = 0;
    feed_fd = fds[1];
    setitimer(ITIMER_REAL, &shot, NULL);
    errno = 0;
    n = read(fds[0], &ch, 1);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("read with SA_RESTART: %zd '%c' %s, alarms >= 1: %s\n", n, n == 1 ? ch : '?',
           err(errno), alarms >= 1 ? "yes" : "no");
    alarms = 0;
    setitimer(ITIMER_REAL, &shot, NULL);
    while (alarms == 0) {
        errno = 0;
        struct pollfd pfd = {fds[0], POLLIN, 0};
        r = poll(&pfd, 1, 10);      /* poll is never restarted: EINTR or a timeout */
        if (r != 0 && !(r < 0 && errno == EINTR)) { printf("poll: %d %s\n", r, err(errno)); break; }
    }
    setitimer(ITIMER_REAL, &off, NULL);
    printf("poll on an empty pipe until the alarm: done\n");
    if (write(fds[1], "x", 1) != 1) return 1;
    struct pollfd pfd = {fds[0], POLLIN, 0};
    r = poll(&pfd, 1, 1000);
    printf("poll with data: %d, POLLIN %s\n", r, pfd.revents & POLLIN ? "yes" : "no");
    n = read(fds[0], &ch, 1);
    printf("read: %zd '%c'\n", n, ch);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    struct timeval tv = {0, 1000};
    r = select(fds[0] + 1, &rd, NULL, NULL, &tv);
    printf("select on an empty pipe: %d\n", r);
    if (write(fds[1], "y", 1) != 1) return 1;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    r = select(fds[0] + 1, &rd, NULL, NULL, NULL);
    printf("select with data: %d, readable %s\n", r, FD_ISSET(fds[0], &rd) ? "yes" : "no");
    n = read(fds[0], &ch, 1);

    /* a POSIX timer with a sigev_value */
    alarms = 0;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    sev.sigev_value.sival_int = 1234;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) { perror("timer_create"); return 1; }
    struct itimerspec tfar = {{0, 0}, {100, 0}}, its = {{0, 0}, {0, 20000000}}, gits;
    timer_settime(t, 0, &tfar, NULL);
    timer_gettime(t, &gits);
    printf("timer armed: %s\n", gits.it_value.tv_sec >= 90 ? "yes" : "no");
    timer_settime(t, 0, &its, NULL);
    sigset_t block, old, none;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigemptyset(&none);
    while (alarms == 0)
        sigsuspend(&none);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("timer_create: %d alarm, code %s, value %ld\n", (int)alarms,
           last_code == SI_TIMER ? "SI_TIMER" : "other", last_value);
    timer_delete(t);

    /* a blocked SIGALRM stays pending */
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct itimerval once = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &once, NULL);
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked SIGALRM pending: %s\n", sigismember(&pend, SIGALRM) ? "yes" : "no");
    alarms = 0;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("delivered on unblock: %d\n", (int)alarms);

    /* the default action kills the process */
    signal(SIGALRM, SIG_DFL);
    alarm(1);
    for (;;)
        pause();
}
