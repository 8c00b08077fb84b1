/* MAP_SHARED: anonymous shared memory and a read-write file mapping shared with a forked
 * child, stores reaching the file (read back with read(2)) and write(2)s showing in the
 * mapping, two mappings of one file aliasing, MADV_DONTNEED keeping shared contents,
 * /proc/self/maps ("rw-s"), munmap, a memfd. argv[1] is an empty directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void maps_line(void *addr) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s %lx", &lo, &hi, perms, &off) < 4) continue;
        if (lo == (uintptr_t)addr) {
            const char *slash = strrchr(line, '/');
            printf("  maps: %lu bytes %s offset %lx name %s", hi - lo, perms, off,
                   slash ? slash + 1 : "(none)\n");
            found = 1;
        }
    }
    if (!found) printf("  maps: no mapping\n");
    fclose(f);
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc < 2 || chdir(argv[1])) return 1;

    /* anonymous shared memory: a counter the child increments */
    volatile int *shared = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *private = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    shared[0] = 1;
    shared[1024] = 5;
    private[0] = 1;
    maps_line((void *)shared);
    pid_t pid = fork();
    if (pid == 0) {
        shared[0] += 41;
        shared[1024] *= 3;
        private[0] = 99;
        _exit(0);
    }
    waitpid(pid, 0, 0);
    printf("anonymous shared after the child: %d %d, private: %d\n", shared[0], shared[1024], private[0]);
    madvise((void *)shared, 8192, MADV_DONTNEED);
    printf("after MADV_DONTNEED: %d\n", shared[0]);
    munmap((void *)shared, 8192);

    /* a file */
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[4096];
    memset(page, '.', sizeof page);
    write(fd, page, sizeof page);
    write(fd, page, 100);           /* 4196 bytes: two pages, the second partly in the file */
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *m2 = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    maps_line(m);
    maps_line(m2);
    memcpy(m, "mapped store", 12);
    char buf[16] = {0};
    pread(fd, buf, 12, 0);
    printf("file after a store: %s\n", buf);
    pwrite(fd, "WRITE", 5, 20);
    /* (a MAP_PRIVATE mapping would show it too on Linux until its page is written; nbemu's
     * private file mappings are copies made at mmap time) */
    printf("mapping after a write(2): %.5s\n", m + 20);
    m[4096 + 10] = '#';
    printf("second mapping sees the first's store: %c\n", m2[10]);
    pid = fork();
    if (pid == 0) {
        memcpy(m + 50, "child", 5);
        _exit(0);
    }
    waitpid(pid, 0, 0);
    pread(fd, buf, 5, 50);
    printf("the child's store, in the file: %.5s, in the mapping: %.5s\n", buf, m + 50);
    msync(m, 8192, MS_SYNC);
    munmap(m, 8192);
    munmap(m2, 4096);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 12, 0);
    printf("file after munmap: %s\n", buf);
    /* a memfd mapped shared: the same pages in a forked child */
    int mfd = memfd_create("region", MFD_CLOEXEC);
    ftruncate(mfd, 4096);
    char *r = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    maps_line(r);
    pid = fork();
    if (pid == 0) {
        strcpy(r, "memfd from the child");
        _exit(0);
    }
    waitpid(pid, 0, 0);
    memset(buf, 0, sizeof buf);
    pread(mfd, buf, 15, 0);
    printf("memfd mapping: %s, read(2): %s\n", r, buf);
    close(mfd);

    int rd = open("data", O_RDONLY);
    char *ro = mmap(0, 4096, PROT_READ, MAP_SHARED, rd, 0);
    printf("read-only shared mapping: %.12s\n", ro);
    close(rd);
    close(fd);
    unlink("data");
    return 0;
}
