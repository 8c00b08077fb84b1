"""Sockets (AF_UNIX, AF_INET, AF_INET6), passed through to host sockets.

Every guest socket owns one host socket (fs.py's fd table), so read/write/poll/epoll/close
work on it as on any fd. arm64 and the host (x86-64 or arm64) are both LP64 little-endian
Linux with the generic socket ABI: the sockaddrs, struct msghdr's field sizes, cmsghdr
(16 bytes, 8-byte CMSG_ALIGN), the SOL_SOCKET/SO_*/MSG_*/SOCK_* numbers and the option
payloads (int, struct timeval, struct linger, struct ucred) are the same bytes on both. What is
translated: guest pointers (buffers become arena memoryviews through guestmem, never host
pointers taken from the guest), fd numbers in SCM_RIGHTS (cmsg.py), relative AF_UNIX paths
(resolved against the guest's working directory, not the emulator's).

A blocking accept, recv* or connect waits for readiness beside hostsig's pipe first, so a
handled signal ends it as on Linux: restarted under SA_RESTART (-ERESTARTSYS) unless the socket
has a SO_RCVTIMEO/SO_SNDTIMEO, which makes it EINTR (sock_intr_errno) and bounds the wait
(EAGAIN). A blocking send* or write(2) to a full socket sends what fits and waits for room
the same way. An AF_UNIX connect to a full backlog has nothing to poll: it is tried again every
UNIX_CONNECT_POLL_MS. Limitation: a signal cannot end an AF_UNIX connect on a socket with a
SO_SNDTIMEO (it blocks in the host).
"""
import contextlib
import ctypes
import errno
import fcntl
import os
import select
import struct
import time

from ..memory import GuestFault
from . import abi, cmsg, guestmem
from nbemu.core.cpu import OFF_PC
from .fs import Errno, OpenFile, _libc, _skip
from .hostsig import Interrupted
from .threads import WouldBlock
from .table import syscall
from .hostcall import check as _check, s32 as _s32

AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
FAMILIES = (AF_UNIX, AF_INET, AF_INET6)
SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET = 1, 2, 5
SOCK_NONBLOCK = abi.G_O_NONBLOCK
SOCK_CLOEXEC = abi.G_O_CLOEXEC
SOCK_TYPE_MASK = 0xF
_PC = OFF_PC // 8
SOCKADDR_MAX = 128                  # sizeof(struct sockaddr_storage): Linux's limit
MSG_DONTWAIT, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC = 0x40, 0x4000, 0x40000000
SOL_SOCKET, SO_TYPE, SO_ERROR, SO_RCVTIMEO, SO_SNDTIMEO = 1, 3, 4, 20, 21
SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW = 66, 67
IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 0, 6, 17, 41
# options whose payload holds a pointer or an fd (BPF programs, netfilter tables, TCP
# zero-copy receive): the host would take the guest's value for its own, so they are refused
_POINTER_OPTS = {(SOL_SOCKET, 26), (SOL_SOCKET, 50), (SOL_SOCKET, 51), (SOL_SOCKET, 52),
                 (IPPROTO_TCP, 35)}
_OPT_LEVELS = {SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6}
OPTLEN_MAX = 1 << 16


class Socket(OpenFile):
    """A guest socket: knows its type, which send/recv need (EPIPE is a stream's)."""
    __slots__ = ('stype',)

    def __init__(self, host, cloexec, stype):
        super().__init__(host, cloexec)
        self.stype = stype

    def dup(self, cloexec):
        return Socket(os.dup(self.host), cloexec, self.stype)


def _sock(p, fd):
    of = p.fds.lookup(_s32(fd))
    if not isinstance(of, Socket):
        # a host socket the guest inherited (stdin, execve) is a socket as well
        try:
            t = struct.unpack('<i', _getsockopt_raw(of.host, SOL_SOCKET, SO_TYPE, 4))[0]
        except OSError as e:
            raise OSError(errno.ENOTSOCK, os.strerror(errno.ENOTSOCK)) from e
        return of, t
    return of, of.stype


def _getsockopt_raw(host, level, name, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    ln = ctypes.c_uint32(size)
    _check(_libc.getsockopt(ctypes.c_int(host), ctypes.c_int(level), ctypes.c_int(name), buf,
                            ctypes.byref(ln)))
    return buf.raw[:ln.value]


def _install(p, h, flags, stype):
    return p.fds.install(Socket(h, bool(flags & SOCK_CLOEXEC), stype))


# ----- sockaddrs -----
def read_sockaddr(p, addr, addrlen):
    """The guest's sockaddr as bytes for the host (EINVAL for a length Linux refuses)."""
    addrlen = _s32(addrlen)
    if addrlen < 0 or addrlen > SOCKADDR_MAX:
        raise OSError(errno.EINVAL, 'bad address length')
    return p.mem.read(addr, addrlen) if addrlen else b''


def _relative_unix(raw):
    return len(raw) > 2 and struct.unpack_from('<H', raw)[0] == AF_UNIX and \
        raw[2] not in (0, ord('/'))


@contextlib.contextmanager
def guest_cwd(p, raw):
    """Run a bind/connect/sendto whose AF_UNIX path is relative in the guest's working
    directory (the emulator's own never follows the guest's chdir), when they differ."""
    if not _relative_unix(raw):
        yield
        return
    here = os.stat('.')
    there = os.fstat(p.cwd_fd)
    if (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino):
        yield
        return
    back = os.open('.', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fchdir(p.cwd_fd)
        yield
    finally:
        os.fchdir(back)
        os.close(back)


def write_sockaddr(p, addr, lenp, raw):
    """Linux's move_addr_to_user: copy at most *lenp bytes, store the full length."""
    if not lenp:
        return
    have = _s32(struct.unpack('<I', p.mem.read(lenp, 4))[0])
    if have < 0:
        raise OSError(errno.EINVAL, 'bad address length')
    if have and raw:
        p.mem.write(addr, raw[:have])
    p.mem.write(lenp, struct.pack('<I', len(raw)))


def _guest_addrlen(p, lenp):
    """Read *lenp before the call (Linux fails with EFAULT/EINVAL before doing anything)."""
    if not lenp:
        return None
    have = _s32(struct.unpack('<I', p.mem.read(lenp, 4))[0])
    if have < 0:
        raise OSError(errno.EINVAL, 'bad address length')
    return have


# ----- blocking waits -----
def _timeout_opt(host, name):
    """SO_RCVTIMEO/SO_SNDTIMEO in ms, or None when the socket has none."""
    sec, usec = struct.unpack('<qq', _getsockopt_raw(host, SOL_SOCKET, name, 16))
    ms = sec * 1000 + usec / 1000
    return ms or None


def _waits_by_us(p):
    # waits beside hostsig's pipe for a handled signal, in the scheduler for other threads
    return p.hostsig.active or p.threads.multi


def wait_ready(p, of, flags, events, timeo_opt):
    """Before a call that may block: wait beside hostsig's pipe. Returns False on timeout."""
    if not _waits_by_us(p) or flags & MSG_DONTWAIT or \
            fcntl.fcntl(of.host, fcntl.F_GETFL) & os.O_NONBLOCK:
        return True
    timeo = _timeout_opt(of.host, timeo_opt)
    poller = select.poll()
    poller.register(of.host, events)
    # sock_intr_errno: -ERESTARTSYS without a timeout, plain EINTR with one
    return bool(p.hostsig.wait(poller, timeo, restartable=timeo is None,
                               code=None if timeo is None else errno.EINTR))


def _again():
    return OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))


# ----- creating, naming, connecting -----
def _type_flags(stype):
    stype = _s32(stype)
    if stype & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise OSError(errno.EINVAL, 'bad socket type flags')
    host = (stype & SOCK_TYPE_MASK) | os.O_CLOEXEC | \
        (os.O_NONBLOCK if stype & SOCK_NONBLOCK else 0)
    return host, stype


@syscall('socket', 'ddd')
def sys_socket(p, domain, stype, protocol):
    domain = _s32(domain)
    host, stype = _type_flags(stype)
    if domain not in FAMILIES:
        p.log_unimp(f'socket family {domain}')
        return -errno.EAFNOSUPPORT
    h = _check(_libc.socket(ctypes.c_int(domain), ctypes.c_int(host), ctypes.c_int(_s32(protocol))))
    return _install(p, h, stype, stype & SOCK_TYPE_MASK)


@syscall('socketpair', 'dddp')
def sys_socketpair(p, domain, stype, protocol, sv):
    domain = _s32(domain)
    host, stype = _type_flags(stype)
    if domain not in FAMILIES:
        return -errno.EAFNOSUPPORT
    p.mem.write(sv, bytes(8))          # EFAULT before creating anything
    pair = (ctypes.c_int * 2)()
    _check(_libc.socketpair(ctypes.c_int(domain), ctypes.c_int(host), ctypes.c_int(_s32(protocol)),
                            pair))
    a = _install(p, pair[0], stype, stype & SOCK_TYPE_MASK)
    try:
        b = _install(p, pair[1], stype, stype & SOCK_TYPE_MASK)
    except Errno:
        p.fds.close(a)
        raise
    p.mem.write(sv, struct.pack('<ii', a, b))
    return 0


@syscall('bind', 'dpd')
def sys_bind(p, fd, addr, addrlen):
    of, _ = _sock(p, fd)
    raw = read_sockaddr(p, addr, addrlen)
    with guest_cwd(p, raw):
        _check(_libc.bind(ctypes.c_int(of.host), raw, ctypes.c_uint32(len(raw))))
    return 0


@syscall('listen', 'dd')
def sys_listen(p, fd, backlog):
    of, _ = _sock(p, fd)
    _check(_libc.listen(ctypes.c_int(of.host), ctypes.c_int(_s32(backlog))))
    return 0


def _host_connect(of, raw):
    return _libc.connect(ctypes.c_int(of.host), raw, ctypes.c_uint32(len(raw)))


@syscall('connect', 'dpd')
def sys_connect(p, fd, addr, addrlen):
    of, stype = _sock(p, fd)
    raw = read_sockaddr(p, addr, addrlen)
    family = struct.unpack_from('<H', raw)[0] if len(raw) >= 2 else 0
    fl = fcntl.fcntl(of.host, fcntl.F_GETFL)
    if not (_waits_by_us(p) and stype in (SOCK_STREAM, SOCK_SEQPACKET)
            and family in FAMILIES and not fl & os.O_NONBLOCK):
        with guest_cwd(p, raw):
            _check(_host_connect(of, raw))
        return 0
    if family == AF_UNIX:
        return _unix_connect(p, of, raw, fl)
    # a blocking TCP connect: start it non-blocking, wait for it beside hostsig's pipe
    if _nonblocking_connect(of, raw, fl, (errno.EINPROGRESS, errno.EALREADY)):
        return 0    # EALREADY: a connect interrupted before, or retried after WouldBlock
    if not wait_ready(p, of, 0, select.POLLOUT, SO_SNDTIMEO):
        raise OSError(errno.EINPROGRESS, os.strerror(errno.EINPROGRESS))
    err = struct.unpack('<i', _getsockopt_raw(of.host, SOL_SOCKET, SO_ERROR, 4))[0]
    if err:
        raise OSError(err, os.strerror(err))
    # once more, so that the host socket is SS_CONNECTED too: a later connect is EISCONN
    _nonblocking_connect(of, raw, fl, (errno.EISCONN,))
    return 0


def _nonblocking_connect(of, raw, fl, waiting):
    """One non-blocking host connect: True if done, False on an errno in waiting."""
    fcntl.fcntl(of.host, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        if _host_connect(of, raw) == 0:
            return True
        e = ctypes.get_errno()
        if e not in waiting:
            raise OSError(e, os.strerror(e))
        return False
    finally:
        fcntl.fcntl(of.host, fcntl.F_SETFL, fl)


UNIX_CONNECT_POLL_MS = 10


def _unix_connect(p, of, raw, fl):
    """A blocking AF_UNIX connect to a listener whose backlog is full waits in the kernel for
    room (unix_wait_for_peer), with nothing to poll: the non-blocking connect (EAGAIN while
    full) is tried again every UNIX_CONNECT_POLL_MS beside hostsig's pipe, so that a signal
    ends it with -ERESTARTSYS as sock_intr_errno does, or other threads run meanwhile. With a
    SO_SNDTIMEO (EAGAIN after it) it blocks in the host, uninterruptible."""
    if _timeout_opt(of.host, SO_SNDTIMEO) is not None:
        with guest_cwd(p, raw):
            _check(_host_connect(of, raw))
        return 0
    t = p.threads.current
    while True:
        fcntl.fcntl(of.host, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        try:
            with guest_cwd(p, raw):
                r = _host_connect(of, raw)
            e = ctypes.get_errno()
        finally:
            fcntl.fcntl(of.host, fcntl.F_SETFL, fl)
        if r == 0:
            return 0
        if e != errno.EAGAIN:
            raise OSError(e, os.strerror(e))
        t.retry = None      # each wait is a fresh interval, also when retried after WouldBlock
        p.hostsig.wait(None, UNIX_CONNECT_POLL_MS, restartable=True)


def _name(p, fd, addr, lenp, fn):
    _guest_addrlen(p, lenp)
    of, _ = _sock(p, fd)
    buf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = ctypes.c_uint32(SOCKADDR_MAX)
    _check(fn(ctypes.c_int(of.host), buf, ctypes.byref(ln)))
    write_sockaddr(p, addr, lenp, buf.raw[:ln.value])
    return 0


@syscall('getsockname', 'dpp')
def sys_getsockname(p, fd, addr, lenp):
    return _name(p, fd, addr, lenp, _libc.getsockname)


@syscall('getpeername', 'dpp')
def sys_getpeername(p, fd, addr, lenp):
    return _name(p, fd, addr, lenp, _libc.getpeername)


@syscall('accept4', 'dppx')
def sys_accept4(p, fd, addr, lenp, flags):
    flags = _s32(flags)
    if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
        return -errno.EINVAL
    of, stype = _sock(p, fd)
    if addr:
        _guest_addrlen(p, lenp)
    if not wait_ready(p, of, 0, select.POLLIN, SO_RCVTIMEO):
        raise _again()
    buf = ctypes.create_string_buffer(SOCKADDR_MAX)
    ln = ctypes.c_uint32(SOCKADDR_MAX)
    hflags = os.O_CLOEXEC | (os.O_NONBLOCK if flags & SOCK_NONBLOCK else 0)
    h = _check(_libc.accept4(ctypes.c_int(of.host), buf, ctypes.byref(ln), ctypes.c_int(hflags)))
    try:
        if addr:
            write_sockaddr(p, addr, lenp, buf.raw[:ln.value])
    except BaseException:
        os.close(h)
        raise
    return _install(p, h, flags, stype)


@syscall('accept', 'dpp')
def sys_accept(p, fd, addr, lenp):
    return sys_accept4(p, fd, addr, lenp, 0)


@syscall('shutdown', 'dd')
def sys_shutdown(p, fd, how):
    of, _ = _sock(p, fd)
    _check(_libc.shutdown(ctypes.c_int(of.host), ctypes.c_int(_s32(how))))
    return 0


# ----- data -----
class _Iovec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint32),
                ('iov', ctypes.POINTER(_Iovec)), ('iovlen', ctypes.c_size_t),
                ('control', ctypes.c_void_p), ('controllen', ctypes.c_size_t),
                ('flags', ctypes.c_int)]


def _host_iov(views):
    """A host iovec array over arena memoryviews (kept alive by the returned list)."""
    keep = [(ctypes.c_char * len(v)).from_buffer(v) for v in views]
    arr = (_Iovec * max(1, len(keep)))()
    for i, k in enumerate(keep):
        arr[i].base = ctypes.addressof(k)
        arr[i].len = len(k)
    return arr, keep


def _epipe(p, stype, flags, e):
    if e.errno == errno.EPIPE and stype != SOCK_DGRAM and not flags & MSG_NOSIGNAL:
        p.signals.queue(abi.SIGPIPE, code=abi.SI_USER, private=True)


def _sendmsg(p, of, stype, views, name, control, flags):
    if _waits_by_us(p) and not flags & MSG_DONTWAIT and \
            not fcntl.fcntl(of.host, fcntl.F_GETFL) & os.O_NONBLOCK:
        return _send_waiting(p, of, stype, views, name, control, flags)
    try:
        return _send_once(p, of, views, name, control, flags)
    except OSError as e:
        _epipe(p, stype, flags, e)
        raise


def _send_once(p, of, views, name, control, flags):
    arr, keep = _host_iov(views)
    nbuf = ctypes.create_string_buffer(name, max(1, len(name)))
    cbuf = ctypes.create_string_buffer(control, max(1, len(control)))
    m = _Msghdr(ctypes.addressof(nbuf) if name else None, len(name), arr, len(keep),
                ctypes.addressof(cbuf) if control else None, len(control), 0)
    with guest_cwd(p, name):
        return _check(_libc.sendmsg(ctypes.c_int(of.host), ctypes.byref(m),
                                    ctypes.c_int(flags | MSG_NOSIGNAL)))


def _send_waiting(p, of, stype, views, name, control, flags):
    """A blocking send: it sends what fits (MSG_DONTWAIT) and waits for room beside hostsig's
    pipe, as fs.py's write does, so that a signal ends it as unix_stream_sendmsg and
    tcp_sendmsg do: the count sent so far, else sock_intr_errno's -ERESTARTSYS (EINTR with a
    SO_SNDTIMEO, whose end gives the count or EAGAIN). A stream's rest goes on after a partial
    send (its control message went with the first part); a datagram is sent whole or not.
    Retries after WouldBlock go on after Thread.io_done."""
    t = p.threads.current
    retrying = t.retry is not None and t.retry[0] == int(p.regs[_PC])
    total = t.io_done if retrying else 0
    t.io_done = 0
    want = sum(len(v) for v in views)
    try:
        while True:
            try:
                total += _send_once(p, of, _skip(views, total), name,
                                    b'' if total else control, flags | MSG_DONTWAIT)
                if total >= want or stype != SOCK_STREAM:
                    return total
            except BlockingIOError:
                pass
            try:
                if not wait_ready(p, of, 0, select.POLLOUT, SO_SNDTIMEO):
                    if total:
                        return total
                    raise _again()
            except WouldBlock:
                t.io_done = total
                raise
    except (Interrupted, OSError) as e:
        if total:
            return total
        if isinstance(e, OSError):
            _epipe(p, stype, flags, e)
        raise


def _recvmsg(p, of, views, want_name, controllen, flags):
    """(bytes received, source sockaddr, control bytes, msg_flags)."""
    if not wait_ready(p, of, flags, select.POLLIN, SO_RCVTIMEO):
        raise _again()
    arr, keep = _host_iov(views)
    nbuf = ctypes.create_string_buffer(SOCKADDR_MAX)
    cbuf = ctypes.create_string_buffer(max(1, controllen))
    m = _Msghdr(ctypes.addressof(nbuf) if want_name else None,
                SOCKADDR_MAX if want_name else 0, arr, len(keep),
                ctypes.addressof(cbuf) if controllen else None, controllen, 0)
    n = _check(_libc.recvmsg(ctypes.c_int(of.host), ctypes.byref(m),
                             ctypes.c_int(flags | MSG_CMSG_CLOEXEC)))
    return n, nbuf.raw[:m.namelen] if want_name else b'', cbuf.raw[:m.controllen], m.flags


def _note_received(p, spans, n):
    for base, ln in spans:
        if n <= 0:
            break
        guestmem.note_written(p.mem, base, min(ln, n))
        n -= ln


@syscall('sendto', 'dpuxpd')
def sys_sendto(p, fd, buf, length, flags, dest, addrlen):
    of, stype = _sock(p, fd)
    name = read_sockaddr(p, dest, addrlen) if dest else b''
    views = guestmem.views(p.mem, buf, min(length, 0x7ffff000), False)
    return _sendmsg(p, of, stype, views, name, b'', _s32(flags))


@syscall('recvfrom', 'dpuxpp')
def sys_recvfrom(p, fd, buf, length, flags, src, lenp):
    of, _ = _sock(p, fd)
    if src:
        _guest_addrlen(p, lenp)
    views = guestmem.views(p.mem, buf, min(length, 0x7ffff000), True)
    n, name, _, _ = _recvmsg(p, of, views, bool(src), 0, _s32(flags))
    _note_received(p, [(buf, length)], n)
    if src:
        write_sockaddr(p, src, lenp, name)
    return n


_GUEST_MSGHDR = struct.Struct('<QI4xQQQQi4x')       # arm64 struct msghdr, 56 bytes


def _read_iov(p, iov, iovlen, write):
    if iovlen > guestmem.IOV_MAX:
        raise OSError(errno.EMSGSIZE, os.strerror(errno.EMSGSIZE))
    raw = p.mem.read(iov, 16 * iovlen) if iovlen else b''
    views, spans, total = [], [], 0
    for i in range(iovlen):
        base, ln = struct.unpack_from('<QQ', raw, 16 * i)
        if ln > 0x7ffff000 - total:
            ln = 0x7ffff000 - total
        if ln:
            # the whole of every buffer must be accessible (Linux's import_iovec fails
            # with EFAULT otherwise)
            part = guestmem.views(p.mem, base, ln, write)
            if sum(len(v) for v in part) < ln:
                raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))
            views += part
            spans.append((base, ln))
            total += ln
    return views, spans


def _send_one(p, of, stype, msg, flags):
    name_p, namelen, iov, iovlen, ctl, ctllen, _ = _GUEST_MSGHDR.unpack(
        p.mem.read(msg, _GUEST_MSGHDR.size))
    name = read_sockaddr(p, name_p, namelen) if name_p else b''
    views, _ = _read_iov(p, iov, iovlen, False)
    control = b''
    if ctllen:
        if ctllen > cmsg.CONTROL_MAX:
            raise OSError(errno.ENOBUFS, os.strerror(errno.ENOBUFS))
        control = cmsg.to_host(p, p.mem.read(ctl, ctllen))
    return _sendmsg(p, of, stype, views, name, control, flags)


def _recv_one(p, of, msg, flags):
    name_p, namelen, iov, iovlen, ctl, ctllen, _ = _GUEST_MSGHDR.unpack(
        p.mem.read(msg, _GUEST_MSGHDR.size))
    if _s32(namelen) < 0:
        raise OSError(errno.EINVAL, 'bad name length')
    views, spans = _read_iov(p, iov, iovlen, True)
    ctllen = min(ctllen, cmsg.CONTROL_MAX)
    n, name, control, mflags = _recvmsg(p, of, views, bool(name_p), ctllen, flags)
    _note_received(p, spans, n)
    control, mflags = cmsg.to_guest(p, control, mflags, bool(flags & MSG_CMSG_CLOEXEC))
    if name_p:                  # msg_namelen gets the full length, as move_addr_to_user does
        p.mem.write(name_p, name[:namelen])
        p.mem.write(msg + 8, struct.pack('<I', len(name)))
    if control:
        p.mem.write(ctl, control)
    p.mem.write(msg + 40, struct.pack('<Qi', len(control), mflags))
    return n


@syscall('sendmsg', 'dpx')
def sys_sendmsg(p, fd, msg, flags):
    of, stype = _sock(p, fd)
    return _send_one(p, of, stype, msg, _s32(flags))


@syscall('recvmsg', 'dpx')
def sys_recvmsg(p, fd, msg, flags):
    of, _ = _sock(p, fd)
    return _recv_one(p, of, msg, _s32(flags))


MMSGHDR_SIZE = 64           # struct mmsghdr: a msghdr, then unsigned msg_len (and padding)
MSG_WAITFORONE = 0x10000


@syscall('sendmmsg', 'dpux')
def sys_sendmmsg(p, fd, vec, vlen, flags):
    """Each message as sendmsg sends it; an error after the first ends the batch with the count
    sent (Linux's __sys_sendmmsg)."""
    of, stype = _sock(p, fd)
    vlen = min(vlen & 0xFFFFFFFF, guestmem.IOV_MAX)
    flags = _s32(flags)
    sent = 0
    while sent < vlen:
        entry = vec + sent * MMSGHDR_SIZE
        try:
            n = _send_one(p, of, stype, entry, flags)
        except WouldBlock:
            if not sent:
                raise       # the svc runs again, from this first message
            # the batch ends here rather than send its first messages again; a stream's
            # message partly sent counts with what went
            done, p.threads.current.io_done = p.threads.current.io_done, 0
            if done:
                p.mem.write(entry + 56, struct.pack('<I', done))
                sent += 1
            break
        except (OSError, Errno, GuestFault, Interrupted):
            if sent:
                break
            raise
        p.mem.write(entry + 56, struct.pack('<I', n))
        sent += 1
    return sent


@syscall('recvmmsg', 'dpuxp')
def sys_recvmmsg(p, fd, vec, vlen, flags, tmo):
    """Each message as recvmsg receives it; MSG_WAITFORONE stops waiting after the first, the
    timeout is looked at after each message, as Linux does, and gets the time left."""
    of, _ = _sock(p, fd)
    vlen = min(vlen & 0xFFFFFFFF, guestmem.IOV_MAX)
    flags = _s32(flags)
    deadline = abi.relative_deadline(p.mem, tmo)
    if deadline is abi.BAD_TIMEOUT:
        return -errno.EINVAL
    got = 0
    while got < vlen:
        entry = vec + got * MMSGHDR_SIZE
        try:
            n = _recv_one(p, of, entry, flags)
        except (OSError, Errno, GuestFault, Interrupted):
            if got:
                break
            raise
        p.mem.write(entry + 56, struct.pack('<I', n))
        got += 1
        if flags & MSG_WAITFORONE:
            flags |= MSG_DONTWAIT
        if deadline is not None and time.monotonic() >= deadline:
            break
    if tmo and got:
        left = max(0, int((deadline - time.monotonic()) * 1e9))
        p.mem.write(tmo, abi.pack_timespec(left))
    return got


# ----- options -----
def _opt_allowed(p, level, name):
    if level not in _OPT_LEVELS or (level, name) in _POINTER_OPTS or \
            (level in (IPPROTO_IP, IPPROTO_IPV6) and name >= 64):
        p.log_unimp(f'socket option level {level} name {name}')
        return False
    return True


@syscall('setsockopt', 'dddpd')
def sys_setsockopt(p, fd, level, name, val, optlen):
    level, name, optlen = _s32(level), _s32(name), _s32(optlen)
    if optlen < 0:
        return -errno.EINVAL
    of, _ = _sock(p, fd)
    if not _opt_allowed(p, level, name):
        return -errno.ENOPROTOOPT
    raw = p.mem.read(val, min(optlen, OPTLEN_MAX)) if optlen else b''
    _check(_libc.setsockopt(ctypes.c_int(of.host), ctypes.c_int(level), ctypes.c_int(name),
                            raw, ctypes.c_uint32(len(raw))))
    return 0


@syscall('getsockopt', 'dddpp')
def sys_getsockopt(p, fd, level, name, val, lenp):
    level, name = _s32(level), _s32(name)
    of, _ = _sock(p, fd)
    have = _guest_addrlen(p, lenp)
    if have is None:
        return -errno.EFAULT
    if not _opt_allowed(p, level, name):
        return -errno.ENOPROTOOPT
    raw = _getsockopt_raw(of.host, level, name, min(have, OPTLEN_MAX))
    if raw:
        p.mem.write(val, raw)
    p.mem.write(lenp, struct.pack('<I', len(raw)))
    return 0
