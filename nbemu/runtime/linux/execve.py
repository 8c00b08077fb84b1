"""execve and execveat: the emulator re-executes itself (os.execve of the same Python running
nbemu with the same options: -L, --jit, cache directory, -strace, -d...) on the new program,
with the guest's argv and envp, as a kernel that runs AArch64 ELFs through binfmt_misc would.

The checks a kernel makes come first, so a failed execve returns Linux's errno and the guest
keeps running: ENOENT/ENOTDIR/ELOOP/ENAMETOOLONG from the lookup, EACCES for a directory, a
file that is not regular or lacks execute permission, ENOEXEC for an ELF of another machine or
a file of no known format. `#!` scripts are handled as Linux does (the interpreter, its one
optional argument, the script path, then argv[1:]), nested up to Linux's limit of 4.

What survives the exec as on Linux: fds without close-on-exec (laid out so that host fd N is
guest fd N, then handed to the new emulator with --exec-fds), the working directory, the umask,
the signal mask and ignored signals (--exec-sigmask, --exec-sigign), the host's interval timers.
In an embedded emulator (Emulator used from Python, not the CLI) the host process must not be
replaced: a host child does the exec and the guest exits with the child's status.
"""
import errno
import fcntl
import os
import stat as _stat
import struct

from . import abi
from .fs import Errno, proc_special, read_path, resolve
from .signals import GuestExit
from .table import syscall

EM_AARCH64 = 183
BINPRM_BUF_SIZE = 256           # Linux reads this much of the file to pick a format
MAX_INTERP_DEPTH = 4
MAX_ARG_STRINGS = 0x7FFFFFFF
AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH = 0x100, 0x1000


def _read_string_array(p, addr):
    out = []
    if addr == 0:
        return out
    while True:
        ptr = p.mem.u64(addr + 8 * len(out))
        if ptr == 0:
            return out
        if len(out) >= MAX_ARG_STRINGS:
            raise Errno(errno.E2BIG)
        out.append(p.mem.read_cstr(ptr, 1 << 20))


def host_path(p, dirfd, path, flags=0):
    """The host path of a guest path for exec, with the -L prefix applied as for open."""
    if path == b'' and flags & AT_EMPTY_PATH:
        of = p.fds.lookup(_s32(dirfd))
        return os.fsencode(os.readlink(f'/proc/self/fd/{of.host}'))
    if path == b'':
        raise Errno(errno.ENOENT)
    if proc_special(p, path) == 'exe':      # /proc/self/exe is the guest's program
        return os.fsencode(os.path.abspath(p.exe_path))  # the new process starts in the guest's cwd
    hp, dir_fd = resolve(p, dirfd, path)
    if dir_fd is not None and not hp.startswith(b'/'):
        hp = os.fsencode(os.readlink(f'/proc/self/fd/{dir_fd}')) + b'/' + hp
    if flags & AT_SYMLINK_NOFOLLOW and os.path.islink(hp):
        raise Errno(errno.ELOOP)
    return hp


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def check_executable(path):
    """Linux's checks on the file to run; returns its first BINPRM_BUF_SIZE bytes."""
    st = os.stat(path)                  # ENOENT, ENOTDIR, ELOOP, EACCES (search permission)
    if not _stat.S_ISREG(st.st_mode):
        raise Errno(errno.EACCES)
    if not os.access(path, os.X_OK, effective_ids=True) or not st.st_mode & 0o111:
        raise Errno(errno.EACCES)
    with open(path, 'rb') as f:         # EACCES without read permission, as Linux's open_exec
        return f.read(BINPRM_BUF_SIZE)


def is_aarch64_elf(head):
    return (len(head) >= 20 and head[:4] == b'\x7fELF' and head[4] == 2 and head[5] == 1 and
            struct.unpack_from('<H', head, 18)[0] == EM_AARCH64)


def parse_shebang(head):
    """(interpreter, optional argument) from a '#!' line, split as Linux's binfmt_script."""
    line = head[2:].split(b'\n', 1)[0]
    line = line.replace(b'\t', b' ').strip(b' ')
    if not line:
        raise Errno(errno.ENOEXEC)
    interp, _, arg = line.partition(b' ')
    arg = arg.strip(b' ')
    return interp, (arg or None)


def resolve_program(p, path, argv):
    """(host path of the AArch64 ELF to run, its argv) after following #! lines."""
    for _ in range(MAX_INTERP_DEPTH + 1):
        head = check_executable(path)
        if is_aarch64_elf(head):
            return path, argv
        if head[:2] != b'#!':
            raise Errno(errno.ENOEXEC)
        interp, arg = parse_shebang(head)
        # the script's own path goes in place of argv[0], as the kernel passes it
        argv = [interp] + ([arg] if arg else []) + [path_for_argv(p, path)] + argv[1:]
        path = host_path(p, abi.AT_FDCWD, interp)
    raise Errno(errno.ELOOP)


def path_for_argv(p, hp):
    # a script found under the -L prefix is named by its guest path in the interpreter's argv
    if p.sysroot and hp.startswith(p.sysroot + b'/'):
        return hp[len(p.sysroot):]
    return hp


@syscall('execve', 'spp')
def sys_execve(p, pathname, argvp, envpp):
    return do_execve(p, abi.AT_FDCWD, read_path(p, pathname), argvp, envpp, 0)


@syscall('execveat', 'fsppx')
def sys_execveat(p, dirfd, pathname, argvp, envpp, flags):
    flags &= 0xFFFFFFFF
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        return -errno.EINVAL
    path = p.mem.read_cstr(pathname, 4097) if pathname else b''
    return do_execve(p, dirfd, path, argvp, envpp, flags)


def do_execve(p, dirfd, path, argvp, envpp, flags):
    argv = _read_string_array(p, argvp)
    envp = _read_string_array(p, envpp)
    exe, argv = resolve_program(p, host_path(p, dirfd, path, flags), argv or [path])
    if p.strace:
        p.strace.write(f'{p.pid} execve("{os.fsdecode(exe)}",...) = 0 (nbemu re-executes '
                       'itself)\n')
    if not p.exec_replaces_host and not p.forked:
        return _exec_in_child(p, exe, argv, envp)
    _exec_now(p, exe, argv, envp)


def _exec_in_child(p, exe, argv, envp):
    from .fork import _flush_streams, _host_fork
    _flush_streams(p)
    pid = _host_fork(p)
    if pid == 0:
        try:
            _exec_now(p, exe, argv, envp)
        finally:
            os._exit(127)
    p.log_unimp('execve in an embedded emulator runs the program in a host child process')
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        raise GuestExit(128 + os.WTERMSIG(st), os.WTERMSIG(st))
    raise GuestExit(os.WEXITSTATUS(st))


def _exec_now(p, exe, argv, envp):
    """Replace this host process: never returns (on a host failure the guest gets EIO)."""
    from .fork import _flush_streams
    _flush_streams(p)
    os.fchdir(p.cwd_fd)
    os.umask(p.umask)
    fds = _layout_fds(p)       # last: it may reuse host fd numbers the emulator was using
    cmd = list(p.exec_command) + [
        '--exec-fds', ','.join(map(str, fds)) or '-',
        '--exec-sigmask', f'{p.signals.mask:#x}',
        '--exec-sigign', ','.join(str(s) for s in range(1, abi.NSIG + 1)
                                  if p.signals.actions[s].handler == abi.SIG_IGN) or '-',
        '-0', os.fsdecode(argv[0]) if argv else '',
        os.fsdecode(exe)] + [os.fsdecode(a) for a in argv[1:]]
    env = {}
    for kv in envp:
        k, eq, v = kv.partition(b'=')
        if eq and k:
            env.setdefault(k, v)
    try:
        os.execve(cmd[0], cmd, env)
    except OSError as e:
        p.log_unimp(f'execve: re-executing nbemu failed: {e}')
        raise Errno(errno.EIO)


def _layout_fds(p):
    """Make host fd N the guest's fd N for every fd that survives the exec (the rest of the
    host's fds are close-on-exec, as Python opens them). Returns the guest fd numbers."""
    keep = {g: of for g, of in p.fds.files.items() if not of.cloexec}
    if not keep:
        return []
    base = max(max(keep) + 1, 3)
    tmp = {g: fcntl.fcntl(of.host, fcntl.F_DUPFD_CLOEXEC, base) for g, of in keep.items()}
    for g, t in tmp.items():
        os.dup2(t, g, inheritable=True)
        os.close(t)
    return sorted(keep)


def adopt_fds(fdtable, fds):
    """In the re-executed emulator: guest fd N is the inherited host fd N. The guest gets its
    own dup (so the emulator's fds 0-2 stay its stdio and the others are free again)."""
    from .fs import OpenFile
    for g in fds:
        try:
            h = fcntl.fcntl(g, fcntl.F_DUPFD_CLOEXEC, 3)
        except OSError:
            continue
        fdtable.install_at(g, OpenFile(h))
        if g > 2:
            os.close(g)
