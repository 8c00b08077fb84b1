/* Deep recursion (100000 frames), Ackermann, Fibonacci, mutual recursion. */
#include <stdint.h>
#include <stdio.h>

static __attribute__((noinline)) uint64_t deep(int n, uint64_t seed)
{
    volatile uint64_t a = seed * 3 + (uint64_t)n;   /* forces a real frame */
    volatile uint32_t b = (uint32_t)(seed >> 7) ^ (uint32_t)n;
    if (n == 0)
        return a ^ b;
    uint64_t r = deep(n - 1, seed * 6364136223846793005ull + 1442695040888963407ull);
    return r * 31 + a + b;                          /* not a tail call */
}

static __attribute__((noinline)) unsigned ack(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static unsigned long fib_calls;
static __attribute__((noinline)) unsigned fib(unsigned n)
{
    fib_calls++;
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int is_odd(unsigned n);
static __attribute__((noinline)) int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static __attribute__((noinline)) int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* recursive tree walk with a struct on the stack */
struct node { int depth; uint32_t val; };
static __attribute__((noinline)) uint32_t tree(struct node nd)
{
    if (nd.depth == 0)
        return nd.val;
    struct node l = {nd.depth - 1, nd.val * 2 + 1}, r = {nd.depth - 1, nd.val * 2 + 2};
    return tree(l) ^ (tree(r) << 1) ^ (tree(r) >> 3);
}

int main(void)
{
    printf("deep(100000)=%016llx\n", (unsigned long long)deep(100000, 1));
    printf("deep(1000)=%016llx\n", (unsigned long long)deep(1000, 99));
    for (unsigned m = 0; m <= 3; m++)
        for (unsigned n = 0; n <= 4; n++)
            printf("ack(%u,%u)=%u%s", m, n, ack(m, n), n == 4 ? "\n" : " ");
    printf("ack(2,50)=%u ack(3,6)=%u\n", ack(2, 50), ack(3, 6));
    unsigned f = fib(22);
    printf("fib(22)=%u calls=%lu\n", f, fib_calls);
    printf("is_even(10001)=%d is_odd(7777)=%d\n", is_even(10001), is_odd(7777));
    printf("tree(10)=%08x\n", tree((struct node){10, 1}));
    return (int)(f & 0x3f);
}
