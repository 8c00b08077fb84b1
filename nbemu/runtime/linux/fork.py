"""fork, vfork and clone without CLONE_VM: the emulator forks itself, and the host child goes on
running the guest with its own copy of everything (memory, registers, fds, TB cache); wait4 and
waitid reap the host children, which are the guest's children.

Before os.fork the parent takes numba's compiler lock and the machine's lock, so the child
never inherits them held by the background compile thread (which does not exist in the child;
Machine.after_fork_child drops it). A child's Emulator.run ends the host process itself.

Threads (CLONE_VM|CLONE_THREAD) are new vCPUs in this process (threads.py). CLONE_VM|CLONE_VFORK
(posix_spawn, vfork) is run as a fork whose parent waits until the child execs or exits, as
vfork's parent does; the child's writes to memory are not seen by the parent, so posix_spawn
reports a failed exec through the child's exit status 127 rather than its return value.
"""
import errno
import os
import struct
import sys

from nbemu.core.cpu import OFF_SP, OFF_TPIDR, OFF_X
from . import abi
from .table import syscall

_X, _SP, _TPIDR = OFF_X // 8, OFF_SP // 8, OFF_TPIDR // 8

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x20000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x100000, 0x200000
CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID = 0x400000, 0x800000, 0x1000000
# flags a fork of the whole emulator implements (CLONE_VM only together with CLONE_VFORK)
FORK_FLAGS = (CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID |
              CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED |
              CLONE_SYSVSEM | CLONE_PTRACE)


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


@syscall('clone', 'xppxp')
def sys_clone(p, flags, newsp, ptid, tls, ctid):
    # arm64 has CONFIG_CLONE_BACKWARDS: clone(flags, newsp, parent_tid, tls, child_tid)
    exit_sig = flags & 0xFF
    flags &= ~0xFF
    if flags & CLONE_THREAD or (flags & CLONE_VM and not flags & CLONE_VFORK):
        return p.threads.clone(flags, newsp, ptid, tls, ctid)
    if flags & CLONE_SIGHAND:           # Linux: CLONE_SIGHAND requires CLONE_VM
        return -errno.EINVAL
    if flags & ~FORK_FLAGS:
        p.log_unimp(f'clone flags {flags & ~FORK_FLAGS:#x} are not implemented')
        return -errno.EINVAL
    if exit_sig not in (0, abi.SIGCHLD):
        # the host kernel always sends SIGCHLD to the emulator's parent
        p.log_unimp(f'clone exit signal {exit_sig} (SIGCHLD is sent instead)')
    return fork_guest(p, flags, newsp, ptid, tls, ctid)


def fork_guest(p, flags=0, newsp=0, ptid=0, tls=0, ctid=0):
    """Fork the emulator: the parent returns the child's pid, the child returns 0."""
    p.hostsig.need(abi.SIGCHLD)         # wait4 sleeps until SIGCHLD wakes it
    vfork_r = vfork_w = None
    if flags & CLONE_VFORK:
        # closed by the child's exec (close-on-exec) or exit: the parent waits for EOF
        vfork_r, vfork_w = os.pipe2(os.O_CLOEXEC)
    _flush_streams(p)
    pid = _host_fork(p)
    if pid == 0:
        if vfork_r is not None:
            os.close(vfork_r)
        _child_setup(p, flags, newsp, tls, ctid, vfork_w)
        return 0
    if vfork_w is not None:
        os.close(vfork_w)
        _wait_for_eof(vfork_r)
    if flags & CLONE_PARENT_SETTID and ptid:
        p.mem.write(ptid, struct.pack('<i', pid))
    return pid


def _flush_streams(p):
    # buffered text would otherwise be written twice, by the parent and by the child
    for f in (sys.stdout, sys.stderr, p.strace, p.unimp):
        try:
            if f is not None:
                f.flush()
        except Exception:
            pass


def _host_fork(p):
    from numba.core.compiler_lock import global_compiler_lock
    with global_compiler_lock, p.machine.lock:
        return os.fork()


def _child_setup(p, flags, newsp, tls, ctid, vfork_w):
    p.forked = True
    p.pid = p.tid = os.getpid()
    p.signals.pending.clear()
    p.machine.after_fork_child()
    p.threads.after_fork_child()
    p.hostsig.after_fork_child()
    if p.vfork_done_fd is not None:     # a vfork child that forks: not the grandchild's pipe
        os.close(p.vfork_done_fd)
    p.vfork_done_fd = vfork_w
    timers = getattr(p, 'timers', None)
    if timers is not None:
        timers.after_fork_child()
    r = p.regs
    if newsp:
        r[_SP] = newsp
    if flags & CLONE_SETTLS:
        r[_TPIDR] = tls
    if flags & CLONE_CHILD_SETTID and ctid:
        p.mem.write(ctid, struct.pack('<i', p.tid))
    p.clear_child_tid = ctid if flags & CLONE_CHILD_CLEARTID else 0


def _wait_for_eof(fd):
    try:
        while True:
            try:
                if not os.read(fd, 64):
                    return
            except InterruptedError:
                continue
    finally:
        os.close(fd)


# ----- waiting for children -----
WNOHANG, WUNTRACED, WCONTINUED, WEXITED, WNOWAIT = 1, 2, 8, 4, 0x1000000
WAIT_FLAGS_ALL = 0x0000000F | WNOWAIT | 0x20000000 | 0x40000000 | 0x80000000  # __WNOTHREAD...
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3


def _reap_loop(p, try_once, options):
    """Call try_once() (a non-blocking wait) until it reports a child, sleeping on SIGCHLD in
    between unless WNOHANG; a guest signal interrupts the sleep (-ERESTARTSYS)."""
    while True:
        res = try_once()
        if res is not None or options & WNOHANG:
            return res
        # as Linux's do_wait: a child that is ready wins over a pending signal
        p.hostsig.check(restartable=True)
        # the child may have exited between the look and the sleep: SIGCHLD then is already
        # in the wakeup pipe, so the sleep returns at once. A guest that ignores SIGCHLD gets
        # no SIGCHLD (the kernel reaps for it), so then look again every 50 ms.
        hears = abi.SIGCHLD in p.hostsig.forwarded
        p.hostsig.wait(timeout_ms=None if hears else 50, interrupt=False)


@syscall('wait4', 'dpxp')
def sys_wait4(p, pid, status, options, ru):
    pid, options = _s32(pid), options & 0xFFFFFFFF
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000):
        return -errno.EINVAL

    def once():
        try:
            wpid, st, rusage = os.wait4(pid, options | WNOHANG)
        except ChildProcessError:
            raise OSError(errno.ECHILD, 'no child')
        return (wpid, st, rusage) if wpid else None

    res = _reap_loop(p, once, options)
    if res is None:
        return 0
    wpid, st, rusage = res
    if status:
        p.mem.write(status, struct.pack('<i', st))      # the wait status encoding is generic
    if ru:
        from .syscalls import _pack_rusage
        p.mem.write(ru, _pack_rusage(rusage))
    return wpid


@syscall('waitid', 'ddpxp')
def sys_waitid(p, idtype, ident, infop, options, ru):
    idtype, ident, options = _s32(idtype), _s32(ident), options & 0xFFFFFFFF
    if idtype not in (P_ALL, P_PID, P_PGID):
        p.log_unimp(f'waitid idtype {idtype}')
        return -errno.EINVAL
    if not options & (WEXITED | WUNTRACED | WCONTINUED) or options & ~WAIT_FLAGS_ALL:
        return -errno.EINVAL
    # the raw syscall: siginfo_t and struct rusage have one layout on every 64-bit Linux, and
    # os.waitid reports neither the rusage nor "no child ready" under WNOHANG distinctly
    info = bytearray(abi.SIGINFO_SIZE)
    rus = bytearray(144)

    def once():
        info[:] = bytes(abi.SIGINFO_SIZE)
        _host_waitid(idtype, ident, info, options | WNOHANG, rus)
        return bytes(info) if struct.unpack_from('<i', info, 16)[0] else None

    res = _reap_loop(p, once, options)
    if infop:
        p.mem.write(infop, res if res is not None else bytes(abi.SIGINFO_SIZE))
    if ru:
        p.mem.write(ru, bytes(rus))
    return 0


_HOST_WAITID = {'x86_64': 247, 'aarch64': 95}


def _host_waitid(idtype, ident, info, options, rus):
    import ctypes
    from .fs import _libc
    nr = _HOST_WAITID[os.uname().machine]
    ib = (ctypes.c_char * len(info)).from_buffer(info)
    rb = (ctypes.c_char * len(rus)).from_buffer(rus)
    r = _libc.syscall(ctypes.c_long(nr), ctypes.c_long(idtype), ctypes.c_long(ident), ib,
                      ctypes.c_long(options), rb)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
