/* 16 threads hammer raw futexes: a futex-based lock (WAIT/WAKE, private), a WAKE_OP, a
   CMP_REQUEUE from a gate to the lock word, and WAIT_BITSET with an absolute timeout that
   expires. Results are printed after join. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define T 16
#define ITERS 300

static int lockword;        /* 0 free, 1 locked, 2 locked with waiters */
static long counter;
static int gate;            /* threads wait here until main opens it */
static int gate_waiters;

static long futex(int *uaddr, int op, int val, const void *timeout, int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static void lock(void)
{
    int c = 0;
    if (__atomic_compare_exchange_n(&lockword, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    if (c != 2)
        c = __atomic_exchange_n(&lockword, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        futex(&lockword, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = __atomic_exchange_n(&lockword, 2, __ATOMIC_ACQUIRE);
    }
}

static void unlock(void)
{
    if (__atomic_fetch_sub(&lockword, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(&lockword, 0, __ATOMIC_RELEASE);
        futex(&lockword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

static void *work(void *arg)
{
    __atomic_fetch_add(&gate_waiters, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
        futex(&gate, FUTEX_WAIT, 0, NULL, NULL, 0);     /* shared (non-private) futex */
    for (int i = 0; i < ITERS; i++) {
        lock();
        counter++;
        if (i % 50 == 0)
            sched_yield();
        unlock();
    }
    return NULL;
}

int main(void)
{
    pthread_t t[T];
    for (int i = 0; i < T; i++)
        pthread_create(&t[i], NULL, work, NULL);
    while (__atomic_load_n(&gate_waiters, __ATOMIC_SEQ_CST) < T)
        sched_yield();
    /* open the gate: wake one, requeue the rest onto the gate word itself is pointless, so
       requeue them onto a second word and wake them from there with WAKE_OP */
    static int second;
    __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
    long r = futex(&gate, FUTEX_CMP_REQUEUE, 1, (void *)(uintptr_t)1000, &second, 1);
    long woken = r >= 0 ? 1 : -1;
    /* WAKE_OP: *second = 5 (FUTEX_OP_SET), wake all waiters of gate, and of second if old==0 */
    long r2 = futex(&gate, FUTEX_WAKE_OP, 1000, (void *)(uintptr_t)1000, &second,
                    FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
    for (int i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    printf("requeue ok %d wake_op ok %d second %d\n", woken == 1, r2 >= 0, second);
    printf("counter %ld (expected %d)\n", counter, T * ITERS);

    /* WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline 20 ms ahead: times out */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    int w = 0;
    long tr = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
    printf("wait_bitset %s\n", tr == -1 && errno == ETIMEDOUT ? "timed out" : "unexpected");
    /* relative timeout WAIT */
    struct timespec rel = {0, 10000000};
    tr = futex(&w, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0);
    printf("wait %s\n", tr == -1 && errno == ETIMEDOUT ? "timed out" : "unexpected");
    tr = futex(&w, FUTEX_WAIT_PRIVATE, 1, &rel, NULL, 0);
    printf("wait mismatch %s\n", tr == -1 && errno == EAGAIN ? "EAGAIN" : "unexpected");
    return counter != T * ITERS;
}
