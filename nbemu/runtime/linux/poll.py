"""I/O multiplexing: ppoll and pselect6 (arm64 has no poll or select syscall; glibc's poll,
select and pause call these). Guest fds map to their host fds and the host's poll does the
waiting, beside hostsig's pipe, so a handled signal ends the wait with EINTR (-ERESTARTNOHAND:
never restarted after a handler, SA_RESTART or not). A sigmask argument replaces the guest's
mask for the wait, as sigsuspend does, also while a thread waits for its retry.

Layouts (arm64 uapi): struct pollfd {int fd; short events, revents} (8 bytes; the POLL* bits
are the generic ones the host shares); fd_set is 1024 bits in 64-bit words; pselect6's sixth
argument points at {const sigset_t *ss; size_t ss_len}.
"""
import errno
import select
import struct
import time

from . import abi
from .hostsig import Interrupted, first_deadline
from .signals import UNBLOCKABLE, with_temporary_mask
from .table import syscall

FD_SETSIZE = 1024


def _timeout_ms(p, tmo):
    """None (forever) or milliseconds from a guest timespec."""
    if not tmo:
        return None
    s, ns = abi.unpack_timespec(p.mem.read(tmo, 16))
    if s < 0 or not 0 <= ns < 1_000_000_000:
        raise OSError(errno.EINVAL, 'bad timespec')
    return s * 1000 + ns / 1e6


def _write_left(p, tmo, deadline):
    # Linux writes the time left back into the timespec (glibc's select depends on it), and
    # so a restart after an ignored signal goes on with what is left
    deadline = None if deadline is None else first_deadline(p, deadline)
    if tmo and deadline is not None:
        p.mem.write(tmo, abi.pack_timespec(max(0, int((deadline - time.monotonic()) * 1e9))))


def wait_with_mask(p, poller, timeout_ms, sigmask_addr, sigsetsize, code=None):
    """poll() with hostsig's pipe, under the guest's sigmask argument if there is one. A signal
    ends it with -ERESTARTNOHAND (poll, select: EINTR after a handler), or code."""
    def wait():
        return p.hostsig.wait(poller, timeout_ms, restartable=False, code=code)
    if not sigmask_addr:
        return wait()
    if sigsetsize != abi.SIGSET_SIZE:
        raise OSError(errno.EINVAL, 'bad sigset size')
    return with_temporary_mask(p, p.mem.u64(sigmask_addr) & ~UNBLOCKABLE, wait)


@syscall('ppoll', 'pdppu')
def sys_ppoll(p, fds, nfds, tmo, sigmask, sigsetsize):
    nfds &= 0xFFFFFFFF
    if nfds > p.fds.max_fds:
        return -errno.EINVAL
    raw = bytearray(p.mem.read(fds, 8 * nfds)) if nfds else bytearray()
    timeout = _timeout_ms(p, tmo)
    deadline = None if timeout is None else time.monotonic() + timeout / 1000
    poller = select.poll()
    hosts = {}                      # host fd -> indexes of the pollfds naming it
    ready = 0
    for i in range(nfds):
        fd, ev, _ = struct.unpack_from('<ihh', raw, 8 * i)
        struct.pack_into('<h', raw, 8 * i + 6, 0)
        if fd < 0:
            continue
        of = p.fds.get(fd)
        if of is None:
            struct.pack_into('<h', raw, 8 * i + 6, select.POLLNVAL)
            ready += 1
            continue
        poller.register(of.host, ev & 0xFFFF)
        hosts.setdefault(of.host, []).append(i)
    if ready:
        timeout = 0
    try:
        res = wait_with_mask(p, poller, timeout, sigmask, sigsetsize)
    except Interrupted:
        _write_left(p, tmo, deadline)
        raise
    for h, rev in res:
        for i in hosts.get(h, []):
            struct.pack_into('<h', raw, 8 * i + 6, rev)
            ready += 1
    if nfds:
        p.mem.write(fds, bytes(raw))
    _write_left(p, tmo, deadline)
    return ready


_RD = select.POLLIN | select.POLLHUP | select.POLLERR
_WR = select.POLLOUT | select.POLLERR
_EX = select.POLLPRI


def _read_fdset(p, addr, nfds):
    if not addr:
        return 0
    nbytes = (nfds + 63) // 64 * 8
    return int.from_bytes(p.mem.read(addr, nbytes), 'little') & ((1 << nfds) - 1)


def _write_fdset(p, addr, nfds, bits):
    if addr:
        p.mem.write(addr, bits.to_bytes((nfds + 63) // 64 * 8, 'little'))


@syscall('pselect6', 'dppppp')
def sys_pselect6(p, nfds, rd, wr, ex, tmo, sig):
    nfds = nfds & 0xFFFFFFFF
    if nfds > 0x7FFFFFFF:
        return -errno.EINVAL
    nfds = min(nfds, max(p.fds.max_fds, FD_SETSIZE))
    sets = [_read_fdset(p, a, nfds) for a in (rd, wr, ex)]
    sigmask = sigsetsize = 0
    if sig:
        sigmask, sigsetsize = struct.unpack('<QQ', p.mem.read(sig, 16))
    timeout = _timeout_ms(p, tmo)
    deadline = None if timeout is None else time.monotonic() + timeout / 1000
    poller = select.poll()
    hosts = {}
    for fd in range(nfds):
        ev = ((select.POLLIN if sets[0] >> fd & 1 else 0) |
              (select.POLLOUT if sets[1] >> fd & 1 else 0) |
              (select.POLLPRI if sets[2] >> fd & 1 else 0))
        if not ev:
            continue
        of = p.fds.get(fd)
        if of is None:
            return -errno.EBADF
        hosts.setdefault(of.host, []).append((fd, ev))
    for h, entries in hosts.items():
        ev = 0
        for _, e in entries:
            ev |= e
        poller.register(h, ev)
    try:
        res = wait_with_mask(p, poller, timeout, sigmask, sigsetsize)
    except Interrupted:
        _write_left(p, tmo, deadline)
        raise
    out = [0, 0, 0]
    count = 0
    for h, rev in res:
        for fd, ev in hosts.get(h, []):
            for k, (want, got) in enumerate(((select.POLLIN, _RD), (select.POLLOUT, _WR),
                                             (select.POLLPRI, _EX))):
                if ev & want and rev & got:
                    out[k] |= 1 << fd
                    count += 1
    for addr, bits in zip((rd, wr, ex), out):
        _write_fdset(p, addr, nfds, bits)
    _write_left(p, tmo, deadline)
    return count
