/* execve TMPDIR [run] (the other corpus programs are found beside argv[0]): failed execs return Linux's errno (missing file, a directory, a
   file without execute permission, a non-ELF without #!, a script whose interpreter is
   missing, a path through a file). With "run": a fork whose child execs another corpus program
   with a new argv and envp and its stdout on a pipe, then this process execs hello itself.
   qemu-aarch64 can run the "run" part only where binfmt_misc runs AArch64 ELFs (the host
   kernel does its execve), so the corpus runs the error part and tests/test_linux_syscalls.py
   the rest, against the programs run directly. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *const no_env[] = {NULL};

static void try_exec(const char *what, const char *path)
{
    char *const argv[] = {(char *)path, NULL};
    errno = 0;
    int r = execve(path, argv, no_env);
    printf("%s: execve returned %d, errno %s\n", what, r,
           errno == ENOENT ? "ENOENT" : errno == EACCES ? "EACCES" :
           errno == ENOEXEC ? "ENOEXEC" : errno == ENOTDIR ? "ENOTDIR" : strerror(errno));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) { perror(path); exit(1); }
    close(fd);
    chmod(path, mode);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: execve TMPDIR [run]\n"); return 2; }
    char bin[1024];
    snprintf(bin, sizeof bin, "%s", argv[0]);
    char *slash = strrchr(bin, '/');
    if (slash) *slash = 0; else strcpy(bin, ".");
    const char *tmp = argv[1];
    char hello[2048], argv_env[2048], path[4096];
    snprintf(hello, sizeof hello, "%s/hello", bin);
    snprintf(argv_env, sizeof argv_env, "%s/argv_env", bin);

    snprintf(path, sizeof path, "%s/no-such-program", tmp);
    try_exec("missing file", path);
    try_exec("a directory", tmp);
    snprintf(path, sizeof path, "%s/not-executable", tmp);
    write_file(path, "#!/bin/sh\n", 0644);
    try_exec("no execute permission", path);
    snprintf(path, sizeof path, "%s/garbage", tmp);
    write_file(path, "this is not a program\n", 0755);
    try_exec("not an executable format", path);
    snprintf(path, sizeof path, "%s/script", tmp);
    write_file(path, "#!/no/such/interpreter -x\n", 0755);
    try_exec("script with a missing interpreter", path);
    snprintf(path, sizeof path, "%s/x", hello);
    try_exec("a path through a file", path);
    if (argc < 3 || strcmp(argv[2], "run") != 0)
        return 0;

    /* a child execs argv_env with its own argv and environment; its stdout is a pipe */
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        char *const cargv[] = {"argv_env", "one", "two words", NULL};
        char *const cenv[] = {"NBEMU_TEST=from execve", "OTHER=1", NULL};
        execve(argv_env, cargv, cenv);
        _exit(127);
    }
    close(fds[1]);
    char buf[8192];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    int st;
    waitpid(pid, &st, 0);
    printf("child's output through the pipe:\n%s", buf);
    printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* a #! script runs its interpreter (argv_env) with the optional argument and its path */
    snprintf(path, sizeof path, "%s/script2", tmp);
    char line[4096];
    snprintf(line, sizeof line, "#!%s -x\n", argv_env);
    write_file(path, line, 0755);
    pid = fork();
    if (pid == 0) {
        char *const sargv[] = {"script2", "extra", NULL};
        execve(path, sargv, no_env);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("script exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* execveat of an open fd (AT_EMPTY_PATH, as fexecve does) */
    pid = fork();
    if (pid == 0) {
        int fd = open(hello, O_RDONLY);
        char *const hargv[] = {"hello", NULL};
        syscall(SYS_execveat, fd, "", hargv, no_env, AT_EMPTY_PATH);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("execveat child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* a close-on-exec fd is closed in the new program, a plain one stays open */
    int keep = open(bin, O_RDONLY | O_DIRECTORY);
    int gone = open(bin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    printf("fds before exec: %d %d\n", keep >= 0, gone >= 0);

    /* this process becomes hello */
    char *const hargv[] = {"hello", NULL};
    execve(hello, hargv, no_env);
    perror("execve hello");
    return 1;
}
