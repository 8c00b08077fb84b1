/* Arm semihosting (HLT #0xF000) as qemu-aarch64 provides it to a Linux process: console
 * output, files, errno, the command line, the heap and exit with a status. argv[1] is a
 * directory to create a file in. Results go to stdout (flushed before the semihosting exit,
 * which does not run atexit handlers); console output goes to the emulator's stderr. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { SYS_OPEN = 1, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_ISERROR = 8,
       SYS_ISTTY, SYS_SEEK, SYS_FLEN = 0x0C, SYS_REMOVE = 0x0E, SYS_RENAME, SYS_CLOCK, SYS_TIME,
       SYS_ERRNO = 0x13, SYS_GET_CMDLINE = 0x15, SYS_HEAPINFO, SYS_EXIT_EXTENDED = 0x20 };

static intptr_t semi(uintptr_t op, const void *arg)
{
    register uintptr_t x0 asm("x0") = op;
    register const void *x1 asm("x1") = arg;
    asm volatile("hlt 0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return (intptr_t)x0;
}

static intptr_t open_file(const char *name, uintptr_t mode)
{
    uintptr_t a[3] = { (uintptr_t)name, mode, strlen(name) };
    return semi(SYS_OPEN, a);
}

int main(int argc, char **argv)
{
    char path[512], back[64], other[512];
    static const char text[] = "written through semihosting\n";

    semi(SYS_WRITE0, "console: WRITE0\n");
    semi(SYS_WRITEC, "!");
    semi(SYS_WRITEC, "\n");
    intptr_t tt = open_file(":tt", 4);          /* "w": the console */
    uintptr_t w[3] = { (uintptr_t)tt, (uintptr_t)"console: WRITE to :tt\n", 22 };
    printf("open :tt > 0: %d, write left %ld\n", tt > 0, (long)semi(SYS_WRITE, w));

    snprintf(path, sizeof path, "%s/semi.txt", argc > 1 ? argv[1] : ".");
    intptr_t fd = open_file(path, 7);           /* "w+b" */
    printf("open w+b > 0: %d\n", fd > 0);
    uintptr_t wr[3] = { (uintptr_t)fd, (uintptr_t)text, sizeof text - 1 };
    printf("write left %ld\n", (long)semi(SYS_WRITE, wr));
    uintptr_t one[1] = { (uintptr_t)fd };
    printf("flen %ld istty %ld\n", (long)semi(SYS_FLEN, one), (long)semi(SYS_ISTTY, one));
    uintptr_t sk[2] = { (uintptr_t)fd, 8 };
    printf("seek %ld\n", (long)semi(SYS_SEEK, sk));
    memset(back, 0, sizeof back);
    uintptr_t rd[3] = { (uintptr_t)fd, (uintptr_t)back, sizeof back - 1 };
    intptr_t left = semi(SYS_READ, rd);
    printf("read left %ld: %s", (long)left, back);
    printf("close %ld\n", (long)semi(SYS_CLOSE, one));
    printf("close again %ld\n", (long)semi(SYS_CLOSE, one));

    snprintf(other, sizeof other, "%s/renamed.txt", argc > 1 ? argv[1] : ".");
    uintptr_t rn[4] = { (uintptr_t)path, strlen(path), (uintptr_t)other, strlen(other) };
    printf("rename %ld\n", (long)semi(SYS_RENAME, rn));
    uintptr_t rm[2] = { (uintptr_t)other, strlen(other) };
    printf("remove %ld\n", (long)semi(SYS_REMOVE, rm));
    intptr_t missing = open_file(other, 0);
    uintptr_t st[1] = { (uintptr_t)missing };
    printf("open missing %ld, iserror %ld, errno %ld\n", (long)missing,
           (long)semi(SYS_ISERROR, st), (long)semi(SYS_ERRNO, 0));
    uintptr_t ok[1] = { 0 };
    printf("iserror(0) %ld\n", (long)semi(SYS_ISERROR, ok));

    char line[256];
    uintptr_t cl[2] = { (uintptr_t)line, sizeof line };
    intptr_t r = semi(SYS_GET_CMDLINE, cl);
    printf("cmdline %ld, length matches %d, has argv[0] %d\n", (long)r,
           cl[1] == strlen(line), strstr(line, "semihost") != NULL);
    printf("time plausible %d, clock >= 0 %d\n", semi(SYS_TIME, 0) > 1600000000,
           semi(SYS_CLOCK, 0) >= 0);

    uintptr_t info[4], *pinfo = info;
    semi(SYS_HEAPINFO, &pinfo);
    printf("heap base < limit %d, stack limit %lu, locals below stack base %d\n",
           info[0] < info[1], (unsigned long)info[3], (uintptr_t)&info < info[2]);

    fflush(stdout);
    uintptr_t ex[2] = { 0x20026, 3 };           /* ADP_Stopped_ApplicationExit, status 3 */
    semi(SYS_EXIT_EXTENDED, ex);
    printf("not reached\n");
    return 1;
}
