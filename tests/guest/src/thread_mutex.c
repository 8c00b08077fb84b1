/* A mutex-protected counter incremented by 8 threads, and a second counter kept with
   __atomic_fetch_add (LDXR/STXR or LSE, as the compiler chooses). */
#include <pthread.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long atomic_counter;

static void *work(void *arg)
{
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("counter %ld (expected %d)\n", counter, THREADS * ITERS);
    printf("atomic %ld (expected %d)\n", atomic_counter, THREADS * ITERS);
    return counter != THREADS * ITERS || atomic_counter != THREADS * ITERS;
}
