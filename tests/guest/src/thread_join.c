/* pthread_create + pthread_join: each thread computes a sum and returns it as its result. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define N 4

static void *work(void *arg)
{
    uintptr_t k = (uintptr_t)arg, s = 0;
    for (uintptr_t i = 1; i <= 1000 * (k + 1); i++)
        s += i * (k + 1);
    return (void *)s;
}

int main(void)
{
    pthread_t t[N];
    for (uintptr_t k = 0; k < N; k++)
        if (pthread_create(&t[k], NULL, work, (void *)k) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    uintptr_t total = 0;
    for (int k = 0; k < N; k++) {
        void *r;
        pthread_join(t[k], &r);
        printf("thread %d returned %lu\n", k, (unsigned long)(uintptr_t)r);
        total += (uintptr_t)r;
    }
    printf("total %lu\n", (unsigned long)total);
    return 0;
}
