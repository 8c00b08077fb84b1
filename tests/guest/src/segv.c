/* Store through a NULL pointer. Expected: SIGSEGV, status 139. */
#include <stdio.h>

int main(void)
{
    volatile int *p = (volatile int *)0;
    printf("about to write through a NULL pointer\n");
    fflush(stdout);
    *p = 0x1234;
    printf("NOT REACHED\n");
    return 0;
}
