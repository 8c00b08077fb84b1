#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    fprintf(stderr, "exit_code: this goes to stderr\n");
    printf("exit_code: this goes to stdout\n");
    exit(42);
}
