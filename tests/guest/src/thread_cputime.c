/* Per-thread CPU clocks: a thread that spins until its own CPU clock passes 60 ms and one
   that sleeps 150 ms read their own CLOCK_THREAD_CPUTIME_ID, their pthread_getcpuclockid clock and
   getrusage(RUSAGE_THREAD); the main thread reads the spinner's clock by its clock id while the
   spinner is alive, then the process clock (CLOCK_PROCESS_CPUTIME_ID and
   clock_getcpuclockid(getpid())). Only inequalities are printed (a sleeper's time is a small
   part of a spinner's, a process's is at least the sum of its threads'), and the clocks'
   resolutions and the errors for clock ids that name nothing, so the output does not depend on
   the host's speed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* include/linux/posix-timers.h */
#define CPUCLOCK_SCHED 2
#define MAKE_THREAD_CPUCLOCK(tid, clock) ((clockid_t)(~(unsigned)(tid) << 3) | (clockid_t)((clock) | 4))
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((clockid_t)(~(unsigned)(pid) << 3) | (clockid_t)(clock))

static long long ns(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts))
        return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono(void)
{
    return ns(CLOCK_MONOTONIC);
}

struct reading {
    long long own, by_id, rusage;
};

static long long rusage_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void read_own(struct reading *r)
{
    clockid_t id;
    pthread_getcpuclockid(pthread_self(), &id);
    r->own = ns(CLOCK_THREAD_CPUTIME_ID);
    r->by_id = ns(id);
    r->rusage = rusage_ns();
}

static struct reading spin_r, sleep_r;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int spun, looked;
static volatile unsigned long sink;
static long long spin_wall, created;

static void *spinner(void *arg)
{
    (void)arg;
    while (ns(CLOCK_THREAD_CPUTIME_ID) < 60000000LL)
        for (int i = 0; i < 1000; i++)
            sink += i;
    read_own(&spin_r);
    /* from before its creation: all of its CPU time is spent after that, under any emulator
       (whose thread start-up, translating libc's, may take more CPU than a native one's) */
    spin_wall = mono() - created;
    pthread_mutex_lock(&mu);
    spun = 1;
    pthread_cond_broadcast(&cv);
    while (!looked)         /* alive until main has read its clock */
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec d = {0, 150000000};
    nanosleep(&d, NULL);
    read_own(&sleep_r);
    return NULL;
}

static const char *yes(int c)
{
    return c ? "yes" : "NO";
}

static void res(const char *what, clockid_t c)
{
    struct timespec ts;
    if (clock_getres(c, &ts))
        printf("clock_getres(%s): %s\n", what, strerror(errno));
    else
        printf("clock_getres(%s): %ld.%09ld\n", what, (long)ts.tv_sec, ts.tv_nsec);
}

int main(void)
{
    pthread_t a, b;
    clockid_t a_id;

    res("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
    res("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
    res("own thread, CPUCLOCK_SCHED", MAKE_THREAD_CPUCLOCK(syscall(SYS_gettid), CPUCLOCK_SCHED));
    res("thread id 0, CPUCLOCK_SCHED", MAKE_THREAD_CPUCLOCK(0, CPUCLOCK_SCHED));
    res("own process, CPUCLOCK_SCHED", MAKE_PROCESS_CPUCLOCK(getpid(), CPUCLOCK_SCHED));
    res("bad clock kind 3", MAKE_THREAD_CPUCLOCK(0, 3));

    created = mono();
    if (pthread_create(&a, NULL, spinner, NULL) || pthread_create(&b, NULL, sleeper, NULL))
        return 1;
    pthread_getcpuclockid(a, &a_id);
    pthread_mutex_lock(&mu);
    while (!spun)
        pthread_cond_wait(&cv, &mu);
    long long a_seen = ns(a_id);
    looked = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    long long proc = ns(CLOCK_PROCESS_CPUTIME_ID);
    clockid_t pid_clock;
    clock_getcpuclockid(getpid(), &pid_clock);
    long long proc2 = ns(pid_clock);

    printf("spinner's own clock > 10 ms: %s\n", yes(spin_r.own > 10000000LL));
    printf("spinner's own clock <= the wall time it spun: %s\n", yes(spin_r.own <= spin_wall));
    printf("spinner's clock by its id >= its own reading: %s\n", yes(spin_r.by_id >= spin_r.own));
    printf("spinner's RUSAGE_THREAD > 10 ms: %s\n", yes(spin_r.rusage > 10000000LL));
    printf("main read the spinner's clock by id, >= the spinner's reading: %s\n",
           yes(a_seen >= spin_r.by_id));
    printf("sleeper's own clock < spinner's / 2: %s\n", yes(sleep_r.own >= 0 &&
                                                          sleep_r.own < spin_r.own / 2));
    printf("sleeper's clock by id < spinner's / 2: %s\n", yes(sleep_r.by_id >= 0 &&
                                                            sleep_r.by_id < spin_r.own / 2));
    printf("sleeper's RUSAGE_THREAD < spinner's / 2: %s\n", yes(sleep_r.rusage < spin_r.own / 2));
    printf("process clock >= spinner + sleeper: %s\n", yes(proc >= a_seen + sleep_r.by_id));
    printf("clock_getcpuclockid(getpid()) >= the process clock: %s\n", yes(proc2 >= proc));
    /* pid 1's thread is in another thread group: its clock is not ours to read */
    long long other = ns(MAKE_THREAD_CPUCLOCK(1, CPUCLOCK_SCHED));
    printf("thread clock of tid 1: %s\n", other < 0 ? strerror((int)-other) : "readable");
    return 0;
}
