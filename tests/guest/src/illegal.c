/* Execute UDF #0 (encoding 0x00000000). Expected: SIGILL, status 132. */
#include <stdio.h>

int main(void)
{
    printf("about to execute an undefined instruction\n");
    fflush(stdout);
    __asm__ volatile(".inst 0x00000000");
    printf("NOT REACHED\n");
    return 0;
}
