"""timerfd_create, timerfd_settime, timerfd_gettime on host timerfds.

struct itimerspec (two 16-byte timespecs), the clock ids and the TFD_* flags are the same on
arm64 and the host, so the calls pass through with the guest's buffers copied in and out. A
timerfd's reads are the ordinary fd ones (fs.py): 8 bytes of expirations, a blocking read
interruptible by signals; poll and epoll see the host's readiness.
"""
import ctypes
import errno
import os

from . import abi
from .eventfd import CounterFd
from .fs import _libc
from .table import syscall
from .hostcall import check as _check, s32 as _s32

TFD_CLOEXEC = abi.G_O_CLOEXEC
TFD_NONBLOCK = abi.G_O_NONBLOCK
TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
ITIMERSPEC_SIZE = 32


@syscall('timerfd_create', 'dx')
def sys_timerfd_create(p, clockid, flags):
    flags = _s32(flags)
    if flags & ~(TFD_CLOEXEC | TFD_NONBLOCK):
        return -errno.EINVAL
    hflags = os.O_CLOEXEC | (os.O_NONBLOCK if flags & TFD_NONBLOCK else 0)
    h = _check(_libc.timerfd_create(ctypes.c_int(_s32(clockid)), ctypes.c_int(hflags)))
    return p.fds.install(CounterFd(h, bool(flags & TFD_CLOEXEC)))


@syscall('timerfd_settime', 'dxpp')
def sys_timerfd_settime(p, fd, flags, new, old):
    flags = _s32(flags)
    val = p.mem.read(new, ITIMERSPEC_SIZE)      # Linux copies the new value in first
    of = p.fds.lookup(_s32(fd))
    out = ctypes.create_string_buffer(ITIMERSPEC_SIZE)
    _check(_libc.timerfd_settime(ctypes.c_int(of.host), ctypes.c_int(flags), val,
                                 out if old else None))
    if old:
        p.mem.write(old, out.raw)
    return 0


@syscall('timerfd_gettime', 'dp')
def sys_timerfd_gettime(p, fd, cur):
    of = p.fds.lookup(_s32(fd))
    out = ctypes.create_string_buffer(ITIMERSPEC_SIZE)
    _check(_libc.timerfd_gettime(ctypes.c_int(of.host), out))
    p.mem.write(cur, out.raw)
    return 0
