/* Print argc, argv[], the NBEMU_* environment variables and the auxiliary vector's entry types.
 * Matching env entries are sorted so the output does not depend on the
 * order in which the loader/emulator lays out envp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    const char *found[256];
    int n = 0;

    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=\"%s\" (len %zu)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "non-NULL");

    for (char **e = envp; *e != NULL; e++)
        if (strncmp(*e, "NBEMU_", 6) == 0 && n < 256)
            found[n++] = *e;
    qsort(found, n, sizeof found[0], cmp_str);
    printf("nbemu_env_count=%d\n", n);
    for (int i = 0; i < n; i++)
        printf("env: %s\n", found[i]);

    /* the auxiliary vector follows envp's NULL; its types and their order are the loader's
     * (values are addresses and random bytes, so only the types are printed) */
    char **e = envp;
    while (*e != NULL)
        e++;
    printf("auxv types:");
    for (Elf64_auxv_t *a = (Elf64_auxv_t *)(e + 1); a->a_type != AT_NULL; a++)
        printf(" %lu", (unsigned long)a->a_type);
    printf("\n");

    /* getenv must agree with envp */
    const char *g = getenv("NBEMU_TEST");
    printf("getenv(NBEMU_TEST)=%s\n", g ? g : "(unset)");
    return argc;   /* program-specific status: the argument count */
}
