/* Process-directed and thread-directed signals with three threads of different masks (Linux's
   complete_signal and dequeue_signal):
   - kill() of a signal that only T1 leaves unblocked, inside sigsuspend: T1 takes it, whether
     it is already in sigsuspend (the temporary mask is in force while it waits) or not yet
     (the signal waits, pending for the process); T1's mask is back afterwards;
   - kill() from T2 of a signal nobody blocks: the main thread takes it (Linux picks it first);
   - pthread_kill to T2 and raise in T1: only that thread;
   - a signal blocked by every thread stays pending for the process: sigpending shows it in
     every thread, beside a thread's own pthread_kill'ed one; the thread that unblocks it
     takes it;
   - sigtimedwait with a timeout while another thread runs, then sigwaitinfo of a signal
     pthread_kill'ed to it.
   Results are kept per thread and printed by the main thread between barriers, so the output
   does not depend on how the threads interleave. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NT 3
static const char *NAME[NT] = {"main", "T1", "T2"};
static __thread int me;
static volatile sig_atomic_t hits[NT][65];
static volatile int after_mask[NT], pend_term[NT][2], pend_int[NT][2], done;
static pthread_barrier_t bar;
static pthread_t th[NT];
static struct { int r, e, slow_enough; int got, code, from_us; } waitres;

static void on_sig(int sig) { hits[me][sig]++; }

static void set_mask(int a, int b, int c, int d)
{
    sigset_t m;
    sigemptyset(&m);
    int s[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        if (s[i]) sigaddset(&m, s[i]);
    pthread_sigmask(SIG_SETMASK, &m, NULL);
}

static int is_blocked(int sig)
{
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    return sigismember(&m, sig);
}

static void record_pending(int k)
{
    sigset_t p;
    sigpending(&p);
    pend_term[me][k] = sigismember(&p, SIGTERM);
    pend_int[me][k] = sigismember(&p, SIGINT);
}

static void sync_all(void) { pthread_barrier_wait(&bar); }

static void print_hits(const char *what, int sig)
{
    printf("%s: handled by", what);
    for (int i = 0; i < NT; i++)
        if (hits[i][sig]) printf(" %s(%d)", NAME[i], (int)hits[i][sig]);
    printf("\n");
}

static void suspend_until(int sig, sigset_t *m)
{
    while (!hits[me][sig])
        sigsuspend(m);
}

static void *t1(void *arg)
{
    me = 1;
    set_mask(SIGUSR1, SIGTERM, SIGINT, SIGRTMIN);
    sync_all();                                     /* 1 */
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    sigdelset(&m, SIGUSR1);
    suspend_until(SIGUSR1, &m);
    after_mask[1] = is_blocked(SIGUSR1);
    sync_all();                                     /* 2 */
    sync_all();                                     /* 3 */
    raise(SIGUSR2);
    sync_all();                                     /* 4 */
    sync_all();                                     /* 5 */
    record_pending(0);
    sync_all();                                     /* 6 */
    sync_all();                                     /* 7 */
    sync_all();                                     /* 8 */
    record_pending(1);
    sync_all();                                     /* 9 */
    sync_all();                                     /* 10 */
    /* sigtimedwait times out while main runs; then a pthread_kill'ed signal is waited for */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    struct timespec t0, t, tmo = {0, 100000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    waitres.r = sigtimedwait(&rt, NULL, &tmo);
    waitres.e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t);
    waitres.slow_enough = (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec)
                          >= 100000000L;
    __atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
    siginfo_t si;
    waitres.got = sigwaitinfo(&rt, &si);
    waitres.code = si.si_code;
    waitres.from_us = si.si_pid == getpid();
    sync_all();                                     /* 11 */
    return arg;
}

static void *t2(void *arg)
{
    me = 2;
    set_mask(SIGUSR1, SIGTERM, 0, 0);
    sync_all();                                     /* 1 */
    sync_all();                                     /* 2 */
    /* main waits in sigsuspend by now; it takes a signal nobody blocks */
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    kill(getpid(), SIGUSR2);
    sync_all();                                     /* 3 */
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    suspend_until(SIGUSR2, &m);
    sync_all();                                     /* 4 */
    sync_all();                                     /* 5 */
    record_pending(0);
    sync_all();                                     /* 6 */
    sync_all();                                     /* 7 */
    set_mask(SIGUSR1, 0, 0, 0);                     /* unblocks SIGTERM: it is ours now */
    sync_all();                                     /* 8 */
    record_pending(1);
    sync_all();                                     /* 9 */
    sync_all();                                     /* 10 */
    sync_all();                                     /* 11 */
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    set_mask(SIGUSR1, SIGTERM, 0, 0);
    pthread_barrier_init(&bar, NULL, NT);
    th[0] = pthread_self();
    pthread_create(&th[1], NULL, t1, NULL);
    pthread_create(&th[2], NULL, t2, NULL);

    sync_all();                                     /* 1 */
    kill(getpid(), SIGUSR1);
    sync_all();                                     /* 2 */
    print_hits("kill SIGUSR1, unblocked only in T1's sigsuspend", SIGUSR1);
    printf("T1 blocks SIGUSR1 again after sigsuspend: %d\n", after_mask[1]);

    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    suspend_until(SIGUSR2, &m);
    print_hits("kill SIGUSR2 from T2, blocked by nobody", SIGUSR2);
    sync_all();                                     /* 3 */
    pthread_kill(th[2], SIGUSR2);
    sync_all();                                     /* 4 */
    print_hits("then raise in T1 and pthread_kill to T2", SIGUSR2);

    kill(getpid(), SIGTERM);                        /* blocked by all three */
    pthread_kill(th[1], SIGINT);                    /* T1 blocks it */
    sync_all();                                     /* 5 */
    record_pending(0);
    sync_all();                                     /* 6 */
    for (int i = 0; i < NT; i++)
        printf("sigpending in %s: SIGTERM %d SIGINT %d\n", NAME[i], pend_term[i][0],
               pend_int[i][0]);
    print_hits("SIGTERM while blocked by all", SIGTERM);
    sync_all();                                     /* 7 */
    sync_all();                                     /* 8 */
    record_pending(1);
    sync_all();                                     /* 9 */
    print_hits("SIGTERM once T2 unblocked it", SIGTERM);
    for (int i = 0; i < NT; i++)
        printf("then sigpending in %s: SIGTERM %d SIGINT %d\n", NAME[i], pend_term[i][1],
               pend_int[i][1]);
    sync_all();                                     /* 10 */

    /* busy while T1's sigtimedwait runs out */
    volatile unsigned long spin = 0;
    while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
        spin++;
    pthread_kill(th[1], SIGRTMIN);
    sync_all();                                     /* 11 */
    printf("T1 sigtimedwait 100 ms: %d %s, waited long enough: %d\n", waitres.r,
           waitres.e == EAGAIN ? "EAGAIN" : strerror(waitres.e), waitres.slow_enough);
    printf("T1 sigwaitinfo: SIGRTMIN %d, si_code %d, from this process %d\n",
           waitres.got == SIGRTMIN, waitres.code, waitres.from_us);
    print_hits("SIGINT, still blocked in T1", SIGINT);
    pthread_join(th[1], NULL);
    pthread_join(th[2], NULL);
    return 0;
}
