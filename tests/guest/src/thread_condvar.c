/* Producer/consumer over a bounded queue with a mutex and two condition variables:
   2 producers, 2 consumers; the consumers' sums are printed after join. */
#include <pthread.h>
#include <stdio.h>

#define CAP 4
#define ITEMS 2000

static int queue[CAP];
static int head, count, done_producers;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    int base = (int)(long)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == CAP)
            pthread_cond_wait(&not_full, &m);
        queue[(head + count) % CAP] = base + i;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&m);
    done_producers++;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *consumer(void *arg)
{
    long *sum = arg;
    for (;;) {
        pthread_mutex_lock(&m);
        while (count == 0 && done_producers < 2)
            pthread_cond_wait(&not_empty, &m);
        if (count == 0) {
            pthread_mutex_unlock(&m);
            return NULL;
        }
        int v = queue[head];
        head = (head + 1) % CAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
        *sum += v;
    }
}

int main(void)
{
    pthread_t p[2], c[2];
    long sums[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, consumer, &sums[i]);
    for (int i = 0; i < 2; i++)
        pthread_create(&p[i], NULL, producer, (void *)(long)(i * 100000));
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    long expect = 0;
    for (int i = 1; i <= ITEMS; i++)
        expect += i + (i + 100000);
    printf("total %ld expected %ld\n", sums[0] + sums[1], expect);
    return sums[0] + sums[1] != expect;
}
