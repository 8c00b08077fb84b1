/* File-system syscall exercise. argv[1] is an (empty) scratch directory.
 * Only relative facts are printed (sizes, contents, names, errno strings),
 * never inode numbers, times or absolute paths. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("FAIL line %d: %s (errno=%d %s)\n", __LINE__, #cond,    \
                   errno, strerror(errno));                                \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static char pathbuf[4][1024];

static const char *P(int slot, const char *dir, const char *name)
{
    snprintf(pathbuf[slot], sizeof pathbuf[slot], "%s/%s", dir, name);
    return pathbuf[slot];
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void list_dir(const char *dir)
{
    char *names[64];
    int n = 0;
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64)
        names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    printf("listing (%d entries):", n);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    static const char msg[] = "The quick brown fox jumps over the lazy dog.\n";
    const size_t mlen = sizeof msg - 1;
    char buf[256];
    struct stat st;
    ssize_t r;

    /* create + write */
    int fd = open(P(0, dir, "a.txt"), O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0);
    for (int i = 0; i < 3; i++)
        CHECK(write(fd, msg, mlen) == (ssize_t)mlen);
    CHECK(fstat(fd, &st) == 0);
    printf("fstat size=%lld isreg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0);

    /* lseek + read back */
    CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)(3 * mlen));
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    memset(buf, 0, sizeof buf);
    r = read(fd, buf, sizeof buf - 1);
    printf("read %zd bytes, equal=%d\n", r,
           r == (ssize_t)(3 * mlen) && memcmp(buf, msg, mlen) == 0 &&
           memcmp(buf + 2 * mlen, msg, mlen) == 0);
    r = read(fd, buf, sizeof buf);
    printf("read at EOF returns %zd\n", r);
    off_t off = lseek(fd, -10, SEEK_END);
    printf("lseek(-10, SEEK_END)=%lld\n", (long long)off);
    memset(buf, 0, sizeof buf);
    r = read(fd, buf, 9);
    printf("tail read %zd: \"%s\"\n", r, buf);

    /* pwrite / pread do not move the file offset */
    off = lseek(fd, 4, SEEK_SET);
    CHECK(pwrite(fd, "QUICK", 5, 4) == 5);
    CHECK(lseek(fd, 0, SEEK_CUR) == 4);
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 15, 0) == 15);
    printf("pread: \"%s\" offset still %lld\n", buf, (long long)lseek(fd, 0, SEEK_CUR));

    /* pwrite beyond EOF extends the file (with a hole) */
    CHECK(pwrite(fd, "END", 3, 200) == 3);
    CHECK(fstat(fd, &st) == 0);
    printf("after extend fstat size=%lld\n", (long long)st.st_size);
    memset(buf, 'x', sizeof buf);
    CHECK(pread(fd, buf, 10, 3 * mlen) == 10);
    int zeros = 0;
    for (int i = 0; i < 10; i++)
        zeros += buf[i] == 0;
    printf("hole bytes read as zero: %d/10\n", zeros);

    /* dup shares the file offset */
    int fd2 = dup(fd);
    CHECK(fd2 >= 0 && fd2 != fd);
    CHECK(lseek(fd, 40, SEEK_SET) == 40);
    printf("dup offset=%lld\n", (long long)lseek(fd2, 0, SEEK_CUR));
    CHECK(close(fd2) == 0);
    int fd3 = dup2(fd, 50);
    printf("dup2 -> %d\n", fd3);
    CHECK(close(fd3) == 0);

    /* ftruncate */
    CHECK(ftruncate(fd, 20) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("after ftruncate size=%lld\n", (long long)st.st_size);
    CHECK(close(fd) == 0);

    /* stat by path */
    CHECK(stat(P(0, dir, "a.txt"), &st) == 0);
    printf("stat size=%lld owner-mode=%o\n", (long long)st.st_size, (unsigned)(st.st_mode & 0700));

    /* fopen/fprintf/fgets on a second file */
    FILE *f = fopen(P(1, dir, "b.txt"), "w");
    CHECK(f != NULL);
    for (int i = 0; i < 5; i++)
        fprintf(f, "line %d: %d\n", i, i * i);
    CHECK(fclose(f) == 0);
    f = fopen(P(1, dir, "b.txt"), "r");
    CHECK(f != NULL);
    int lines = 0, sum = 0;
    while (fgets(buf, sizeof buf, f)) {
        int a, b;
        if (sscanf(buf, "line %d: %d", &a, &b) == 2)
            sum += b;
        lines++;
    }
    fclose(f);
    printf("b.txt lines=%d sum=%d\n", lines, sum);

    /* rename + directory listing */
    CHECK(rename(P(0, dir, "a.txt"), P(1, dir, "renamed.txt")) == 0);
    errno = 0;
    printf("old name exists after rename: %d\n", access(P(0, dir, "a.txt"), F_OK) == 0);
    CHECK(mkdir(P(2, dir, "subdir"), 0755) == 0);
    errno = 0;
    int mk = mkdir(P(2, dir, "subdir"), 0755);
    printf("mkdir existing: %d %s\n", mk, strerror(errno));
    CHECK(stat(P(2, dir, "subdir"), &st) == 0);
    printf("subdir isdir=%d\n", S_ISDIR(st.st_mode) ? 1 : 0);
    list_dir(dir);

    /* errors */
    errno = 0;
    int bad = open(P(3, dir, "does-not-exist"), O_RDONLY);
    printf("open missing: %d errno=%s (%s)\n", bad, errno == ENOENT ? "ENOENT" : "other", strerror(errno));
    errno = 0;
    r = read(-1, buf, 1);
    printf("read(-1): %zd %s\n", r, strerror(errno));
    errno = 0;
    int rd = rmdir(dir);
    printf("rmdir non-empty dir: %d %s\n", rd, strerror(errno));

    /* cleanup */
    CHECK(rmdir(P(2, dir, "subdir")) == 0);
    CHECK(unlink(P(1, dir, "renamed.txt")) == 0);
    CHECK(unlink(P(1, dir, "b.txt")) == 0);
    errno = 0;
    printf("unlink again: %d %s\n", unlink(P(1, dir, "b.txt")), strerror(errno));
    list_dir(dir);

    /* pipe */
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    CHECK(write(pfd[1], "through the pipe", 16) == 16);
    CHECK(close(pfd[1]) == 0);
    memset(buf, 0, sizeof buf);
    r = read(pfd[0], buf, sizeof buf);
    printf("pipe read %zd: \"%s\"\n", r, buf);
    r = read(pfd[0], buf, sizeof buf);
    printf("pipe read after writer closed: %zd\n", r);
    CHECK(close(pfd[0]) == 0);

    /* getcwd/chdir relative access */
    CHECK(chdir(dir) == 0);
    fd = open("rel.txt", O_CREAT | O_WRONLY | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "rel", 3) == 3);
    close(fd);
    errno = 0;
    fd = open("rel.txt", O_CREAT | O_WRONLY | O_EXCL, 0600);
    printf("O_EXCL on existing: %d %s\n", fd, strerror(errno));
    CHECK(stat("rel.txt", &st) == 0);
    printf("rel.txt size=%lld\n", (long long)st.st_size);
    CHECK(unlink("rel.txt") == 0);

    printf("failures=%d\n", failures);
    return failures ? 1 : 0;
}
