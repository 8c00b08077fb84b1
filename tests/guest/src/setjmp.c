/* setjmp/longjmp: simple, nested, across frames, value 0 -> 1. */
#include <setjmp.h>
#include <stdio.h>

#pragma GCC diagnostic ignored "-Wclobbered"

static jmp_buf outer, inner;
static int trace[64], ntrace;

static void note(int v) { if (ntrace < 64) trace[ntrace++] = v; }

static __attribute__((noinline)) void deep(int depth, int jumpval)
{
    volatile char pad[64];           /* give each frame some stack */
    pad[depth & 63] = (char)depth;
    note(100 + depth);
    if (depth < 0)
        return;
    if (depth == 0)
        longjmp(outer, jumpval);
    deep(depth - 1, jumpval);
    note(pad[depth & 63]);           /* never reached */
}

static __attribute__((noinline)) int nested(int n)
{
    volatile int local = n * 10;
    int r = setjmp(inner);
    if (r == 0) {
        note(1);
        local += 1;
        longjmp(inner, n + 5);
    }
    note(r);
    local += r;
    if (n > 0) {
        /* the outer jmp_buf is still valid: jump out of two frames */
        if (n == 2)
            longjmp(outer, 77);
    }
    return local;
}

static __attribute__((noinline)) double fp_keep(double x)
{
    /* callee-saved FP registers (d8-d15) must be restored by longjmp */
    jmp_buf jb;
    volatile double keep = x * 2.5;
    register double d8 __asm__("d8") = x + 1.0;
    __asm__ volatile("" : "+w"(d8));
    if (setjmp(jb) == 0) {
        __asm__ volatile("fmov d8, xzr" ::: "d8");
        longjmp(jb, 1);
    }
    __asm__ volatile("" : "+w"(d8));
    return keep + d8;
}

int main(void)
{
    volatile int count = 0;
    int r;

    /* 1: basic */
    r = setjmp(outer);
    printf("setjmp returned %d (count=%d)\n", r, count);
    count++;
    if (r == 0)
        longjmp(outer, 42);

    /* 2: across 20 frames */
    r = setjmp(outer);
    if (r == 0) {
        deep(20, 7);
        printf("NOT REACHED\n");
    }
    printf("after deep longjmp: r=%d\n", r);

    /* 3: longjmp with value 0 becomes 1 */
    r = setjmp(outer);
    if (r == 0)
        deep(3, 0);
    printf("longjmp(…, 0) delivered %d\n", r);

    /* 4: nested jmp_bufs */
    int v1 = nested(1);
    printf("nested(1)=%d\n", v1);
    r = setjmp(outer);
    if (r == 0) {
        nested(2);
        printf("NOT REACHED\n");
    } else {
        printf("nested(2) escaped to outer with %d\n", r);
    }

    /* 5: loop via longjmp */
    volatile int loops = 0;
    r = setjmp(outer);
    if (loops < 1000) {
        loops++;
        longjmp(outer, loops);
    }
    printf("loop via longjmp: loops=%d last r=%d\n", loops, r);

    /* 6: sigsetjmp without mask saving */
    sigjmp_buf sj;
    r = sigsetjmp(sj, 0);
    if (r == 0)
        siglongjmp(sj, 9);
    printf("sigsetjmp -> %d\n", r);

    printf("fp_keep(3.0)*4=%d\n", (int)(fp_keep(3.0) * 4));

    printf("trace(%d):", ntrace);
    for (int i = 0; i < ntrace; i++)
        printf(" %d", trace[i]);
    printf("\n");
    return count == 2 ? 0 : 1;
}
