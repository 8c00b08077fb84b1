/* Thread-local storage: a __thread variable per thread, and pthread_key_create with a
   destructor that runs at each thread's exit (the destructor's sums are printed after join). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define T 5

static __thread long tls_value = 7;
static pthread_key_t key;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long destructor_sum;
static int destructor_calls;

static void destroy(void *p)
{
    pthread_mutex_lock(&m);
    destructor_sum += *(long *)p;
    destructor_calls++;
    pthread_mutex_unlock(&m);
    free(p);
}

static void *work(void *arg)
{
    long id = (long)arg;
    tls_value += id * 10;
    long *v = malloc(sizeof *v);
    *v = id * 100 + tls_value;
    pthread_setspecific(key, v);
    return (void *)tls_value;
}

int main(void)
{
    pthread_t t[T];
    pthread_key_create(&key, destroy);
    for (long i = 0; i < T; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < T; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d tls %ld\n", i, (long)r);
    }
    printf("main tls %ld\n", tls_value);
    printf("destructors %d sum %ld\n", destructor_calls, destructor_sum);
    return 0;
}
