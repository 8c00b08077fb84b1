"""epoll: epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2, on a host epoll instance.

Every guest fd owns one host fd (fs.py), so a guest registration is the host registration of
that host fd, with the guest's 64-bit data word passed through unchanged: the host hands it
back in its events, and no table of ours can go stale when the guest closes or dups fds (Linux
drops a registration when the last fd of the open file closes, and so does the host).

struct epoll_event is 16 bytes on arm64 (u32 events, 4 bytes of padding, u64 data: the uapi
header packs it only for x86-64), 12 bytes packed on an x86-64 host. The EPOLL* bits are the
generic ones both share.

A wait polls the epoll fd (readable while events are ready) beside hostsig's pipe, so a handled
signal ends it with EINTR (Linux's ep_poll: plain EINTR, never restarted), then collects with a
zero-timeout host epoll_wait.
"""
import ctypes
import errno
import os
import select
import struct
import time

from . import abi
from .fs import OpenFile, _libc
from .poll import wait_with_mask
from .table import syscall
from .hostcall import check as _check, s32 as _s32

GUEST_EVENT = struct.Struct('<I4xQ')
HOST_EVENT = struct.Struct('<IQ' if os.uname().machine == 'x86_64' else '<I4xQ')
EPOLL_CLOEXEC = abi.G_O_CLOEXEC
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EP_MAX_EVENTS = 0x7FFFFFFF // GUEST_EVENT.size
HOST_BATCH = 1024           # events taken from the host per wait (the rest stay ready)


@syscall('epoll_create1', 'x')
def sys_epoll_create1(p, flags):
    flags = _s32(flags)
    if flags & ~EPOLL_CLOEXEC:
        return -errno.EINVAL
    h = _check(_libc.epoll_create1(ctypes.c_int(os.O_CLOEXEC)))
    return p.fds.install(OpenFile(h, bool(flags & EPOLL_CLOEXEC)))


@syscall('epoll_ctl', 'dddp')
def sys_epoll_ctl(p, epfd, op, fd, event):
    op = _s32(op)
    ev = None
    if op != EPOLL_CTL_DEL:     # Linux reads the event first, whatever the fds (EFAULT first)
        events, data = GUEST_EVENT.unpack(p.mem.read(event, GUEST_EVENT.size))
        ev = ctypes.create_string_buffer(HOST_EVENT.pack(events, data), HOST_EVENT.size)
    ep = p.fds.lookup(_s32(epfd))
    target = p.fds.lookup(_s32(fd))
    _check(_libc.epoll_ctl(ctypes.c_int(ep.host), ctypes.c_int(op), ctypes.c_int(target.host),
                           ev))
    return 0


def _collect(host, n):
    buf = ctypes.create_string_buffer(HOST_EVENT.size * n)
    got = _check(_libc.epoll_wait(ctypes.c_int(host), buf, ctypes.c_int(n), ctypes.c_int(0)))
    return [HOST_EVENT.unpack_from(buf.raw, i * HOST_EVENT.size) for i in range(got)]


def _epoll_wait(p, epfd, events, maxevents, timeout_ms, sigmask, sigsetsize):
    """timeout_ms: None waits forever."""
    maxevents = _s32(maxevents)
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        return -errno.EINVAL
    ep = p.fds.lookup(_s32(epfd))
    n = min(maxevents, HOST_BATCH)
    deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
    while True:
        ready = _collect(ep.host, n)
        if ready or timeout_ms == 0:
            break
        left = None if deadline is None else max(0.0, (deadline - time.monotonic()) * 1000)
        poller = select.poll()
        poller.register(ep.host, select.POLLIN)
        if not wait_with_mask(p, poller, left, sigmask, sigsetsize, code=errno.EINTR):
            ready = _collect(ep.host, n)        # the timeout ran out: a last look
            break
    if ready:
        p.mem.write(events, b''.join(GUEST_EVENT.pack(e, d) for e, d in ready))
    return len(ready)


@syscall('epoll_pwait', 'dpddpu')
def sys_epoll_pwait(p, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    if sigmask and sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    t = _s32(timeout)
    return _epoll_wait(p, epfd, events, maxevents, None if t < 0 else t, sigmask, sigsetsize)


@syscall('epoll_pwait2', 'dpdppu')
def sys_epoll_pwait2(p, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    if sigmask and sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    t = None
    if timeout:
        s, ns = abi.unpack_timespec(p.mem.read(timeout, 16))
        if s < 0 or not 0 <= ns < 1_000_000_000:
            return -errno.EINVAL
        t = s * 1000 + ns / 1e6
    return _epoll_wait(p, epfd, events, maxevents, t, sigmask, sigsetsize)
