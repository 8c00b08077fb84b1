"""signalfd4: reading the guest's pending signals through an fd.

The guest's signals are the emulator's (signals.py keeps the pending set; hostsig.py forwards
the host signals the guest blocks), so a host signalfd cannot see them. A guest signalfd is an
emulated fd: its reads take pending signals of its mask and return them as 128-byte struct
signalfd_siginfo; its host fd is the read end of a pipe that holds one byte exactly while one of
those signals is pending, kept in step by the pending set's watch, so poll, select and epoll
see a signalfd become readable as on Linux (POLLIN only; a pipe's read end is never writable).

dup'd fds share one context (mask, pipe), as they share one file on Linux. A forked child gets
its own pipe on its first look (its pending set is its own). Limitations: execve passes the fd
on as the bare pipe; readv on a signalfd is EINVAL; one pending set serves the process and its
one thread, so a tgkill'd signal is not read before a kill'd one as Linux reads them; and a
signal from another process has no ssi_pid/ssi_uid (hostsig.py learns only its number).
"""
import errno
import fcntl
import os
import struct
import weakref

from . import abi
from .fs import Errno, OpenFile
from .hostsig import Interrupted
from .signals import UNBLOCKABLE, bit
from .table import syscall
from .hostcall import s32 as _s32

SFD_CLOEXEC = abi.G_O_CLOEXEC
SFD_NONBLOCK = abi.G_O_NONBLOCK
SSI_SIZE = 128
SI_TIMER, SI_QUEUE = -2, -1
CLD_CODES = range(1, 7)


class _Context:
    """One signalfd file: its mask and its readiness pipe."""

    def __init__(self, mask):
        self.mask = mask
        self.fds = weakref.WeakSet()        # the SignalFd objects (guest fds) of this file
        self.r, self.w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.ready = False
        self.pid = os.getpid()
        self._fin = weakref.finalize(self, _close_fds, [self.w])

    def take_read_end(self):
        """The read end, for the first guest fd (which owns it from then on)."""
        r, self.r = self.r, None
        return r

    def renew(self):
        """In a forked child: a pipe of our own under the same host fd numbers."""
        r, w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        for of in list(self.fds):
            fl = fcntl.fcntl(of.host, fcntl.F_GETFL)
            os.dup2(r, of.host, inheritable=False)
            fcntl.fcntl(of.host, fcntl.F_SETFL, fl)
        os.close(r)
        self._fin.detach()
        os.close(self.w)
        self.w = w
        self._fin = weakref.finalize(self, _close_fds, [w])
        self.ready = False
        self.pid = os.getpid()

    def set_ready(self, want):
        if want == self.ready:
            return
        if want:
            os.write(self.w, b'!')
        else:
            for of in self.fds:
                os.read(of.host, 1)     # the byte is there: this never blocks
                break
        self.ready = want


def _close_fds(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


class SignalFd(OpenFile):
    __slots__ = ('ctx', '__weakref__')
    emulated = True

    def __init__(self, host, cloexec, ctx):
        super().__init__(host, cloexec)
        self.ctx = ctx
        ctx.fds.add(self)

    def dup(self, cloexec):
        return SignalFd(os.dup(self.host), cloexec, self.ctx)

    def guest_read(self, p, buf, count, offset):
        if offset is not None:
            raise Errno(errno.ESPIPE)
        if count < SSI_SIZE:
            raise Errno(errno.EINVAL)
        s = p.signals
        while True:
            p.hostsig.drain()
            mine = [sig for sig in sorted(s.pending) if self.ctx.mask & bit(sig)]
            if mine:
                break
            if fcntl.fcntl(self.host, fcntl.F_GETFL) & os.O_NONBLOCK:
                raise Errno(errno.EAGAIN)
            if s.deliverable():
                raise Interrupted(True)     # signalfd_dequeue's -ERESTARTSYS
            p.hostsig.wait(interrupt=False)
        out = b''.join(to_ssi(s.pending.pop(sig)) for sig in mine[:count // SSI_SIZE])
        p.mem.write(buf, out)
        return len(out)

    def guest_readv(self, p, iov, cnt, offset):
        raise Errno(errno.EINVAL)

    def guest_write(self, p, buf, count, offset):
        raise Errno(errno.EINVAL)       # signalfd has no write


def to_ssi(info):
    """struct signalfd_siginfo from a kernel siginfo, as signalfd_copyinfo fills it."""
    signo, err, code = struct.unpack_from('<iii', info)
    pid, uid, status = struct.unpack_from('<IIi', info, 16)
    tid = overrun = 0
    ptr = utime = stime = addr = 0
    if signo == abi.SIGCHLD and code in CLD_CODES:
        utime, stime = struct.unpack_from('<QQ', info, 32)
    elif signo in (abi.SIGSEGV, abi.SIGBUS, abi.SIGILL, 8, 5) and 0 < code < abi.SI_KERNEL:
        addr = struct.unpack_from('<Q', info, 16)[0]
        pid = uid = status = 0
    elif code == SI_TIMER:
        tid, overrun = pid, uid
        pid = uid = 0
        ptr = struct.unpack_from('<Q', info, 24)[0]
        status = 0
    elif code < 0:                      # SI_QUEUE, SI_TKILL...: pid, uid and the sigval
        ptr = struct.unpack_from('<Q', info, 24)[0]
        status = 0
    else:                               # SI_USER, SI_KERNEL: pid and uid
        status = 0
    sival_int = _s32(ptr) if code < 0 else 0
    b = struct.pack('<IiiIIiIIIIiiQQQQ', signo, err, code, pid, uid, 0, tid, 0, overrun, 0,
                    status, sival_int, ptr, utime, stime, addr)
    return b.ljust(SSI_SIZE, b'\0')


def refresh(p):
    """The pending set changed: each signalfd's pipe holds a byte iff one of its signals is
    pending."""
    pending = 0
    for sig in p.signals.pending:
        pending |= bit(sig)
    for ctx in list(p.signalfd_contexts):
        if ctx.pid != os.getpid():
            ctx.renew()
        ctx.set_ready(bool(pending & ctx.mask))


@syscall('signalfd4', 'dpux')
def sys_signalfd4(p, fd, maskp, sizemask, flags):
    flags &= 0xFFFFFFFF
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK) or sizemask != abi.SIGSET_SIZE:
        return -errno.EINVAL
    mask = p.mem.u64(maskp) & ~UNBLOCKABLE
    if not hasattr(p, 'signalfd_contexts'):
        p.signalfd_contexts = weakref.WeakSet()
        p.signals.pending.watch = lambda: refresh(p)
    fd = _s32(fd)
    if fd != -1:
        of = p.fds.lookup(fd)
        if not isinstance(of, SignalFd):
            return -errno.EINVAL
        of.ctx.mask = mask
        refresh(p)
        return fd
    ctx = _Context(mask)
    h = ctx.take_read_end()
    fcntl.fcntl(h, fcntl.F_SETFL, os.O_NONBLOCK if flags & SFD_NONBLOCK else 0)
    of = SignalFd(h, bool(flags & SFD_CLOEXEC), ctx)
    newfd = p.fds.install(of)
    p.signalfd_contexts.add(ctx)
    refresh(p)
    return newfd
