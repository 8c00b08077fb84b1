/* Blocking calls in one thread must not stop the others: a reader blocks on an empty pipe
   (read, then poll) while the main thread computes and only then writes; a thread sleeps in
   nanosleep while others count; sigwait-free tgkill to a thread blocked in a futex wait
   (pthread_cond_wait) runs its handler there; fork from a multi-threaded process gives a child
   with only the calling thread; sched_getaffinity from a thread. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static volatile long computed;
static volatile int got_signal, got_signal_tid_ok;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;
static pid_t waiter_tid;

static void *reader(void *arg)
{
    char buf[16];
    ssize_t n = read(fds[0], buf, sizeof buf);      /* blocks until main writes */
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int pr = poll(&pfd, 1, 5000);                   /* blocks until the second write */
    ssize_t n2 = read(fds[0], buf + n, sizeof buf - n);
    return (void *)(long)(n * 100 + pr * 10 + n2);
}

static void *sleeper(void *arg)
{
    struct timespec ts = {0, 30000000};
    nanosleep(&ts, NULL);
    return (void *)1L;
}

static void on_usr1(int sig)
{
    got_signal++;
    got_signal_tid_ok = syscall(SYS_gettid) == waiter_tid;
}

static void *waiter(void *arg)
{
    waiter_tid = syscall(SYS_gettid);
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t r, s, w;
    if (pipe(fds))
        return 1;
    pthread_create(&r, NULL, reader, NULL);
    pthread_create(&s, NULL, sleeper, NULL);
    long acc = 0;
    for (long i = 0; i < 200000; i++)
        acc += i ^ (i >> 3);
    computed = acc;
    write(fds[1], "hello", 5);
    for (long i = 0; i < 100000; i++)
        acc -= i;
    write(fds[1], "world", 5);
    void *rr, *sr;
    pthread_join(r, &rr);
    pthread_join(s, &sr);
    printf("reader %ld sleeper %ld computed %ld\n", (long)rr, (long)sr, computed);

    signal(SIGUSR1, on_usr1);
    pthread_create(&w, NULL, waiter, NULL);
    while (__atomic_load_n(&waiter_tid, __ATOMIC_SEQ_CST) == 0)
        sched_yield();
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);           /* let it reach the condition wait */
    syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
    while (!got_signal)
        sched_yield();
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    pthread_join(w, NULL);
    printf("signal handled %d in the target thread %d\n", got_signal, got_signal_tid_ok);

    cpu_set_t set;
    printf("affinity %d\n", sched_getaffinity(waiter_tid == 0 ? 0 : 0, sizeof set, &set) == 0
           && CPU_COUNT(&set) > 0);

    /* fork with a second thread alive: the child has only this one */
    pthread_mutex_lock(&m);
    go = 0;
    pthread_mutex_unlock(&m);
    pthread_create(&w, NULL, waiter, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child alone: %s\n", "yes");
        fflush(stdout);
        _exit(7);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    pthread_join(w, NULL);
    printf("done\n");
    return 0;
}
