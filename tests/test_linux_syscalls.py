"""Syscalls called directly through the dispatcher (registers in, x0 out), without running guest
code: file I/O in temporary directories, memory management, signals bookkeeping, time, identity,
-strace output, EFAULT and ENOSYS handling, and the guest memory limit."""
import errno
import io
import os
import select
import struct
import time

import pytest

from conftest import GUEST
from nbemu.core import cpu
from nbemu.runtime.linux import abi, fs, syscalls
from nbemu.runtime.linux.loader import load_program
from nbemu.runtime.linux.mm import AddressSpace
from nbemu.runtime.linux.process import Process
from nbemu.runtime.linux.signals import GuestExit
from nbemu.runtime.linux.sysnums import NUMBERS
from nbemu.runtime.memory import GuestFault, Memory

EXE = GUEST / 'asm' / 'bin' / 'exit42'
X = cpu.OFF_X // 8
M64 = 2**64 - 1


class FakeMachine:
    def __init__(self):
        self.state = cpu.new_state()
        self.regs = cpu.words(self.state)
        self.tlb = None             # syscalls by hand never run guest code
        self.on_discon = None       # no plugins


class Guest:
    """A loaded process whose syscalls we call by hand."""

    def __init__(self, cwd, limit=64 << 20, strace=None, unimp=None, stdio=(0, 1, 2)):
        self.mem = Memory(limit)
        self.mm = AddressSpace(self.mem)
        prog = load_program(self.mm, str(EXE), [str(EXE), 'arg1'], ['K=V'])
        self.m = FakeMachine()
        self.p = Process(self.m, self.mm, prog, strace=strace, log_unimp=unimp, stdio=stdio,
                         cwd=str(cwd))
        self.m.regs[cpu.OFF_SP // 8] = prog.sp
        self.scratch = self.call('mmap', 0, 1 << 20, 3, 0x22, -1, 0)
        assert self.scratch > 0
        self.top = self.scratch

    def call(self, name, *args):
        r = self.m.regs
        for i, a in enumerate(args):
            r[X + i] = a & M64
        r[X + 8] = NUMBERS[name] if isinstance(name, str) else name
        syscalls.handle(self.p)
        s = self.p.signals
        if self.p.threads.current.restart is not None and s.deliverable():
            # an -ERESTART* return: x0 becomes what the guest sees once the pending signal's
            # handler is entered (the test then takes the signal from the pending set itself)
            s._restart_for_handler(s.actions[s.deliverable()[0]])
        v = int(r[X])
        return v - (1 << 64) if v >> 63 else v

    def alloc(self, n, data=None):
        a = self.top
        self.top += (n + 15) & ~15
        if data is not None:
            self.mem.write(a, data)
        return a

    def cstr(self, s):
        b = os.fsencode(s) + b'\0'
        return self.alloc(len(b), b)

    def close(self):
        self.p.close()


@pytest.fixture
def g(tmp_path):
    guest = Guest(tmp_path)
    yield guest
    guest.close()


AT_FDCWD = -100
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_TRUNC, O_APPEND = 0o100, 0o1000, 0o2000
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC = 0o40000, 0o100000, 0o2000000


def test_file_roundtrip(g, tmp_path):
    path = g.cstr('a.txt')          # relative to the guest cwd (tmp_path)
    fd = g.call('openat', AT_FDCWD, path, O_CREAT | O_TRUNC | O_RDWR, 0o644)
    assert fd == 3
    msg = b'The quick brown fox\n'
    buf = g.alloc(64, msg)
    assert g.call('write', fd, buf, len(msg)) == len(msg)
    assert (tmp_path / 'a.txt').read_bytes() == msg
    assert g.call('lseek', fd, 0, 1) == len(msg)           # SEEK_CUR
    assert g.call('lseek', fd, 4, 0) == 4
    out = g.alloc(64)
    assert g.call('read', fd, out, 64) == len(msg) - 4
    assert g.mem.read(out, len(msg) - 4) == msg[4:]
    assert g.call('read', fd, out, 64) == 0                # EOF
    # pwrite/pread leave the offset alone
    assert g.call('pwrite64', fd, g.alloc(8, b'QUICK'), 5, 4) == 5
    assert g.call('pread64', fd, out, 9, 4) == 9
    assert g.mem.read(out, 9) == b'QUICK bro'
    assert g.call('lseek', fd, 0, 1) == len(msg)
    assert g.call('pread64', fd, out, 9, -1 & M64) == -errno.EINVAL
    # fstat / newfstatat: struct stat, 128 bytes, asm-generic layout
    st = g.alloc(128)
    assert g.call('fstat', fd, st) == 0
    raw = g.mem.read(st, 128)
    mode, nlink = struct.unpack_from('<II', raw, 16)
    size, blksize = struct.unpack_from('<qi', raw, 48)
    host = os.stat(tmp_path / 'a.txt')
    assert size == len(msg) and mode == host.st_mode and nlink == 1
    assert struct.unpack_from('<Q', raw, 8)[0] == host.st_ino
    assert struct.unpack_from('<q', raw, 88)[0] == int(host.st_mtime)
    assert g.call('newfstatat', AT_FDCWD, path, st, 0) == 0
    assert g.mem.read(st, 128)[:64] == raw[:64]
    assert g.call('newfstatat', fd, g.cstr(''), st, abi.AT_EMPTY_PATH) == 0
    assert g.call('newfstatat', fd, g.cstr(''), st, 0) == -errno.ENOENT
    # statx
    sx = g.alloc(256)
    assert g.call('statx', AT_FDCWD, path, 0, 0x7ff, sx) == 0
    rx = g.mem.read(sx, 256)
    assert struct.unpack_from('<H', rx, 28)[0] == host.st_mode
    assert struct.unpack_from('<Q', rx, 40)[0] == len(msg)
    # ftruncate
    assert g.call('ftruncate', fd, 3) == 0
    assert (tmp_path / 'a.txt').read_bytes() == b'The'
    assert g.call('close', fd) == 0
    assert g.call('close', fd) == -errno.EBADF
    assert g.call('read', fd, out, 1) == -errno.EBADF
    assert g.call('openat', AT_FDCWD, g.cstr('missing'), O_RDONLY, 0) == -errno.ENOENT


def test_open_flags_translation(g, tmp_path):
    (tmp_path / 'd').mkdir()
    (tmp_path / 'f').write_text('x')
    os.symlink('f', tmp_path / 'link')
    # arm64 O_DIRECTORY is 0o40000 (x86-64's O_DIRECT)
    assert g.call('openat', AT_FDCWD, g.cstr('f'), O_RDONLY | O_DIRECTORY, 0) == -errno.ENOTDIR
    fd = g.call('openat', AT_FDCWD, g.cstr('d'), O_RDONLY | O_DIRECTORY, 0)
    assert fd >= 0
    # arm64 O_NOFOLLOW is 0o100000
    assert g.call('openat', AT_FDCWD, g.cstr('link'), O_RDONLY | O_NOFOLLOW, 0) == -errno.ELOOP
    fd2 = g.call('openat', AT_FDCWD, g.cstr('f'), O_RDWR | O_APPEND | O_CLOEXEC, 0)
    fl = g.call('fcntl', fd2, abi.F_GETFL, 0)
    assert fl & 3 == O_RDWR and fl & O_APPEND and fl & abi.G_O_LARGEFILE
    assert not fl & O_DIRECTORY
    assert g.call('fcntl', fd2, abi.F_GETFD, 0) == abi.FD_CLOEXEC
    assert g.call('fcntl', fd2, abi.F_SETFD, 0) == 0
    assert g.call('fcntl', fd2, abi.F_GETFD, 0) == 0
    assert g.call('fcntl', fd2, abi.F_SETFL, abi.G_O_NONBLOCK) == 0
    assert g.call('fcntl', fd2, abi.F_GETFL, 0) & abi.G_O_NONBLOCK
    # openat relative to a directory fd
    (tmp_path / 'd' / 'inner').write_text('inner')
    fd3 = g.call('openat', fd, g.cstr('inner'), O_RDONLY, 0)
    out = g.alloc(16)
    assert g.call('read', fd3, out, 16) == 5 and g.mem.read(out, 5) == b'inner'
    assert g.call('openat', fd2, g.cstr('inner'), O_RDONLY, 0) == -errno.ENOTDIR
    assert g.call('openat', 77, g.cstr('inner'), O_RDONLY, 0) == -errno.EBADF


def test_umask_applies(g, tmp_path):
    assert g.call('umask', 0o077) >= 0
    fd = g.call('openat', AT_FDCWD, g.cstr('m'), O_CREAT | O_WRONLY, 0o666)
    assert fd >= 0
    assert os.stat(tmp_path / 'm').st_mode & 0o777 == 0o600
    assert g.call('umask', 0o022) == 0o077


def test_directories(g, tmp_path):
    assert g.call('mkdirat', AT_FDCWD, g.cstr('sub'), 0o755) == 0
    assert (tmp_path / 'sub').is_dir()
    assert g.call('mkdirat', AT_FDCWD, g.cstr('sub'), 0o755) == -errno.EEXIST
    for n in ('x', 'y', 'z'):
        (tmp_path / 'sub' / n).write_text(n)
    fd = g.call('openat', AT_FDCWD, g.cstr('sub'), O_RDONLY | O_DIRECTORY, 0)
    names = []
    buf = g.alloc(4096)
    while True:
        n = g.call('getdents64', fd, buf, 4096)
        assert n >= 0
        if n == 0:
            break
        raw = g.mem.read(buf, n)
        pos = 0
        while pos < n:
            ino, off, reclen, typ = struct.unpack_from('<QqHB', raw, pos)
            names.append((raw[pos + 19:pos + reclen].split(b'\0')[0], typ))
            pos += reclen
    assert sorted(names) == [(b'.', 4), (b'..', 4), (b'x', 8), (b'y', 8), (b'z', 8)]
    assert g.call('getdents64', 0 if False else g.call('openat', AT_FDCWD, g.cstr('sub/x'), 0, 0),
                  buf, 4096) == -errno.ENOTDIR
    # rename / renameat2(RENAME_NOREPLACE) / unlink / rmdir
    assert g.call('renameat', AT_FDCWD, g.cstr('sub/x'), AT_FDCWD, g.cstr('sub/w')) == 0
    assert g.call('renameat2', AT_FDCWD, g.cstr('sub/w'), AT_FDCWD, g.cstr('sub/y'), 1) == \
        -errno.EEXIST
    assert g.call('renameat2', AT_FDCWD, g.cstr('sub/w'), AT_FDCWD, g.cstr('sub/v'), 0) == 0
    assert sorted(os.listdir(tmp_path / 'sub')) == ['v', 'y', 'z']
    assert g.call('unlinkat', AT_FDCWD, g.cstr('sub'), abi.AT_REMOVEDIR) == -errno.ENOTEMPTY
    for n in ('v', 'y', 'z'):
        assert g.call('unlinkat', fd, g.cstr(n), 0) == 0
    assert g.call('unlinkat', AT_FDCWD, g.cstr('sub'), 0) in (-errno.EISDIR, -errno.EPERM)
    assert g.call('unlinkat', AT_FDCWD, g.cstr('sub'), abi.AT_REMOVEDIR) == 0
    assert not (tmp_path / 'sub').exists()


def test_cwd_is_the_guests_own(g, tmp_path):
    host_cwd = os.getcwd()
    buf = g.alloc(4096)
    n = g.call('getcwd', buf, 4096)
    assert n == len(str(tmp_path)) + 1
    assert g.mem.read_cstr(buf) == os.fsencode(os.path.realpath(tmp_path))
    assert g.call('getcwd', buf, 2) == -errno.ERANGE
    (tmp_path / 'inner').mkdir()
    (tmp_path / 'inner' / 'f').write_text('hi')
    assert g.call('chdir', g.cstr('inner')) == 0
    assert os.getcwd() == host_cwd            # the emulator's cwd did not move
    assert g.mem.read_cstr(buf) != b''
    g.call('getcwd', buf, 4096)
    assert g.mem.read_cstr(buf).endswith(b'/inner')
    assert g.call('openat', AT_FDCWD, g.cstr('f'), O_RDONLY, 0) >= 0
    assert g.call('chdir', g.cstr('nope')) == -errno.ENOENT
    assert g.call('chdir', g.cstr('f')) == -errno.ENOTDIR


def test_access_and_readlink(g, tmp_path):
    (tmp_path / 'f').write_text('x')
    os.chmod(tmp_path / 'f', 0o644)
    os.symlink('f', tmp_path / 'l')
    assert g.call('faccessat', AT_FDCWD, g.cstr('f'), os.R_OK) == 0
    assert g.call('faccessat', AT_FDCWD, g.cstr('nope'), os.F_OK) == -errno.ENOENT
    # no execute bit anywhere: EACCES for root too (root's X_OK needs one x bit)
    assert g.call('faccessat', AT_FDCWD, g.cstr('f'), os.X_OK) == -errno.EACCES
    buf = g.alloc(256)
    assert g.call('readlinkat', AT_FDCWD, g.cstr('l'), buf, 256) == 1
    assert g.mem.read(buf, 1) == b'f'
    assert g.call('readlinkat', AT_FDCWD, g.cstr('f'), buf, 256) == -errno.EINVAL
    # /proc/self/exe names the guest program, not python
    exe = os.fsencode(os.path.abspath(EXE))
    n = g.call('readlinkat', AT_FDCWD, g.cstr('/proc/self/exe'), buf, 256)
    assert g.mem.read(buf, n) == exe
    n = g.call('readlinkat', AT_FDCWD, g.cstr(f'/proc/{os.getpid()}/exe'), buf, 256)
    assert g.mem.read(buf, n) == exe
    assert g.call('readlinkat', AT_FDCWD, g.cstr('/proc/self/exe'), buf, 4) == 4
    fd = g.call('openat', AT_FDCWD, g.cstr('/proc/self/exe'), O_RDONLY, 0)
    assert g.call('read', fd, buf, 4) == 4 and g.mem.read(buf, 4) == b'\x7fELF'


def test_proc_self_maps_and_cmdline(g):
    fd = g.call('openat', AT_FDCWD, g.cstr('/proc/self/maps'), O_RDONLY, 0)
    buf = g.alloc(8192)
    n = g.call('read', fd, buf, 8192)
    text = g.mem.read(buf, n).decode()
    assert '[stack]' in text and os.path.abspath(EXE) in text and 'r-xp' in text
    fd = g.call('openat', AT_FDCWD, g.cstr('/proc/self/cmdline'), O_RDONLY, 0)
    n = g.call('read', fd, buf, 8192)
    assert g.mem.read(buf, n) == os.fsencode(str(EXE)) + b'\0arg1\0'


def test_dup_pipe_iov(g):
    pfd = g.alloc(8)
    assert g.call('pipe2', pfd, O_CLOEXEC) == 0
    r, w = struct.unpack('<ii', g.mem.read(pfd, 8))
    assert g.call('fcntl', r, abi.F_GETFD, 0) == abi.FD_CLOEXEC
    # writev of three pieces, readv into two
    parts = [b'abc', b'', b'defgh']
    iov = g.alloc(48)
    addrs = [g.alloc(8, x) for x in parts]
    g.mem.write(iov, b''.join(struct.pack('<QQ', a, len(x)) for a, x in zip(addrs, parts)))
    assert g.call('writev', w, iov, 3) == 8
    b1, b2 = g.alloc(5), g.alloc(16)
    g.mem.write(iov, struct.pack('<QQQQ', b1, 5, b2, 16))
    assert g.call('readv', r, iov, 2) == 8
    assert g.mem.read(b1, 5) == b'abcde' and g.mem.read(b2, 3) == b'fgh'
    assert g.call('writev', w, iov, 5000) == -errno.EINVAL
    # dup / dup3 / F_DUPFD
    d = g.call('dup', w)
    assert d > w
    assert g.call('dup3', w, 40, O_CLOEXEC) == 40
    assert g.call('fcntl', 40, abi.F_GETFD, 0) == abi.FD_CLOEXEC
    assert g.call('dup3', w, w, 0) == -errno.EINVAL
    assert g.call('fcntl', w, abi.F_DUPFD, 100) == 100
    assert g.call('write', 40, g.alloc(2, b'XY'), 2) == 2
    assert g.call('write', 100, g.alloc(1, b'Z'), 1) == 1
    out = g.alloc(8)
    assert g.call('read', r, out, 8) == 3 and g.mem.read(out, 3) == b'XYZ'
    # the lowest free fd is reused
    assert g.call('close', d) == 0
    assert g.call('dup', 0) == d
    # ioctl on a pipe: not a tty
    assert g.call('ioctl', r, abi.TCGETS, g.alloc(64)) == -errno.ENOTTY
    assert g.call('ioctl', r, abi.FIONREAD, out) == 0
    assert g.call('ioctl', r, 0x12345678, out) == -errno.ENOTTY
    # closing guest stdio does not close the host's
    assert g.call('close', 1) == 0
    os.fstat(1)


def test_write_to_closed_pipe_is_epipe_and_sigpipe(g):
    pfd = g.alloc(8)
    assert g.call('pipe2', pfd, 0) == 0
    r, w = struct.unpack('<ii', g.mem.read(pfd, 8))
    assert g.call('close', r) == 0
    assert g.call('write', w, g.alloc(1, b'x'), 1) == -errno.EPIPE
    assert abi.SIGPIPE in g.p.signals.pending


def test_efault(g):
    assert g.call('write', 1, 0x10, 5) == -errno.EFAULT
    assert g.call('read', 0, 0x10, 5) == -errno.EFAULT
    assert g.call('openat', AT_FDCWD, 0x10, 0, 0) == -errno.EFAULT
    assert g.call('fstat', 0, 0x10) == -errno.EFAULT
    assert g.call('clock_gettime', 0, 0x10) == -errno.EFAULT
    assert g.call('uname', 0) == -errno.EFAULT
    # a buffer in read-only memory cannot be read into
    ro = g.call('mmap', 0, 4096, 1, 0x22, -1, 0)
    pfd = g.alloc(8)
    g.call('pipe2', pfd, 0)
    r, w = struct.unpack('<ii', g.mem.read(pfd, 8))
    g.call('write', w, g.alloc(4, b'data'), 4)
    assert g.call('read', r, ro, 4) == -errno.EFAULT


def test_file_backed_mmap(g, tmp_path):
    data = bytes(range(256)) * 40                   # 10240 bytes: 2.5 pages
    (tmp_path / 'm').write_bytes(data)
    fd = g.call('openat', AT_FDCWD, g.cstr('m'), O_RDONLY, 0)
    a = g.call('mmap', 0, 3 * 4096, 1, 2, fd, 0)
    assert a > 0 and a % 4096 == 0
    assert g.mem.read(a, len(data)) == data
    assert g.mem.read(a + len(data), 3 * 4096 - len(data)) == bytes(3 * 4096 - len(data))
    b = g.call('mmap', 0, 4096, 3, 2, fd, 4096)    # private writable copy at offset 4096
    assert g.mem.read(b, 4096) == data[4096:8192]
    g.mem.write(b, b'changed')
    assert (tmp_path / 'm').read_bytes() == data  # private: not written back
    assert g.call('mmap', 0, 4096, 3, 1, fd, 0) == -errno.EACCES   # shared+write on O_RDONLY
    assert g.call('mmap', 0, 4096, 1, 2, fd, 100) == -errno.EINVAL
    text = g.p.mm.maps_text()
    assert str(tmp_path / 'm') in text


def test_mmap_fixed_and_noreplace(g):
    a = g.call('mmap', 0, 8192, 3, 0x22, -1, 0)
    assert g.call('mmap', a, 4096, 3, 0x22 | abi.MAP_FIXED_NOREPLACE, -1, 0) == -errno.EEXIST
    g.mem.write(a + 4096, b'keep')
    assert g.call('mmap', a, 4096, 3, 0x22 | abi.MAP_FIXED, -1, 0) == a
    assert g.mem.read(a + 4096, 4) == b'keep'
    assert g.call('mmap', a + 1, 4096, 3, 0x22 | abi.MAP_FIXED, -1, 0) == -errno.EINVAL
    assert g.call('mmap', 0, 4096, 3, 0x20, -1, 0) == -errno.EINVAL    # no MAP_PRIVATE/SHARED
    # a hint is honoured when free
    hint = 0x300000000
    assert g.call('mmap', hint, 4096, 3, 0x22, -1, 0) == hint


def test_brk(g):
    b0 = g.call('brk', 0)
    assert b0 == g.p.mm.brk_start and b0 % 4096 == 0
    assert g.call('brk', b0 + 100) == b0 + 100
    g.mem.write(b0 + 50, b'x')
    assert g.call('brk', b0 + 0x10000) == b0 + 0x10000
    g.mem.write(b0 + 0xfff0, b'y')
    # as in Linux's /proc/self/maps: the heap is one rw-p mapping named [heap] while it is not empty
    heap = [ln for ln in g.p.mm.maps_text().splitlines() if ln.endswith('[heap]')]
    assert len(heap) == 1 and heap[0].startswith(f'{b0:08x}-{b0 + 0x10000:08x} rw-p ')
    assert g.call('brk', b0 - 4096) == b0 + 0x10000       # below the start: unchanged
    assert g.call('brk', b0) == b0
    assert not g.mem.is_mapped(b0 + 0x1000)
    assert '[heap]' not in g.p.mm.maps_text()


def test_memory_limit_gives_enomem(tmp_path):
    g = Guest(tmp_path, limit=32 << 20)
    try:
        assert g.call('mmap', 0, 64 << 20, 3, 0x22, -1, 0) == -errno.ENOMEM
        b0 = g.call('brk', 0)
        assert g.call('brk', b0 + (64 << 20)) == b0             # brk failure: old value
        a = g.call('mmap', 0, 4 << 20, 3, 0x22, -1, 0)
        assert a > 0
        assert g.call('munmap', a, 4 << 20) == 0
        assert g.call('mmap', 0, 4 << 20, 3, 0x22, -1, 0) > 0  # freed pages are reusable
    finally:
        g.close()


def test_mremap_moves_and_keeps_data(g):
    a = g.call('mmap', 0, 8192, 3, 0x22, -1, 0)
    g.mem.write(a, b'first')
    g.mem.write(a + 8192 - 4, b'last')
    # block growth in place
    assert g.call('mmap', a + 8192, 4096, 3, 0x22 | abi.MAP_FIXED, -1, 0) == a + 8192
    assert g.call('mremap', a, 8192, 16384, 0, 0) == -errno.ENOMEM
    b = g.call('mremap', a, 8192, 16384, abi.MREMAP_MAYMOVE, 0)
    assert b > 0 and b != a
    assert g.mem.read(b, 5) == b'first' and g.mem.read(b + 8188, 4) == b'last'
    assert not g.mem.is_mapped(a)
    assert g.call('mremap', b, 16384, 4096, 0, 0) == b
    assert not g.mem.is_mapped(b + 4096)
    assert g.call('mremap', b + 1, 4096, 4096, 0, 0) == -errno.EINVAL


def test_mprotect_changes_permissions(g):
    a = g.call('mmap', 0, 8192, 3, 0x22, -1, 0)
    assert g.call('mprotect', a, 4096, 1) == 0
    with pytest.raises(GuestFault) as fault:
        g.mem.write(a, b'x')
    assert fault.value.addr == a
    g.mem.write(a + 4096, b'x')
    assert g.call('mprotect', a, 4096, 0x100) == -errno.EINVAL
    assert g.call('mprotect', a + 1, 4096, 1) == -errno.EINVAL
    assert g.call('munmap', a + 4096, 4096) == 0
    assert g.call('mprotect', a, 8192, 3) == -errno.ENOMEM


def test_signal_bookkeeping(g):
    act = g.alloc(32, struct.pack('<QQQQ', 0x401000, abi.SA_SIGINFO | abi.SA_RESTART, 0, 1 << 1))
    old = g.alloc(32)
    assert g.call('rt_sigaction', 10, act, 0, 8) == 0
    assert g.call('rt_sigaction', 10, 0, old, 8) == 0
    assert struct.unpack('<QQQQ', g.mem.read(old, 32)) == \
        (0x401000, abi.SA_SIGINFO | abi.SA_RESTART, 0, 2)
    assert g.call('rt_sigaction', 9, act, 0, 8) == -errno.EINVAL
    assert g.call('rt_sigaction', 65, 0, old, 8) == -errno.EINVAL
    assert g.call('rt_sigaction', 10, 0, old, 4) == -errno.EINVAL
    s = g.alloc(8, struct.pack('<Q', (1 << 9) | (1 << 8)))   # SIGUSR1 | SIGKILL
    o = g.alloc(8)
    assert g.call('rt_sigprocmask', abi.SIG_BLOCK, s, o, 8) == 0
    assert g.mem.u64(o) == 0
    assert g.call('rt_sigprocmask', abi.SIG_SETMASK, 0, o, 8) == 0
    assert g.mem.u64(o) == 1 << 9                            # SIGKILL cannot be blocked
    assert g.call('rt_sigprocmask', 7, s, 0, 8) == -errno.EINVAL
    # a blocked self-kill stays pending
    assert g.call('kill', os.getpid(), 10) == 0
    assert g.call('tgkill', os.getpid(), os.getpid(), 10) == 0
    pend = g.alloc(8)
    assert g.call('rt_sigpending', pend, 8) == 0 and g.mem.u64(pend) == 1 << 9
    assert g.call('tgkill', os.getpid(), os.getpid() + 100000, 10) == -errno.ESRCH
    assert g.call('kill', os.getpid(), 100) == -errno.EINVAL
    # sigaltstack
    ss = g.alloc(24, struct.pack('<QiiQ', 0x500000, 0, 0, 1 << 16))
    oss = g.alloc(24)
    assert g.call('sigaltstack', ss, oss) == 0
    assert struct.unpack('<QiiQ', g.mem.read(oss, 24))[1] == abi.SS_DISABLE
    assert g.call('sigaltstack', 0, oss) == 0
    assert struct.unpack('<QiiQ', g.mem.read(oss, 24)) == (0x500000, 0, 0, 1 << 16)
    small = g.alloc(24, struct.pack('<QiiQ', 0x500000, 0, 0, 1024))
    assert g.call('sigaltstack', small, 0) == -errno.ENOMEM


def test_exit_and_default_signal_action(g):
    with pytest.raises(GuestExit) as ei:
        g.call('exit_group', 300)
    assert ei.value.status == 300 & 0xFF and ei.value.signal is None
    g.call('tgkill', os.getpid(), os.getpid(), abi.SIGABRT)
    with pytest.raises(GuestExit) as ei:
        g.p.signals.deliver_pending()
    assert ei.value.status == 134 and ei.value.signal == abi.SIGABRT
    # ignored by default: SIGCHLD; SIG_IGN: dropped
    g.call('kill', os.getpid(), abi.SIGCHLD)
    g.p.signals.deliver_pending()
    ign = g.alloc(32, struct.pack('<QQQQ', abi.SIG_IGN, 0, 0, 0))
    g.call('rt_sigaction', abi.SIGTERM, ign, 0, 8)
    g.call('kill', os.getpid(), abi.SIGTERM)
    g.p.signals.deliver_pending()


def test_identity_time_and_system_info(g):
    assert g.call('getpid') == os.getpid() == g.call('gettid')
    assert g.call('getppid') == os.getppid()
    assert g.call('getuid') == os.getuid() and g.call('getegid') == os.getegid()
    assert g.call('set_tid_address', 0x1234) == os.getpid()
    assert g.call('set_robust_list', 0x1000, 24) == 0
    assert g.call('rseq', 0, 32, 0, 0) == -errno.ENOSYS
    u = g.alloc(390)
    assert g.call('uname', u) == 0
    raw = g.mem.read(u, 390)
    assert raw[:65].rstrip(b'\0') == b'Linux'
    assert raw[4 * 65:5 * 65].rstrip(b'\0') == b'aarch64'
    ts = g.alloc(16)
    before = time.time_ns()
    assert g.call('clock_gettime', abi.CLOCK_REALTIME, ts) == 0
    sec, ns = struct.unpack('<qq', g.mem.read(ts, 16))
    assert abs(sec * 10**9 + ns - before) < 5 * 10**9
    assert g.call('clock_gettime', 1, ts) == 0
    assert g.call('clock_gettime', 99, ts) == -errno.EINVAL
    assert g.call('clock_getres', 1, ts) == 0
    assert g.call('gettimeofday', ts, 0) == 0
    g.mem.write(ts, struct.pack('<qq', 0, 1_000_000))
    t0 = time.monotonic()
    assert g.call('nanosleep', ts, 0) == 0
    assert g.call('clock_nanosleep', 1, 0, ts, 0) == 0
    assert time.monotonic() - t0 >= 0.002
    g.mem.write(ts, struct.pack('<qq', 0, 2_000_000_000))
    assert g.call('nanosleep', ts, 0) == -errno.EINVAL
    rnd = g.alloc(64)
    assert g.call('getrandom', rnd, 64, 0) == 64
    assert g.mem.read(rnd, 64) != bytes(64)
    rl = g.alloc(16)
    assert g.call('prlimit64', 0, abi.RLIMIT_STACK, 0, rl) == 0
    assert struct.unpack('<QQ', g.mem.read(rl, 16))[0] == 8 << 20
    g.mem.write(rl, struct.pack('<QQ', 1 << 20, abi.RLIM_INFINITY))
    assert g.call('setrlimit', abi.RLIMIT_STACK, rl) == 0
    assert g.call('getrlimit', abi.RLIMIT_STACK, rl) == 0
    assert struct.unpack('<QQ', g.mem.read(rl, 16))[0] == 1 << 20
    assert g.call('prlimit64', 0, abi.RLIMIT_NOFILE, 0, rl) == 0
    mask = g.alloc(128)
    n = g.call('sched_getaffinity', 0, 128, mask)
    assert n >= 8 and int.from_bytes(g.mem.read(mask, n), 'little') != 0
    assert g.call('sched_yield') == 0
    si = g.alloc(112)
    assert g.call('sysinfo', si) == 0
    assert struct.unpack_from('<Q', g.mem.read(si, 112), 32)[0] > 0     # totalram
    tms = g.alloc(32)
    assert g.call('times', tms) > 0
    ru = g.alloc(144)
    assert g.call('getrusage', 0, ru) == 0


def test_unknown_syscall_is_enosys_and_logged(tmp_path):
    log = io.StringIO()
    g = Guest(tmp_path, unimp=log)
    try:
        assert g.call(1000) == -errno.ENOSYS
        assert g.call(NUMBERS['io_setup'], 0, 0) == -errno.ENOSYS
        assert 'unimplemented syscall 1000' in log.getvalue()
        assert 'io_setup' in log.getvalue()
    finally:
        g.close()


def test_strace_format(tmp_path):
    log = io.StringIO()
    g = Guest(tmp_path, strace=log)
    try:
        g.call('openat', AT_FDCWD, g.cstr(f'{tmp_path}/missing/x'), O_RDWR | O_CREAT, 0o644)
        g.call('brk', 0)
        g.call('mprotect', g.scratch, 4096, 1)
        g.call(1000)
        lines = log.getvalue().splitlines()
        pid = os.getpid()
        assert f'{pid} openat(AT_FDCWD,"{tmp_path}/missing/x",O_RDWR|O_CREAT,0644) = -1 errno=2 ' \
               f'(No such file or directory)' in lines
        # qemu-aarch64 -strace's formats: pointers as 0x%016x
        assert f'{pid} brk(NULL) = 0x{g.p.mm.brk_cur:016x}' in lines
        assert f'{pid} mprotect(0x{g.scratch:016x},0x1000,PROT_READ) = 0' in lines
        assert f'{pid} Unknown syscall 1000' in lines
        with pytest.raises(GuestExit):
            g.call('exit_group', 3)
        assert log.getvalue().endswith(f'{pid} exit_group(3)\n')
    finally:
        g.close()


def test_stdio_mapping(tmp_path):
    r, w = os.pipe()
    g = Guest(tmp_path, stdio=(None, w, w))
    try:
        assert g.call('read', 0, g.scratch, 1) == -errno.EBADF        # stdin closed
        assert g.call('write', 1, g.alloc(3, b'out'), 3) == 3
        assert g.call('write', 2, g.alloc(3, b'err'), 3) == 3
        assert os.read(r, 16) == b'outerr'
    finally:
        g.close()
        os.close(r)
        os.close(w)


def test_big_read_write_is_zero_copy_and_fast(g, tmp_path):
    size = 8 << 20
    data = os.urandom(size)
    (tmp_path / 'big').write_bytes(data)
    buf = g.call('mmap', 0, size, 3, 0x22, -1, 0)
    fd = g.call('openat', AT_FDCWD, g.cstr('big'), O_RDONLY, 0)
    t0 = time.perf_counter()
    assert g.call('read', fd, buf, size) == size
    out = g.call('openat', AT_FDCWD, g.cstr('copy'), O_CREAT | O_WRONLY, 0o644)
    assert g.call('write', out, buf, size) == size
    assert time.perf_counter() - t0 < 2.0
    assert (tmp_path / 'copy').read_bytes() == data


def test_signal_frame_and_sigreturn_roundtrip(g):
    """Deliver a queued signal on an alternate stack, check the registers the handler gets and
    the rt_sigframe contents, then rt_sigreturn restores everything (vector registers too)."""
    import numpy as np
    r = g.m.regs
    V = cpu.OFF_V // 8
    before = r.copy()
    r[X:X + 31] = np.arange(100, 131, dtype=np.uint64)
    r[cpu.OFF_PC // 8] = 0x400100
    r[cpu.OFF_NZCV // 8] = 0x60000000
    r[V:V + 64] = np.arange(1000, 1064, dtype=np.uint64)
    r[cpu.OFF_FPCR // 8] = 0x3000000
    saved = r.copy()
    alt = g.call('mmap', 0, 1 << 16, 3, 0x22, -1, 0)
    assert g.call('sigaltstack', g.alloc(24, struct.pack('<QiiQ', alt, 0, 0, 1 << 16)), 0) == 0
    act = struct.pack('<QQQQ', 0x401234, abi.SA_SIGINFO | abi.SA_ONSTACK, 0, 1 << 11)
    assert g.call('rt_sigaction', abi.SIGUSR1, g.alloc(32, act), 0, 8) == 0
    r[:] = saved
    g.p.signals.queue(abi.SIGUSR1)
    g.p.signals.deliver_pending()
    sp = int(r[cpu.OFF_SP // 8])
    assert alt <= sp < alt + (1 << 16) and sp % 16 == 0
    assert int(r[cpu.OFF_PC // 8]) == 0x401234
    assert int(r[X]) == abi.SIGUSR1
    assert int(r[X + 1]) == sp and int(r[X + 2]) == sp + 128
    assert int(r[X + 30]) == g.p.signals.trampoline
    assert g.mem.read(g.p.signals.trampoline, 8) == struct.pack('<II', 0xD2801168, 0xD4000001)
    assert int(r[X + 29]) >= sp + abi.RT_SIGFRAME_SIZE
    assert g.mem.read(int(r[X + 29]), 16) == struct.pack('<QQ', 129, 130)    # fp, lr
    info = g.mem.read(sp, 128)
    assert struct.unpack_from('<iii', info) == (abi.SIGUSR1, 0, abi.SI_USER)
    mc = sp + 128 + 176
    assert [g.mem.u64(mc + 8 + 8 * i) for i in range(31)] == list(range(100, 131))
    assert g.mem.u64(mc + 264) == 0x400100 and g.mem.u64(mc + 272) == 0x60000000
    magic, size, fpsr, fpcr = struct.unpack('<IIII', g.mem.read(mc + 288, 16))
    assert (magic, size, fpcr) == (abi.FPSIMD_MAGIC, 528, 0x3000000)
    assert g.mem.u64(mc + 288 + 16) == 1000 and g.mem.u64(mc + 288 + 16 + 8 * 63) == 1063
    ss_sp, ss_flags = struct.unpack_from('<Qi', g.mem.read(sp + 128 + 16, 12))
    assert ss_sp == alt and ss_flags == 0
    # the handler's signal and sa_mask are blocked while it runs
    assert g.p.signals.mask == (1 << 9) | (1 << 11)
    # the handler clobbers registers, then returns through the trampoline
    r[X:X + 31] = 7
    r[V:V + 64] = 0
    g.m.regs[X + 8] = NUMBERS['rt_sigreturn']
    syscalls.handle(g.p)
    assert (r == saved).all()
    assert g.p.signals.mask == 0
    del before


def test_fault_with_handler_and_without(g):
    """A SIGSEGV exit from the machine goes to the guest's handler, or kills with status 139."""
    st = g.m.state
    st['fault_addr'] = 0x10
    st['exit_info'] = 0
    g.m.regs[cpu.OFF_PC // 8] = 0x400200
    with pytest.raises(GuestExit) as ei:
        g.p.signals.fault(cpu.EXIT_SEGV)
    assert ei.value.status == 139 and ei.value.signal == abi.SIGSEGV
    act = struct.pack('<QQQQ', 0x401000, abi.SA_SIGINFO | abi.SA_RESETHAND, 0, 0)
    assert g.call('rt_sigaction', abi.SIGSEGV, g.alloc(32, act), 0, 8) == 0
    g.m.regs[cpu.OFF_PC // 8] = 0x400200
    g.p.signals.fault(cpu.EXIT_SEGV)
    assert int(g.m.regs[cpu.OFF_PC // 8]) == 0x401000
    info = g.mem.read(int(g.m.regs[X + 1]), 24)
    assert struct.unpack_from('<iiiiQ', info) == (11, 0, abi.SEGV_MAPERR, 0, 0x10)
    assert g.p.signals.actions[abi.SIGSEGV].handler == abi.SIG_DFL      # SA_RESETHAND
    # a second fault while SIGSEGV is blocked (inside the handler) is fatal
    assert g.call('rt_sigaction', abi.SIGSEGV, g.alloc(32, act), 0, 8) == 0
    with pytest.raises(GuestExit):
        g.p.signals.fault(cpu.EXIT_SEGV)


# ----- xattr: the host's answers, not ENOSYS -----
def _host_errno(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError as e:
        return -e.errno
    return 0


def test_xattr_family_passes_through(g, tmp_path):
    f = tmp_path / 'x.txt'
    f.write_text('data')
    os.symlink('x.txt', tmp_path / 'link')
    path, link = g.cstr('x.txt'), g.cstr('link')
    name, missing = g.cstr('user.nbemu'), g.cstr('user.missing')
    buf = g.alloc(256)
    want = _host_errno(os.getxattr, f, 'user.missing')
    assert want in (-errno.ENODATA, -errno.ENOTSUP)
    assert g.call('getxattr', path, missing, buf, 256) == want
    assert g.call('lgetxattr', link, missing, buf, 256) == want
    if want == -errno.ENOTSUP:
        return                  # the host file system has no user xattrs: ENOTSUP it is
    val = g.alloc(8, b'value')
    assert g.call('setxattr', path, name, val, 5, 0) == 0
    assert g.call('setxattr', path, name, val, 5, 1) == -errno.EEXIST      # XATTR_CREATE
    assert g.call('getxattr', path, name, 0, 0) == 5                      # the size needed
    assert g.call('getxattr', path, name, buf, 2) == -errno.ERANGE
    assert g.call('getxattr', path, name, buf, 256) == 5
    assert g.mem.read(buf, 5) == b'value'
    # on the link itself, not its target (Linux allows no user.* attributes on symlinks)
    assert g.call('lgetxattr', link, name, buf, 256) == _host_errno(
        os.getxattr, tmp_path / 'link', 'user.nbemu', follow_symlinks=False)
    fd = g.call('openat', AT_FDCWD, path, O_RDWR, 0)
    assert g.call('fgetxattr', fd, name, buf, 256) == 5
    n = g.call('listxattr', path, buf, 256)
    assert n > 0 and b'user.nbemu\0' in g.mem.read(buf, n)
    assert g.call('flistxattr', fd, buf, 256) == n
    assert g.call('llistxattr', path, buf, 256) == n
    assert g.call('fsetxattr', fd, g.cstr('user.two'), val, 3, 0) == 0
    assert os.getxattr(f, 'user.two') == b'val'
    assert g.call('fremovexattr', fd, g.cstr('user.two')) == 0
    assert g.call('removexattr', path, name) == 0
    assert g.call('lremovexattr', path, name) == -errno.ENODATA
    assert g.call('getxattr', path, name, buf, 256) == -errno.ENODATA
    assert g.call('getxattr', g.cstr('nonexistent'), name, buf, 256) == -errno.ENOENT
    g.call('close', fd)


# ----- execve: the successful part of tests/guest/src/execve.c, against qemu running the
# programs it execs directly (qemu-aarch64 itself cannot execve an AArch64 program without
# binfmt_misc) -----
def _qemu(qemu, args, env=None, argv0=None):
    import subprocess
    cmd = [qemu] + (['-0', argv0] if argv0 else []) + args
    r = subprocess.run(cmd, capture_output=True, env=env or {}, stdin=subprocess.DEVNULL)
    return r.stdout, r.returncode


def test_execve_runs_programs_under_nbemu(qemu, cache_dir, tmp_path):
    from conftest import run_nbemu_cli
    bindir = GUEST / 'bin'
    (tmp_path / 'q').mkdir()
    (tmp_path / 'n').mkdir()
    errors, status = _qemu(qemu, [str(bindir / 'execve'), str(tmp_path / 'q')])
    assert status == 0
    child, child_status = _qemu(qemu, [str(bindir / 'argv_env'), 'one', 'two words'],
                                env={'NBEMU_TEST': 'from execve', 'OTHER': '1'},
                                argv0='argv_env')
    script = str(tmp_path / 'n' / 'script2')
    via_script, script_status = _qemu(qemu, [str(bindir / 'argv_env'), '-x', script, 'extra'],
                                      argv0=str(bindir / 'argv_env'))
    hello, _ = _qemu(qemu, [str(bindir / 'hello')])
    want = (errors + b"child's output through the pipe:\n" + child +
            b'child exited %d\n' % child_status + via_script +
            b'script exited %d\n' % script_status + hello + b'execveat child exited 0\n' +
            b'fds before exec: 1 1\n' + hello)
    r = run_nbemu_cli(['--jit=off', str(bindir / 'execve'), str(tmp_path / 'n'), 'run'],
                      env={'PATH': '/usr/bin:/bin'})
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    assert r.stdout == want


# ----- timers and interrupted sleeps (in this process: the guest's timers are the host's) -----
def test_setitimer_interrupts_nanosleep_and_wait4(g):
    act = struct.pack('<QQQQ', 0x401000, abi.SA_SIGINFO, 0, 0)
    assert g.call('rt_sigaction', abi.SIGALRM, g.alloc(32, act), 0, 8) == 0
    it = g.alloc(32, struct.pack('<qqqq', 0, 0, 0, 20000))           # one shot in 20 ms
    cur = g.alloc(32)
    assert g.call('setitimer', 0, it, 0) == 0
    assert g.call('getitimer', 0, cur) == 0
    assert 0 < struct.unpack('<qqqq', g.mem.read(cur, 32))[3] <= 20000
    req, rem = g.alloc(16, abi.pack_timespec(5 * 10**9)), g.alloc(16)
    t0 = time.monotonic()
    assert g.call('nanosleep', req, rem) == -errno.EINTR
    assert time.monotonic() - t0 < 4
    left = abi.unpack_timespec(g.mem.read(rem, 16))
    assert 4 <= left[0] <= 5
    assert abi.SIGALRM in g.p.signals.pending
    info = g.p.signals.pending.pop(abi.SIGALRM)
    assert struct.unpack_from('<iii', info) == (abi.SIGALRM, 0, abi.SI_KERNEL)
    # the blocked signal stays pending instead of interrupting
    assert g.call('rt_sigprocmask', abi.SIG_BLOCK, g.alloc(8, struct.pack('<Q', 1 << 13)), 0,
                  8) == 0
    assert g.call('setitimer', 0, it, 0) == 0
    assert g.call('nanosleep', g.alloc(16, abi.pack_timespec(100 * 10**6)), 0) == 0
    g.p.hostsig.drain()
    assert abi.SIGALRM in g.p.signals.pending
    assert g.call('wait4', -1, 0, 0, 0) == -errno.ECHILD


def test_host_signal_handling_restored_on_close(tmp_path):
    import signal
    before = signal.getsignal(signal.SIGUSR1)
    guest = Guest(tmp_path)
    act = struct.pack('<QQQQ', 0x401000, 0, 0, 0)
    assert guest.call('rt_sigaction', abi.SIGUSR1, guest.alloc(32, act), 0, 8) == 0
    assert signal.getsignal(signal.SIGUSR1) is not before
    os.kill(os.getpid(), signal.SIGUSR1)        # forwarded, not fatal
    guest.p.hostsig.drain()
    assert abi.SIGUSR1 in guest.p.signals.pending
    guest.close()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1


def test_sigtimedwait_waits_for_a_blocked_timer_signal(g):
    sigset = g.alloc(8, struct.pack('<Q', 1 << (abi.SIGALRM - 1)))
    assert g.call('rt_sigprocmask', abi.SIG_BLOCK, sigset, 0, 8) == 0
    zero = g.alloc(16, abi.pack_timespec(0))
    assert g.call('rt_sigtimedwait', sigset, 0, zero, 8) == -errno.EAGAIN
    assert g.call('setitimer', 0, g.alloc(32, struct.pack('<qqqq', 0, 0, 0, 30000)), 0) == 0
    info = g.alloc(128)
    t0 = time.monotonic()
    assert g.call('rt_sigtimedwait', sigset, info, g.alloc(16, abi.pack_timespec(5 * 10**9)),
                  8) == abi.SIGALRM
    assert time.monotonic() - t0 < 4
    assert struct.unpack_from('<iii', g.mem.read(info, 12)) == (abi.SIGALRM, 0, abi.SI_KERNEL)
    assert abi.SIGALRM not in g.p.signals.pending


# ----- eventfd, epoll, sockets -----
WILD = 16                           # an address nothing maps
AF_UNIX, AF_INET, SOCK_STREAM, SOCK_DGRAM = 1, 2, 1, 2


def _pair(g, stype=SOCK_DGRAM):
    sv = g.alloc(8)
    assert g.call('socketpair', AF_UNIX, stype, 0, sv) == 0
    return struct.unpack('<ii', g.mem.read(sv, 8))


def test_eventfd_and_epoll_errors(g):
    assert g.call('eventfd2', 0, 0x10) == -errno.EINVAL
    e = g.call('eventfd2', 3, 0)
    assert e >= 0
    assert g.call('epoll_create1', 0x1) == -errno.EINVAL
    ep = g.call('epoll_create1', 0)
    ev = g.alloc(16, struct.pack('<I4xQ', 1, 0xDEADBEEF12345678))
    assert g.call('epoll_ctl', ep, 1, e, WILD) == -errno.EFAULT
    assert g.call('epoll_ctl', ep, 1, 999, ev) == -errno.EBADF
    assert g.call('epoll_ctl', ep, 1, e, ev) == 0
    out = g.alloc(64)
    sig = g.alloc(8, bytes(8))
    assert g.call('epoll_pwait', ep, out, 4, 0, sig, 4) == -errno.EINVAL   # sigsetsize
    assert g.call('epoll_pwait', ep, out, -1, 0, 0, 8) == -errno.EINVAL
    assert g.call('epoll_pwait', ep, WILD, 4, 0, 0, 8) == -errno.EFAULT
    # the 16-byte arm64 layout, the data word returned as given
    assert g.call('epoll_pwait', ep, out, 4, -1, sig, 8) == 1
    assert struct.unpack('<I4xQ', g.mem.read(out, 16)) == (1, 0xDEADBEEF12345678)
    tmo = g.alloc(16, struct.pack('<qq', 0, 1_000_000))
    assert g.call('epoll_pwait2', ep, out, 4, tmo, 0, 8) == 1
    assert g.call('epoll_pwait2', ep, out, 4, g.alloc(16, struct.pack('<qq', 0, -1)),
                  0, 8) == -errno.EINVAL


def test_socket_type_errors_are_linux_ones(g):
    # Linux: a type past SOCK_MAX, or an unknown type flag, is EINVAL (qemu-aarch64 7.2 differs)
    assert g.call('socket', AF_INET, 99, 0) == -errno.EINVAL
    assert g.call('socket', AF_INET, SOCK_STREAM | 0x100, 0) == -errno.EINVAL
    assert g.call('socket', 12345, SOCK_STREAM, 0) == -errno.EAFNOSUPPORT
    assert g.call('socketpair', AF_UNIX, SOCK_STREAM, 0, WILD) == -errno.EFAULT
    assert sorted(g.p.fds.files) == [0, 1, 2]          # nothing leaked by the EFAULT
    a, b = _pair(g)
    assert g.call('accept4', a, 0, 0, 1) == -errno.EINVAL
    assert g.call('sendto', a, WILD, 4, 0, 0, 0) == -errno.EFAULT
    assert g.call('sendmsg', a, WILD, 0) == -errno.EFAULT
    assert g.call('recvmsg', b, WILD, 0) == -errno.EFAULT
    # more than UIO_MAXIOV iovecs: EMSGSIZE
    iov = g.alloc(16)
    msg = g.alloc(56, struct.pack('<QI4xQQQQi4x', 0, 0, iov, 1025, 0, 0, 0))
    assert g.call('sendmsg', a, msg, 0) == -errno.EMSGSIZE


def test_scm_rights_truncation_sets_ctrunc(g):
    """Two fds into a control buffer with room for one: one arrives, MSG_CTRUNC, and the other
    is closed, not leaked into the guest's table."""
    a, b = _pair(g)
    r, w = os.pipe()
    fr = g.p.fds.install(fs.OpenFile(r))
    fw = g.p.fds.install(fs.OpenFile(w))
    data = g.alloc(4, b'fds!')
    iov = g.alloc(16, struct.pack('<QQ', data, 4))
    ctl = g.alloc(24, struct.pack('<Qii', 24, 1, 1) + struct.pack('<ii', fr, fw))
    msg = g.alloc(56, struct.pack('<QI4xQQQQi4x', 0, 0, iov, 1, ctl, 24, 0))
    assert g.call('sendmsg', a, msg, 0) == 4
    before = set(g.p.fds.files)
    rbuf = g.alloc(8)
    riov = g.alloc(16, struct.pack('<QQ', rbuf, 8))
    rctl = g.alloc(24, bytes(24))
    rmsg = g.alloc(56, struct.pack('<QI4xQQQQi4x', 0, 0, riov, 1, rctl, 20, 0))
    assert g.call('recvmsg', b, rmsg, 0x40000000) == 4        # MSG_CMSG_CLOEXEC
    controllen, flags = struct.unpack('<Qi', g.mem.read(rmsg + 40, 12))
    assert controllen == 20 and flags & 0x8                    # MSG_CTRUNC
    ln, level, typ, fd = struct.unpack('<Qiii', g.mem.read(rctl, 20))
    assert (ln, level, typ) == (20, 1, 1)
    assert set(g.p.fds.files) - before == {fd} and g.p.fds.files[fd].cloexec
    # a bad fd in SCM_RIGHTS is EBADF
    g.mem.write(ctl + 16, struct.pack('<ii', fr, 999))
    assert g.call('sendmsg', a, msg, 0) == -errno.EBADF


def test_signalfd_sizemask_and_pending_readiness(g):
    mask = g.alloc(8, struct.pack('<Q', 1 << (abi.SIGUSR1 - 1)))
    # Linux: sizemask must be sizeof(sigset_t) (qemu-aarch64 7.2 accepts any)
    assert g.call('signalfd4', -1, mask, 4, 0) == -errno.EINVAL
    fd = g.call('signalfd4', -1, mask, 8, abi.G_O_NONBLOCK)
    assert fd >= 0
    host = g.p.fds.files[fd].host
    ready = lambda: bool(select.select([host], [], [], 0)[0])    # noqa: E731
    assert not ready()
    g.p.signals.queue(abi.SIGUSR1)
    assert ready()                          # the pending set's watch filled the pipe
    buf = g.alloc(128)
    assert g.call('read', fd, buf, 128) == 128
    assert struct.unpack('<I', g.mem.read(buf, 4))[0] == abi.SIGUSR1
    assert not ready() and not g.p.signals.pending
    assert g.call('read', fd, buf, 128) == -errno.EAGAIN
    assert g.call('readv', fd, buf, 1) == -errno.EINVAL


def test_timerfd_flags_and_settime(g):
    # Linux: unknown timerfd_create flags are EINVAL (qemu-aarch64 7.2 accepts them)
    assert g.call('timerfd_create', 1, 0x10) == -errno.EINVAL
    t = g.call('timerfd_create', 1, abi.G_O_NONBLOCK)
    assert t >= 0
    new = g.alloc(32, struct.pack('<qqqq', 5, 0, 100, 0))     # interval 5 s, value 100 s
    old = g.alloc(32)
    assert g.call('timerfd_settime', t, 0, new, old) == 0
    assert g.mem.read(old, 32) == bytes(32)
    cur = g.alloc(32)
    assert g.call('timerfd_gettime', t, cur) == 0
    isec, insec, vsec, vnsec = struct.unpack('<qqqq', g.mem.read(cur, 32))
    assert (isec, insec) == (5, 0) and 98 <= vsec < 100
    assert g.call('read', t, g.alloc(8), 8) == -errno.EAGAIN
    assert g.call('timerfd_settime', t, 0, WILD, 0) == -errno.EFAULT


def test_shm_attach_detach_restores_private_arena_pages(g):
    shmid = g.call('shmget', 0, 8192, 0o1000 | 0o600)       # IPC_PRIVATE, IPC_CREAT
    assert shmid >= 0
    try:
        # Linux: SHM_REMAP needs an address (qemu-aarch64 7.2 attaches anyway)
        assert g.call('shmat', shmid, 0, 0o40000) == -errno.EINVAL
        a = g.call('shmat', shmid, 0, 0)
        b = g.call('shmat', shmid, 0, 0)
        assert a > 0 and b > 0 and a != b
        g.mem.write(a, b'shared')
        assert g.mem.read(b, 6) == b'shared'            # two guest views of one host segment
        assert len(g.p.mem.host_shared) == 4
        ds = g.alloc(112)
        assert g.call('shmctl', shmid, 2, ds) == 0
        assert struct.unpack_from('<Q', g.mem.read(ds, 112), 48)[0] == 8192
        assert struct.unpack_from('<Q', g.mem.read(ds, 112), 88)[0] == 2      # shm_nattch
        assert g.call('shmdt', a) == 0
        assert g.call('shmdt', a) == -errno.EINVAL
        # b's pages stay shared; a's arena pages are private again (and reused privately)
        assert len(g.p.mem.host_shared) == 2
        c = g.call('mmap', 0, 8192, 3, 0x22, -1, 0)
        g.mem.write(c, b'private')
        assert g.mem.read(b, 6) == b'shared'
        assert g.call('shmctl', shmid, 2, ds) == 0
        assert struct.unpack_from('<Q', g.mem.read(ds, 112), 88)[0] == 1
        assert g.call('munmap', b, 8192) == 0            # munmap detaches as well
        assert not g.p.mem.host_shared
    finally:
        assert g.call('shmctl', shmid, 0, 0) == 0


def test_map_shared_file_pages_are_the_files(g, tmp_path):
    (tmp_path / 'f').write_bytes(b'a' * 5000)
    fd = g.call('openat', AT_FDCWD, g.cstr('f'), O_RDWR, 0)
    a = g.call('mmap', 0, 12288, 3, 0x01, fd, 0)               # MAP_SHARED, 3 pages
    assert a > 0
    # the two pages holding file bytes are the file's; the third, wholly past EOF, is private
    assert len(g.p.mem.host_shared) == 2
    g.mem.write(a + 4090, b'SHARED')
    assert (tmp_path / 'f').read_bytes()[4088:4098] == b'aaSHAREDaa'
    assert g.call('mprotect', a, 4096, 1) == 0                 # read-only: stores fault
    with pytest.raises(GuestFault):
        g.mem.write(a, b'x')
    ro = g.call('openat', AT_FDCWD, g.cstr('f'), O_RDONLY, 0)
    c = g.call('mmap', 0, 4096, 1, 0x01, ro, 0)                # a read-only file: a copy
    assert c > 0 and len(g.p.mem.host_shared) == 2
    assert g.call('munmap', a, 12288) == 0
    assert not g.p.mem.host_shared
    anon = g.call('mmap', 0, 8192, 3, 0x21, -1, 0)             # MAP_SHARED | MAP_ANONYMOUS
    assert len(g.p.mem.host_shared) == 2
    assert '/dev/zero (deleted)' in g.p.mm.maps_text()
    g.mem.write(anon, b'kept')
    assert g.call('madvise', anon, 8192, 4) == 0               # MADV_DONTNEED
    assert g.mem.read(anon, 4) == b'kept'


def test_dontneed_rereads_a_private_file_mapping_from_the_file(g, tmp_path):
    (tmp_path / 'f').write_bytes(b'b' * 5000)
    fd = g.call('openat', AT_FDCWD, g.cstr('f'), O_RDWR, 0)
    a = g.call('mmap', 0, 8192, 3, 0x02, fd, 0)                # MAP_PRIVATE, read-write
    assert a > 0
    g.mem.write(a + 10, b'private')
    g.mem.write(a + 4990, b'tail')
    assert g.call('close', fd) == 0
    (tmp_path / 'f').unlink()                                   # the mapping keeps the file
    assert g.call('madvise', a + 4096, 4096, 4) == 0            # the second page only
    assert g.mem.read(a + 10, 7) == b'private'
    # the file's bytes again up to its end, zeros after it
    assert g.mem.read(a + 4990, 10) == b'b' * 10 and g.mem.read(a + 5000, 8) == bytes(8)
    assert g.call('madvise', a, 4096, 4) == 0
    assert g.mem.read(a + 10, 7) == b'bbbbbbb'
    assert g.call('munmap', a, 8192) == 0


def test_shm_rdonly_attachment_cannot_be_made_writable(g):
    shmid = g.call('shmget', 0, 4096, 0o1000 | 0o600)
    try:
        a = g.call('shmat', shmid, 0, 0o10000)                  # SHM_RDONLY
        assert a > 0
        # Linux: EACCES (no VM_MAYWRITE); the host maps it read-only, so it must stay so
        assert g.call('mprotect', a, 4096, 3) == -errno.EACCES
        assert g.call('mprotect', a, 4096, 1) == 0
        with pytest.raises(GuestFault):
            g.mem.write(a, b'x')
        assert g.call('shmdt', a) == 0
        assert not g.p.mem.host_readonly
    finally:
        g.call('shmctl', shmid, 0, 0)


def test_short_counter_read_is_einval_without_waiting(g):
    g.p.hostsig._ensure_pipe()          # as when signals are forwarded: a read waits first
    e = g.call('eventfd2', 0, 0)        # blocking, counter 0
    t = g.call('timerfd_create', 1, 0)  # blocking, disarmed
    buf = g.alloc(8)
    assert g.call('read', e, buf, 4) == -errno.EINVAL
    assert g.call('read', t, buf, 7) == -errno.EINVAL
    d = g.call('dup', e)
    assert g.call('read', d, buf, 4) == -errno.EINVAL


def test_unix_socket_relative_path_follows_guest_chdir(g, tmp_path):
    (tmp_path / 'sub').mkdir()
    assert g.call('chdir', g.cstr('sub')) == 0
    s = g.call('socket', AF_UNIX, SOCK_DGRAM, 0)
    addr = g.alloc(16, struct.pack('<H', AF_UNIX) + b'rel.sock\0')
    assert g.call('bind', s, addr, 11) == 0
    assert (tmp_path / 'sub' / 'rel.sock').exists() and not os.path.exists('rel.sock')
    c = g.call('socket', AF_UNIX, SOCK_DGRAM, 0)
    assert g.call('sendto', c, g.alloc(2, b'hi'), 2, 0, addr, 11) == 2
    out, name, ln = g.alloc(8), g.alloc(16), g.alloc(4, struct.pack('<I', 16))
    assert g.call('recvfrom', s, out, 8, 0, name, ln) == 2
    assert g.mem.read(out, 2) == b'hi'
    assert struct.unpack('<I', g.mem.read(ln, 4))[0] == 0        # an unbound sender: no name
    # getsockname gives the path as bound: relative
    g.mem.write(ln, struct.pack('<I', 16))
    assert g.call('getsockname', s, name, ln) == 0
    assert g.mem.read(name, 11) == struct.pack('<H', AF_UNIX) + b'rel.sock\0'
