/* System V shared memory: shmget/shmat at an address the kernel picks and at chosen ones
 * (SHM_RND, SHM_REMAP over a mapping, SHM_RDONLY), two attachments of one segment aliasing,
 * sharing with a forked child, IPC_STAT (size, mode, attach counts, creator), /proc/self/maps
 * showing the attachment, shmdt, IPC_RMID, and the errnos (EINVAL, ENOENT, EEXIST). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(what, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-34s %ld%s%s\n", what, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static void stat_line(int id) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds)) { printf("  IPC_STAT: %s\n", strerror(errno)); return; }
    printf("  IPC_STAT: size %zu mode %o nattch %lu cpid ok %d\n", (size_t)ds.shm_segsz,
           ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid());
}

/* the /proc/self/maps line of addr: its length, permissions and name */
static void maps_line(void *addr) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        int name = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name) < 3) continue;
        if (lo == (uintptr_t)addr) {
            printf("  maps: %lu bytes %s %s", hi - lo, perms, name ? line + name : "\n");
            found = 1;
        }
    }
    if (!found) printf("  maps: no mapping\n");
    fclose(f);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    CHECK("shmget missing key (ENOENT)", shmget(0x4e42454d, 4096, 0600));
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    CHECK("shmget", id >= 0);
    stat_line(id);
    char *a = shmat(id, 0, 0);
    CHECK("shmat anywhere", a != (void *)-1);
    stat_line(id);
    maps_line(a);
    strcpy(a, "written through the first attachment");

    /* a second attachment at a chosen address aliases the first */
    char *want = mmap(0, 3 * 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(want, 3 * 65536);
    char *b = shmat(id, want, 0);
    CHECK("shmat at a chosen address", b == want);
    printf("  sees: %s\n", b);
    b[0] = 'W';
    printf("  first sees the second's store: %c\n", a[0]);
    stat_line(id);
    CHECK("shmat overlapping (EINVAL)", (long)shmat(id, want + 4096, 0));
    CHECK("shmat misaligned (EINVAL)", (long)shmat(id, want + 65536 + 123, 0));
    char *c = shmat(id, want + 65536 + 123, SHM_RND | SHM_RDONLY);
    CHECK("shmat SHM_RND rounds down", c == want + 65536);
    maps_line(c);
    char *m = mmap(want + 2 * 65536, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("shmat SHM_REMAP over a mapping", shmat(id, m, SHM_REMAP) == m);
    printf("  sees: %.7s\n", m);
    stat_line(id);
    /* SHM_REMAP without an address is EINVAL on Linux; qemu-aarch64 7.2 attaches: see
     * tests/test_linux_syscalls.py */
    CHECK("shmat bad id (EINVAL)", (long)shmat(-1, 0, 0));

    /* a forked child writes, the parent sees it */
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(a + 100, "the child was here");
        shmdt(a);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d, parent reads: %s\n", WEXITSTATUS(st), b + 100);

    CHECK("shmdt", shmdt(c));
    maps_line(c);
    CHECK("shmdt again (EINVAL)", shmdt(c));
    CHECK("shmdt misaligned (EINVAL)", shmdt(a + 1));
    CHECK("shmdt", shmdt(m));
    CHECK("shmdt", shmdt(b));
    stat_line(id);
    CHECK("IPC_RMID", shmctl(id, IPC_RMID, 0));
    printf("  still attached reads: %.7s\n", a);
    CHECK("shmdt last", shmdt(a));
    stat_line(id);
    CHECK("shmat removed (EINVAL)", (long)shmat(id, 0, 0));

    int k = shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0640);
    CHECK("shmget IPC_EXCL private", k >= 0);
    struct shmid_ds ds;
    shmctl(k, IPC_STAT, &ds);
    ds.shm_perm.mode = 0600;
    CHECK("IPC_SET", shmctl(k, IPC_SET, &ds));
    stat_line(k);
    CHECK("IPC_RMID", shmctl(k, IPC_RMID, 0));
    CHECK("IPC_STAT removed (EINVAL)", shmctl(k, IPC_STAT, &ds));
    return 0;
}
