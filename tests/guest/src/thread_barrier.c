/* pthread_barrier: 6 threads run 50 phases; in each phase every thread adds its phase value
   to its own slot, and after the barrier thread 0 checks and folds all slots. */
#include <pthread.h>
#include <stdio.h>

#define T 6
#define PHASES 50

static pthread_barrier_t bar;
static long slot[T];
static long folded;
static int errors;

static void *work(void *arg)
{
    long id = (long)arg;
    for (int ph = 0; ph < PHASES; ph++) {
        slot[id] = (id + 1) * ph;
        pthread_barrier_wait(&bar);
        if (id == 0) {
            for (int i = 0; i < T; i++) {
                if (slot[i] != (i + 1) * ph)
                    errors++;
                folded += slot[i];
            }
        }
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[T];
    pthread_barrier_init(&bar, NULL, T);
    for (long i = 0; i < T; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    printf("folded %ld errors %d\n", folded, errors);
    return errors != 0;
}
