/* Read all of stdin with read(2); print byte/line counts and the lines
 * uppercased. Then exercise stdio's fgets on an in-memory copy. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    size_t cap = 64, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(0, buf + len, cap - len);
        if (r < 0) { perror("read"); return 1; }
        if (r == 0) break;
        len += (size_t)r;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    int partial = len && buf[len - 1] != '\n';
    printf("bytes=%zu lines=%zu partial_last_line=%d\n", len, lines, partial);

    /* uppercase line by line via fgets over fmemopen */
    FILE *f = fmemopen(buf, len ? len : 1, "r");
    char line[128];
    int n = 0;
    if (len && f) {
        while (fgets(line, sizeof line, f)) {
            size_t l = strlen(line);
            int nl = l && line[l - 1] == '\n';
            if (nl) line[--l] = 0;
            for (size_t i = 0; i < l; i++)
                line[i] = (char)toupper((unsigned char)line[i]);
            printf("%3d: %s%s\n", ++n, line, nl ? "" : " (no newline)");
        }
    }
    if (f) fclose(f);
    free(buf);
    return (int)(lines & 0xff);
}
