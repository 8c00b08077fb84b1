/* Built with -static-pie: exercises self-relocation (R_AARCH64_RELATIVE)
 * via global pointer tables and function pointers. Output must not depend
 * on the load address. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
static int xor_(int a, int b) { return a ^ b; }

struct op { const char *name; int (*fn)(int, int); };

/* every pointer in these tables needs a dynamic relocation */
static const struct op ops[] = {
    {"add", add}, {"sub", sub}, {"mul", mul}, {"xor", xor_},
};
static const char *const words[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
static const char *const *words_ptr = words;
int global_counter = 5;
int *global_counter_ptr = &global_counter;

static __attribute__((noinline)) int apply(int (*fn)(int, int), int a, int b) { return fn(a, b); }

int main(void)
{
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s(12, 5) = %d\n", ops[i].name, apply(ops[i].fn, 12, 5));
    size_t total = 0;
    for (int i = 0; i < 5; i++) {
        printf("words[%d] = %s\n", i, words_ptr[i]);
        total += strlen(words[i]);
    }
    printf("total word length = %zu\n", total);
    *global_counter_ptr += 10;
    printf("global_counter = %d\n", global_counter);
    /* the relative distance between two functions is load-address independent */
    printf("fn ptrs distinct=%d, aligned=%d\n", ops[0].fn != ops[1].fn,
           ((uintptr_t)ops[2].fn & 3) == 0);
    printf("main is %s the ops table\n", (uintptr_t)main < (uintptr_t)ops ? "below" : "above");
    return 0;
}
