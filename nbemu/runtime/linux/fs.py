"""File descriptors and file-system syscalls, passed through to the host.

Every guest fd owns one host fd (stdin/stdout/stderr are dups of the host's, so the guest closing
its fd 1 never closes the emulator's). Relative paths resolve against the guest's working
directory, held as a host directory fd: the guest's chdir never changes the emulator's own cwd.
With a sysroot (-L), absolute paths that exist under it are redirected there (like QEMU).
/proc/self/{exe,maps,cmdline,auxv} describe the guest, not the emulator.
"""
import ctypes
import errno
import fcntl
import os
import re
import select
import stat as _stat
import struct
import termios

from nbemu.core.cpu import OFF_PC
from ..memory import GuestFault
from . import abi, guestmem
from .hostsig import Interrupted
from .table import syscall
from .threads import WouldBlock

_PC = OFF_PC // 8

PATH_MAX = 4096
MAX_RW = 0x7ffff000          # Linux caps one read/write at this many bytes

_libc = ctypes.CDLL(None, use_errno=True)


class Errno(Exception):
    def __init__(self, err):
        super().__init__(os.strerror(err))
        self.errno = err


def _c(fn, *args):
    """Call a libc function; raise OSError with errno on a negative result."""
    r = getattr(_libc, fn)(*args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


class OpenFile:
    __slots__ = ('host', 'cloexec', 'is_dir', 'may_block', '_path')

    def __init__(self, host, cloexec=False, path=None):
        self.host = host
        self.cloexec = cloexec
        try:
            mode = os.fstat(host).st_mode
        except OSError:
            mode = 0
        self.is_dir = _stat.S_ISDIR(mode)
        # pipes, sockets, terminals: a read may wait, and a signal must be able to end it
        self.may_block = not (_stat.S_ISREG(mode) or _stat.S_ISDIR(mode) or _stat.S_ISBLK(mode))
        self._path = path

    # an fd whose reads and writes the emulator itself answers (signalfd.py); the host fd
    # then only carries the readiness that poll and epoll see
    emulated = False
    # reads shorter than this fail with EINVAL before any wait (eventfd, timerfd: 8 bytes)
    min_read = 0

    def dup(self, cloexec):
        """A new guest fd of the same open file (dup, dup3, F_DUPFD): a subclass keeps its kind."""
        return OpenFile(os.dup(self.host), cloexec, self._path)

    @property
    def path(self):
        if self._path is None:
            try:
                self._path = os.readlink(f'/proc/self/fd/{self.host}')
            except OSError:
                self._path = ''
        return self._path


class FdTable:
    def __init__(self, max_fds=1024):
        self.files = {}
        self.max_fds = max_fds

    def get(self, fd):
        return self.files.get(fd)

    def lookup(self, fd):
        f = self.files.get(fd)
        if f is None:
            raise Errno(errno.EBADF)
        return f

    def lowest_free(self, minfd=0):
        fd = minfd
        while fd in self.files:
            fd += 1
        return fd

    def install(self, of, minfd=0):
        fd = self.lowest_free(minfd)
        if fd >= self.max_fds:
            os.close(of.host)
            raise Errno(errno.EMFILE)
        self.files[fd] = of
        return fd

    def install_at(self, fd, of):
        old = self.files.pop(fd, None)
        if old is not None:
            _close_host(old.host)
        self.files[fd] = of

    def close(self, fd):
        of = self.files.pop(fd, None)
        if of is None:
            raise Errno(errno.EBADF)
        _close_host(of.host)

    def close_all(self):
        for fd in list(self.files):
            _close_host(self.files.pop(fd).host)


def _close_host(h):
    try:
        os.close(h)
    except OSError:
        pass


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v):
    return v - (1 << 64) if v & (1 << 63) else v


# ----- paths -----
def read_path(p, addr):
    if addr == 0:
        raise Errno(errno.EFAULT)
    s = p.mem.read_cstr(addr, PATH_MAX + 1)
    if len(s) >= PATH_MAX:
        raise Errno(errno.ENAMETOOLONG)
    return s


_PROC_RE = re.compile(rb'^/proc/(self|thread-self|\d+)/(exe|maps|cmdline|auxv)$')


def proc_special(p, path):
    """'exe', 'maps', 'cmdline' or 'auxv' if path names one of our /proc/self files."""
    m = _PROC_RE.match(os.path.normpath(path)) if path.startswith(b'/proc/') else None
    if not m:
        return None
    who = m.group(1)
    if who not in (b'self', b'thread-self') and int(who) != p.pid:
        return None
    return m.group(2).decode()


def resolve(p, dirfd, path):
    """(host path, dir_fd) for a guest (dirfd, path) pair."""
    if path.startswith(b'/'):
        if p.sysroot:
            cand = p.sysroot + path
            if os.path.lexists(cand):
                return cand, None
        return path, None
    dirfd = _s32(dirfd)
    if dirfd == abi.AT_FDCWD:
        return path, p.cwd_fd
    of = p.fds.lookup(dirfd)
    if path and not of.is_dir:
        raise Errno(errno.ENOTDIR)
    return path, of.host


class _Umask:
    def __init__(self, p):
        self.p = p

    def __enter__(self):
        self.old = os.umask(self.p.umask)

    def __exit__(self, *a):
        os.umask(self.old)


def _memfd(name, content):
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def proc_content(p, which):
    if which == 'maps':
        return p.mm.maps_text().encode()
    if which == 'cmdline':
        return b''.join(a + b'\0' for a in p.argv)
    if which == 'auxv':
        return b''.join(struct.pack('<QQ', k, v) for k, v in p.auxv)
    raise KeyError(which)


# ----- open/close -----
@syscall('openat', 'fsOo')
def sys_openat(p, dirfd, pathname, flags, mode):
    path = read_path(p, pathname)
    flags = _s32(flags)
    special = proc_special(p, path)
    if special == 'exe':
        hp, dfd = os.fsencode(p.exe_path), None
    elif special:
        if flags & abi.O_ACCMODE != os.O_RDONLY:
            raise Errno(errno.EACCES)
        h = _memfd(special, proc_content(p, special))
        return p.fds.install(OpenFile(h, bool(flags & abi.G_O_CLOEXEC), path.decode()))
    else:
        hp, dfd = resolve(p, dirfd, path)
    hflags = abi.open_flags_to_host(flags)
    with _Umask(p):
        h = os.open(hp, hflags, mode & 0o7777, dir_fd=dfd)
    return p.fds.install(OpenFile(h, bool(flags & abi.G_O_CLOEXEC)))


@syscall('close', 'd')
def sys_close(p, fd):
    p.fds.close(_s32(fd))
    return 0


@syscall('close_range', 'uux')
def sys_close_range(p, first, last, flags):
    first &= 0xFFFFFFFF
    last &= 0xFFFFFFFF
    if first > last or flags & ~6:
        return -errno.EINVAL
    for fd in [fd for fd in p.fds.files if first <= fd <= last]:
        if flags & 4:       # CLOSE_RANGE_CLOEXEC
            p.fds.files[fd].cloexec = True
        else:
            p.fds.close(fd)
    return 0


# ----- read/write -----
def _io_views(p, addr, count, write):
    return guestmem.views(p.mem, addr, min(count, MAX_RW), write)


def _readv_into(p, host, vs, offset=None):
    total = 0
    for b in guestmem.batches(vs):
        want = sum(len(v) for v in b)
        n = os.readv(host, b) if offset is None else os.preadv(host, b, offset + total)
        total += n
        if n < want:
            break
    return total


def _writev_from(p, host, vs, offset=None):
    total = 0
    try:
        for b in guestmem.batches(vs):
            want = sum(len(v) for v in b)
            n = os.writev(host, b) if offset is None else os.pwritev(host, b, offset + total)
            total += n
            if n < want:
                break
    except BrokenPipeError:
        if total:
            return total
        p.signals.queue(abi.SIGPIPE, code=abi.SI_USER, private=True)
        raise
    except OSError:
        if total:
            return total
        raise
    return total


def _waits_by_us(p, of):
    """A read or write of this fd that may block must wait in hostsig (beside its pipe, so that
    a handled signal ends it, or in the scheduler while other threads run) not in the host."""
    return of.may_block and (p.hostsig.active or p.threads.multi)


def wait_readable(p, of):
    """Before a read that may block: wait for data beside hostsig's pipe, so that a handled
    signal interrupts it (EINTR, or a restart under SA_RESTART), as on Linux."""
    if not _waits_by_us(p, of):
        return
    if fcntl.fcntl(of.host, fcntl.F_GETFL) & os.O_NONBLOCK:
        return
    poller = select.poll()
    poller.register(of.host, select.POLLIN)
    p.hostsig.wait(poller, None, restartable=True)


def _read_common(p, fd, buf, count, offset=None):
    of = p.fds.lookup(_s32(fd))
    if of.emulated:
        return of.guest_read(p, buf, count, offset)
    if count == 0:
        return 0
    if count < of.min_read:
        return -errno.EINVAL
    wait_readable(p, of)
    if offset is not None and offset < 0:
        return -errno.EINVAL
    vs = _io_views(p, buf, count, True)
    n = _readv_into(p, of.host, vs, offset)
    guestmem.note_written(p.mem, buf, n)
    return n


def _skip(vs, n):
    """The views after their first n bytes."""
    out = []
    for v in vs:
        if n >= len(v):
            n -= len(v)
            continue
        out.append(v[n:])
        n = 0
    return out


def _write_nowait(p, host, vs):
    """Write what fits now, without blocking: (bytes written, True if it stopped short for want
    of room). A FIFO does not take RWF_NOWAIT (only anonymous pipes and sockets do): it is
    written with O_NONBLOCK set for the call. Another fd without it (a terminal, an eventfd) is
    written as before, blocking."""
    total = 0
    for b in guestmem.batches(vs):
        want = sum(len(v) for v in b)
        try:
            try:
                n = os.pwritev(host, b, -1, os.RWF_NOWAIT)
            except OSError as e:
                if e.errno != errno.EOPNOTSUPP:
                    raise
                n = _write_fifo_nonblocking(host, b)
        except BlockingIOError:
            return total, True
        total += n
        if n < want:
            return total, True
    return total, False


def _write_fifo_nonblocking(host, b):
    if not _stat.S_ISFIFO(os.fstat(host).st_mode):
        return os.writev(host, b)
    fl = fcntl.fcntl(host, fcntl.F_GETFL)
    fcntl.fcntl(host, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        return os.writev(host, b)
    finally:
        fcntl.fcntl(host, fcntl.F_SETFL, fl)


def _write_waiting(p, of, vs):
    """A blocking write of a pipe or socket: it writes what fits and waits for room in
    hostsig.wait, so that a handled signal ends it as pipe_write and unix_stream_sendmsg do:
    the count written so far if any, else -ERESTARTSYS (a restart under SA_RESTART, EINTR
    otherwise). With other threads the wait is a WouldBlock and the svc runs again; the bytes
    its first tries wrote are in Thread.io_done, so the retry goes on after them."""
    t = p.threads.current
    retrying = t.retry is not None and t.retry[0] == int(p.regs[_PC])
    total = t.io_done if retrying else 0
    t.io_done = 0
    try:
        while True:
            n, short = _write_nowait(p, of.host, _skip(vs, total))
            total += n
            if not short:
                return total
            poller = select.poll()
            poller.register(of.host, select.POLLOUT)
            try:
                p.hostsig.wait(poller, None, restartable=True)
            except WouldBlock:
                t.io_done = total
                raise
    except BrokenPipeError:
        if total:
            return total
        p.signals.queue(abi.SIGPIPE, code=abi.SI_USER, private=True)
        raise
    except (Interrupted, OSError):
        if total:
            return total
        raise


def _write_to(p, of, vs, offset):
    if offset is None and _waits_by_us(p, of) and \
            not fcntl.fcntl(of.host, fcntl.F_GETFL) & os.O_NONBLOCK:
        return _write_waiting(p, of, vs)
    return _writev_from(p, of.host, vs, offset)


def _write_common(p, fd, buf, count, offset=None):
    of = p.fds.lookup(_s32(fd))
    if of.emulated:
        return of.guest_write(p, buf, count, offset)
    if count == 0:
        return 0
    if offset is not None and offset < 0:
        return -errno.EINVAL
    return _write_to(p, of, _io_views(p, buf, count, False), offset)


@syscall('read', 'dpu')
def sys_read(p, fd, buf, count):
    return _read_common(p, fd, buf, count)


@syscall('write', 'dpu')
def sys_write(p, fd, buf, count):
    return _write_common(p, fd, buf, count)


@syscall('pread64', 'dpul')
def sys_pread64(p, fd, buf, count, off):
    return _read_common(p, fd, buf, count, _s64(off))


@syscall('pwrite64', 'dpul')
def sys_pwrite64(p, fd, buf, count, off):
    return _write_common(p, fd, buf, count, _s64(off))


def _iov_views(p, iov, cnt, write):
    cnt = _s32(cnt)
    if cnt < 0 or cnt > guestmem.IOV_MAX:
        raise Errno(errno.EINVAL)
    raw = p.mem.read(iov, 16 * cnt)
    vs, addrs = [], []
    total = 0
    for i in range(cnt):
        base, ln = struct.unpack_from('<QQ', raw, 16 * i)
        if ln > MAX_RW - total:
            ln = MAX_RW - total
        if ln == 0:
            continue
        try:
            part = guestmem.views(p.mem, base, ln, write)
        except GuestFault:
            if not vs:
                raise
            break
        vs += part
        addrs.append((base, ln))
        total += ln
        if sum(len(v) for v in part) < ln:
            break
    return vs, addrs


def _readv_common(p, fd, iov, cnt, offset=None):
    of = p.fds.lookup(_s32(fd))
    if of.emulated:
        return of.guest_readv(p, iov, cnt, offset)
    if offset is not None and offset < 0:
        return -errno.EINVAL
    vs, addrs = _iov_views(p, iov, cnt, True)
    if not vs:
        return 0
    wait_readable(p, of)
    n = _readv_into(p, of.host, vs, offset)
    left = n
    for base, ln in addrs:
        guestmem.note_written(p.mem, base, min(ln, left))
        left -= ln
        if left <= 0:
            break
    return n


def _writev_common(p, fd, iov, cnt, offset=None):
    of = p.fds.lookup(_s32(fd))
    if of.emulated:
        return of.guest_write(p, iov, cnt, offset)
    if offset is not None and offset < 0:
        return -errno.EINVAL
    vs, _ = _iov_views(p, iov, cnt, False)
    if not vs:
        return 0
    return _write_to(p, of, vs, offset)


@syscall('readv', 'dpd')
def sys_readv(p, fd, iov, cnt):
    return _readv_common(p, fd, iov, cnt)


@syscall('writev', 'dpd')
def sys_writev(p, fd, iov, cnt):
    return _writev_common(p, fd, iov, cnt)


@syscall('preadv', 'dpdl')
def sys_preadv(p, fd, iov, cnt, off):
    return _readv_common(p, fd, iov, cnt, _s64(off))


@syscall('pwritev', 'dpdl')
def sys_pwritev(p, fd, iov, cnt, off):
    return _writev_common(p, fd, iov, cnt, _s64(off))


@syscall('lseek', 'dlw')
def sys_lseek(p, fd, off, whence):
    of = p.fds.lookup(_s32(fd))
    whence &= 0xFFFFFFFF
    if whence > 4:
        return -errno.EINVAL
    return os.lseek(of.host, _s64(off), whence)


@syscall('sendfile', 'ddpu')
def sys_sendfile(p, out_fd, in_fd, offp, count):
    o = p.fds.lookup(_s32(out_fd))
    i = p.fds.lookup(_s32(in_fd))
    if offp:
        off = _s64(p.mem.u64(offp))
        if off < 0:
            return -errno.EINVAL
        n = os.sendfile(o.host, i.host, off, count)
        p.mem.put_u64(offp, off + n)
        return n
    return os.sendfile(o.host, i.host, None, count)


# ----- stat -----
def _stat_path(p, dirfd, pathname, flags):
    """os.stat_result for a guest (dirfd, path, AT_* flags)."""
    flags = _s32(flags)
    path = read_path(p, pathname)
    follow = not flags & abi.AT_SYMLINK_NOFOLLOW
    if not path:
        if not flags & abi.AT_EMPTY_PATH:
            raise Errno(errno.ENOENT)
        d = _s32(dirfd)
        return os.fstat(p.cwd_fd if d == abi.AT_FDCWD else p.fds.lookup(d).host)
    if proc_special(p, path) == 'exe':
        return os.stat(p.exe_path)
    hp, dfd = resolve(p, dirfd, path)
    return os.stat(hp, dir_fd=dfd, follow_symlinks=follow)


@syscall('fstat', 'dp')
def sys_fstat(p, fd, buf):
    st = os.fstat(p.fds.lookup(_s32(fd)).host)
    p.mem.write(buf, abi.pack_stat(st))
    return 0


@syscall('newfstatat', 'fspx')
def sys_newfstatat(p, dirfd, pathname, buf, flags):
    if _s32(flags) & ~(abi.AT_SYMLINK_NOFOLLOW | abi.AT_EMPTY_PATH | abi.AT_NO_AUTOMOUNT):
        return -errno.EINVAL
    st = _stat_path(p, dirfd, pathname, flags)
    p.mem.write(buf, abi.pack_stat(st))
    return 0


_HAVE_STATX = hasattr(_libc, 'statx')


@syscall('statx', 'fsxxp')
def sys_statx(p, dirfd, pathname, flags, mask, buf):
    flags = _s32(flags)
    path = read_path(p, pathname)
    if not path and flags & abi.AT_EMPTY_PATH:
        d = _s32(dirfd)
        hp, dfd = b'', (p.cwd_fd if d == abi.AT_FDCWD else p.fds.lookup(d).host)
    elif proc_special(p, path) == 'exe':
        hp, dfd = os.fsencode(p.exe_path), None
    else:
        hp, dfd = resolve(p, dirfd, path)
    if _HAVE_STATX:
        out = ctypes.create_string_buffer(abi.STATX_SIZE)
        _c('statx', ctypes.c_int(abi.AT_FDCWD if dfd is None else dfd), ctypes.c_char_p(hp),
           ctypes.c_int(flags), ctypes.c_uint(mask & 0xFFFFFFFF), out)
        p.mem.write(buf, out.raw)
        return 0
    if not hp:
        st = os.fstat(dfd)
    else:
        st = os.stat(hp, dir_fd=dfd, follow_symlinks=not flags & abi.AT_SYMLINK_NOFOLLOW)
    p.mem.write(buf, abi.pack_statx(st, mask))
    return 0


@syscall('statfs', 'sp')
def sys_statfs(p, pathname, buf):
    hp, _ = resolve(p, abi.AT_FDCWD, read_path(p, pathname))
    if not hp.startswith(b'/'):
        hp = os.fsencode(os.readlink(f'/proc/self/fd/{p.cwd_fd}')) + b'/' + hp
    out = ctypes.create_string_buffer(120)
    _c('statfs', ctypes.c_char_p(hp), out)
    p.mem.write(buf, out.raw)
    return 0


@syscall('fstatfs', 'dp')
def sys_fstatfs(p, fd, buf):
    of = p.fds.lookup(_s32(fd))
    out = ctypes.create_string_buffer(120)
    _c('fstatfs', ctypes.c_int(of.host), out)
    p.mem.write(buf, out.raw)
    return 0


@syscall('readlinkat', 'fspu')
def sys_readlinkat(p, dirfd, pathname, buf, size):
    size = _s32(size)
    if size <= 0:
        return -errno.EINVAL
    path = read_path(p, pathname)
    if proc_special(p, path) == 'exe':
        target = os.fsencode(p.exe_path)
    else:
        hp, dfd = resolve(p, dirfd, path)
        target = os.readlink(hp, dir_fd=dfd)
    target = target[:size]
    p.mem.write(buf, target)
    return len(target)


# ----- directories and the working directory -----
def cwd_path(p):
    return os.fsencode(os.readlink(f'/proc/self/fd/{p.cwd_fd}'))


@syscall('getcwd', 'pu')
def sys_getcwd(p, buf, size):
    path = cwd_path(p)
    if p.sysroot and path.startswith(p.sysroot + b'/'):
        path = path[len(p.sysroot):]
    if len(path) + 1 > size:
        return -errno.ERANGE
    p.mem.write(buf, path + b'\0')
    return len(path) + 1


def _set_cwd(p, h):
    old = p.cwd_fd
    p.cwd_fd = h
    _close_host(old)


@syscall('chdir', 's')
def sys_chdir(p, pathname):
    hp, dfd = resolve(p, abi.AT_FDCWD, read_path(p, pathname))
    h = os.open(hp, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dfd)
    _set_cwd(p, h)
    return 0


@syscall('fchdir', 'd')
def sys_fchdir(p, fd):
    of = p.fds.lookup(_s32(fd))
    if not of.is_dir:
        return -errno.ENOTDIR
    _set_cwd(p, os.dup(of.host))
    return 0


@syscall('getdents64', 'dpu')
def sys_getdents64(p, fd, dirp, count):
    of = p.fds.lookup(_s32(fd))
    count = min(count & 0xFFFFFFFF, 1 << 20)
    if not of.is_dir:
        return -errno.ENOTDIR
    out = ctypes.create_string_buffer(count)
    n = _c('getdents64', ctypes.c_int(of.host), out, ctypes.c_size_t(count))
    if n:
        p.mem.write(dirp, out.raw[:n])
    return n


def _access(p, dirfd, pathname, mode, flags):
    flags = _s32(flags)
    path = read_path(p, pathname)
    if proc_special(p, path) == 'exe':
        hp, dfd = os.fsencode(p.exe_path), None
    elif not path and flags & abi.AT_EMPTY_PATH:
        d = _s32(dirfd)
        hp, dfd = b'', (p.cwd_fd if d == abi.AT_FDCWD else p.fds.lookup(d).host)
    else:
        hp, dfd = resolve(p, dirfd, path)
    _c('faccessat', ctypes.c_int(abi.AT_FDCWD if dfd is None else dfd), ctypes.c_char_p(hp),
       ctypes.c_int(_s32(mode)), ctypes.c_int(flags))
    return 0


@syscall('faccessat', 'fso')
def sys_faccessat(p, dirfd, pathname, mode):
    return _access(p, dirfd, pathname, mode, 0)


@syscall('faccessat2', 'fsox')
def sys_faccessat2(p, dirfd, pathname, mode, flags):
    return _access(p, dirfd, pathname, mode, flags)


@syscall('mkdirat', 'fso')
def sys_mkdirat(p, dirfd, pathname, mode):
    hp, dfd = resolve(p, dirfd, read_path(p, pathname))
    with _Umask(p):
        os.mkdir(hp, mode & 0o7777, dir_fd=dfd)
    return 0


@syscall('mknodat', 'fsox')
def sys_mknodat(p, dirfd, pathname, mode, dev):
    hp, dfd = resolve(p, dirfd, read_path(p, pathname))
    with _Umask(p):
        os.mknod(hp, mode & 0xFFFFFFFF, dev & 0xFFFFFFFF, dir_fd=dfd)
    return 0


@syscall('unlinkat', 'fsx')
def sys_unlinkat(p, dirfd, pathname, flags):
    flags = _s32(flags)
    if flags & ~abi.AT_REMOVEDIR:
        return -errno.EINVAL
    hp, dfd = resolve(p, dirfd, read_path(p, pathname))
    if flags & abi.AT_REMOVEDIR:
        os.rmdir(hp, dir_fd=dfd)
    else:
        os.unlink(hp, dir_fd=dfd)
    return 0


def _rename(p, olddirfd, oldpath, newdirfd, newpath, flags):
    src, sdfd = resolve(p, olddirfd, read_path(p, oldpath))
    dst, ddfd = resolve(p, newdirfd, read_path(p, newpath))
    if not flags:
        os.rename(src, dst, src_dir_fd=sdfd, dst_dir_fd=ddfd)
        return 0
    _c('renameat2', ctypes.c_int(abi.AT_FDCWD if sdfd is None else sdfd), ctypes.c_char_p(src),
       ctypes.c_int(abi.AT_FDCWD if ddfd is None else ddfd), ctypes.c_char_p(dst),
       ctypes.c_uint(flags & 0xFFFFFFFF))
    return 0


@syscall('renameat', 'fsfs')
def sys_renameat(p, olddirfd, oldpath, newdirfd, newpath):
    return _rename(p, olddirfd, oldpath, newdirfd, newpath, 0)


@syscall('renameat2', 'fsfsx')
def sys_renameat2(p, olddirfd, oldpath, newdirfd, newpath, flags):
    return _rename(p, olddirfd, oldpath, newdirfd, newpath, flags & 0xFFFFFFFF)


@syscall('symlinkat', 'sfs')
def sys_symlinkat(p, target, newdirfd, linkpath):
    t = read_path(p, target)
    hp, dfd = resolve(p, newdirfd, read_path(p, linkpath))
    os.symlink(t, hp, dir_fd=dfd)
    return 0


@syscall('linkat', 'fsfsx')
def sys_linkat(p, olddirfd, oldpath, newdirfd, newpath, flags):
    src, sdfd = resolve(p, olddirfd, read_path(p, oldpath))
    dst, ddfd = resolve(p, newdirfd, read_path(p, newpath))
    os.link(src, dst, src_dir_fd=sdfd, dst_dir_fd=ddfd,
            follow_symlinks=bool(_s32(flags) & abi.AT_SYMLINK_FOLLOW))
    return 0


@syscall('fchmodat', 'fso')
def sys_fchmodat(p, dirfd, pathname, mode):
    hp, dfd = resolve(p, dirfd, read_path(p, pathname))
    os.chmod(hp, mode & 0o7777, dir_fd=dfd)
    return 0


@syscall('fchmod', 'do')
def sys_fchmod(p, fd, mode):
    os.fchmod(p.fds.lookup(_s32(fd)).host, mode & 0o7777)
    return 0


@syscall('fchownat', 'fsddx')
def sys_fchownat(p, dirfd, pathname, uid, gid, flags):
    flags = _s32(flags)
    path = read_path(p, pathname)
    if not path and flags & abi.AT_EMPTY_PATH:
        d = _s32(dirfd)
        os.fchown(p.cwd_fd if d == abi.AT_FDCWD else p.fds.lookup(d).host, _s32(uid), _s32(gid))
        return 0
    hp, dfd = resolve(p, dirfd, path)
    os.chown(hp, _s32(uid), _s32(gid), dir_fd=dfd,
             follow_symlinks=not flags & abi.AT_SYMLINK_NOFOLLOW)
    return 0


@syscall('fchown', 'ddd')
def sys_fchown(p, fd, uid, gid):
    os.fchown(p.fds.lookup(_s32(fd)).host, _s32(uid), _s32(gid))
    return 0


@syscall('utimensat', 'fspx')
def sys_utimensat(p, dirfd, pathname, times, flags):
    tbuf = p.mem.read(times, 32) if times else None
    d = _s32(dirfd)
    if pathname:
        hp, dfd = resolve(p, dirfd, read_path(p, pathname))
    else:
        hp, dfd = None, (p.cwd_fd if d == abi.AT_FDCWD else p.fds.lookup(d).host)
    _c('syscall', ctypes.c_long(_SYS_UTIMENSAT), ctypes.c_long(abi.AT_FDCWD if dfd is None else dfd),
       ctypes.c_char_p(hp), ctypes.c_char_p(tbuf), ctypes.c_long(_s32(flags)))
    return 0


_SYS_UTIMENSAT = {'x86_64': 280, 'aarch64': 88}.get(os.uname().machine, 280)


@syscall('truncate', 'sl')
def sys_truncate(p, pathname, length):
    hp, dfd = resolve(p, abi.AT_FDCWD, read_path(p, pathname))
    if dfd is not None:
        h = os.open(hp, os.O_WRONLY | os.O_CLOEXEC, dir_fd=dfd)
        try:
            os.ftruncate(h, _s64(length))
        finally:
            os.close(h)
    else:
        os.truncate(hp, _s64(length))
    return 0


@syscall('ftruncate', 'dl')
def sys_ftruncate(p, fd, length):
    if _s64(length) < 0:
        return -errno.EINVAL
    os.ftruncate(p.fds.lookup(_s32(fd)).host, _s64(length))
    return 0


@syscall('fsync', 'd')
def sys_fsync(p, fd):
    os.fsync(p.fds.lookup(_s32(fd)).host)
    return 0


@syscall('fdatasync', 'd')
def sys_fdatasync(p, fd):
    os.fdatasync(p.fds.lookup(_s32(fd)).host)
    return 0


@syscall('sync', '')
def sys_sync(p):
    return 0


@syscall('syncfs', 'd')
def sys_syncfs(p, fd):
    p.fds.lookup(_s32(fd))
    return 0


@syscall('fallocate', 'ddll')
def sys_fallocate(p, fd, mode, off, length):
    of = p.fds.lookup(_s32(fd))
    _c('fallocate', ctypes.c_int(of.host), ctypes.c_int(_s32(mode)), ctypes.c_long(_s64(off)),
       ctypes.c_long(_s64(length)))
    return 0


@syscall('fadvise64', 'dlld')
def sys_fadvise64(p, fd, off, length, advice):
    p.fds.lookup(_s32(fd))
    return 0


@syscall('flock', 'dx')
def sys_flock(p, fd, op):
    fcntl.flock(p.fds.lookup(_s32(fd)).host, _s32(op))
    return 0


@syscall('umask', 'o')
def sys_umask(p, mask):
    old = p.umask
    p.umask = mask & 0o777
    return old


# ----- descriptors -----
@syscall('dup', 'd')
def sys_dup(p, fd):
    of = p.fds.lookup(_s32(fd))
    return p.fds.install(of.dup(False))


@syscall('dup3', 'ddO')
def sys_dup3(p, old, new, flags):
    old, new, flags = _s32(old), _s32(new), _s32(flags)
    if flags & ~abi.G_O_CLOEXEC or old == new:
        return -errno.EINVAL
    of = p.fds.lookup(old)
    if new < 0 or new >= p.fds.max_fds:
        return -errno.EBADF
    p.fds.install_at(new, of.dup(bool(flags & abi.G_O_CLOEXEC)))
    return new


@syscall('pipe2', 'pO')
def sys_pipe2(p, fds, flags):
    flags = _s32(flags)
    if flags & ~(abi.G_O_CLOEXEC | abi.G_O_NONBLOCK | abi.G_O_DIRECT):
        return -errno.EINVAL
    r, w = os.pipe2(abi.open_flags_to_host(flags) | os.O_CLOEXEC)
    try:
        p.mem.write(fds, b'\0' * 8)
    except GuestFault:
        os.close(r)
        os.close(w)
        raise
    cloexec = bool(flags & abi.G_O_CLOEXEC)
    gr = p.fds.install(OpenFile(r, cloexec))
    try:
        gw = p.fds.install(OpenFile(w, cloexec))
    except Errno:
        p.fds.close(gr)
        raise
    p.mem.write(fds, struct.pack('<ii', gr, gw))
    return 0


@syscall('fcntl', 'dxx')
def sys_fcntl(p, fd, cmd, arg):
    fd, cmd = _s32(fd), _s32(cmd)
    of = p.fds.lookup(fd)
    if cmd in (abi.F_DUPFD, abi.F_DUPFD_CLOEXEC):
        minfd = _s32(arg)
        if minfd < 0 or minfd >= p.fds.max_fds:
            return -errno.EINVAL
        return p.fds.install(of.dup(cmd == abi.F_DUPFD_CLOEXEC), minfd)
    if cmd == abi.F_GETFD:
        return abi.FD_CLOEXEC if of.cloexec else 0
    if cmd == abi.F_SETFD:
        of.cloexec = bool(arg & abi.FD_CLOEXEC)
        return 0
    if cmd == abi.F_GETFL:
        return abi.open_flags_to_guest(fcntl.fcntl(of.host, fcntl.F_GETFL))
    if cmd == abi.F_SETFL:
        fcntl.fcntl(of.host, fcntl.F_SETFL, abi.open_flags_to_host(_s32(arg)))
        return 0
    if cmd in (abi.F_GETLK, abi.F_SETLK, abi.F_SETLKW, abi.F_OFD_GETLK, abi.F_OFD_SETLK,
               abi.F_OFD_SETLKW):
        # struct flock has the same 32-byte layout on the host (x86-64 / arm64)
        raw = p.mem.read(arg, 32)
        out = fcntl.fcntl(of.host, cmd, raw)
        if cmd in (abi.F_GETLK, abi.F_OFD_GETLK):
            p.mem.write(arg, out)
        return 0
    if cmd in (abi.F_GETOWN, abi.F_GETPIPE_SZ, abi.F_GETLEASE, abi.F_GET_SEALS):
        return fcntl.fcntl(of.host, cmd)
    if cmd in (abi.F_SETOWN, abi.F_SETPIPE_SZ, abi.F_SETLEASE, abi.F_ADD_SEALS):
        return fcntl.fcntl(of.host, cmd, _s32(arg))
    return -errno.EINVAL


_IOCTL_NAMES = {abi.TCGETS: 'TCGETS', abi.TCSETS: 'TCSETS', abi.TCSETSW: 'TCSETSW',
                abi.TCSETSF: 'TCSETSF', abi.TIOCGWINSZ: 'TIOCGWINSZ',
                abi.TIOCSWINSZ: 'TIOCSWINSZ', abi.FIONREAD: 'FIONREAD'}


@syscall('ioctl', 'dxx')
def sys_ioctl(p, fd, req, arg):
    of = p.fds.lookup(_s32(fd))
    req &= 0xFFFFFFFF
    h = of.host
    if req == abi.TCGETS:
        out = fcntl.ioctl(h, termios.TCGETS, bytes(abi.KERNEL_TERMIOS_SIZE))
        p.mem.write(arg, out)
        return 0
    if req in (abi.TCSETS, abi.TCSETSW, abi.TCSETSF):
        raw = p.mem.read(arg, abi.KERNEL_TERMIOS_SIZE)
        fcntl.ioctl(h, {abi.TCSETS: termios.TCSETS, abi.TCSETSW: termios.TCSETSW,
                        abi.TCSETSF: termios.TCSETSF}[req], raw)
        return 0
    if req == abi.TIOCGWINSZ:
        p.mem.write(arg, fcntl.ioctl(h, termios.TIOCGWINSZ, bytes(8)))
        return 0
    if req == abi.TIOCSWINSZ:
        fcntl.ioctl(h, termios.TIOCSWINSZ, p.mem.read(arg, 8))
        return 0
    if req == abi.TIOCGPGRP:
        p.mem.write(arg, fcntl.ioctl(h, termios.TIOCGPGRP, bytes(4)))
        return 0
    if req == abi.TIOCSPGRP:
        fcntl.ioctl(h, termios.TIOCSPGRP, p.mem.read(arg, 4))
        return 0
    if req == abi.FIONREAD:
        p.mem.write(arg, fcntl.ioctl(h, termios.FIONREAD, bytes(4)))
        return 0
    if req == abi.FIONBIO:
        on = struct.unpack('<i', p.mem.read(arg, 4))[0]
        fl = fcntl.fcntl(h, fcntl.F_GETFL)
        fcntl.fcntl(h, fcntl.F_SETFL, (fl | os.O_NONBLOCK) if on else (fl & ~os.O_NONBLOCK))
        return 0
    if req == abi.FIOCLEX:
        of.cloexec = True
        return 0
    if req == abi.FIONCLEX:
        of.cloexec = False
        return 0
    p.log_unimp(f'ioctl request {req:#x} on fd {_s32(fd)}')
    return -errno.ENOTTY


@syscall('memfd_create', 'sx')
def sys_memfd_create(p, name, flags):
    nm = read_path(p, name).decode(errors='replace')
    flags &= 0xFFFFFFFF
    h = os.memfd_create(nm, (flags & ~1) | os.MFD_CLOEXEC)
    return p.fds.install(OpenFile(h, bool(flags & 1)))
