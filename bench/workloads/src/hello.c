/* hello: start-up cost only. */
#include <stdio.h>

int main(void)
{
    puts("hello, bench");
    return 0;
}
