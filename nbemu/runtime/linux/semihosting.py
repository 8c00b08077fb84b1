"""Arm semihosting for a Linux process, as qemu-aarch64 provides it: `HLT #0xF000` with the
operation in x0 and a pointer to its parameter block (64-bit words) in x1; the result goes to
x0 and execution continues after the HLT. Bare-metal test programs and QEMU's own tests/tcg
use it to print, read files and exit.

The console (SYS_WRITEC, SYS_WRITE0, SYS_READC) is the emulator's own stdin and stderr, as
under qemu; the special file ":tt" is the guest's stdin, stdout or stderr by the open mode
(read, write, append), as under qemu. Files opened here get their own numbers, separate from
the guest's Linux fds. SYS_SYSTEM and
SYS_TMPNAM are not provided: they return -1 with SYS_ERRNO = ENOSYS.
"""
import errno
import os
import time

from nbemu.core import cpu
from ..memory import GuestFault
from .signals import GuestExit

HLT_SEMIHOST = 0xD45E0000       # HLT #0xF000

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC = range(1, 8)
SYS_ISERROR, SYS_ISTTY, SYS_SEEK = 8, 9, 0x0A
SYS_FLEN, SYS_TMPNAM, SYS_REMOVE, SYS_RENAME, SYS_CLOCK, SYS_TIME = range(0x0C, 0x12)
SYS_SYSTEM, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO = 0x12, 0x13, 0x15, 0x16
SYS_EXIT, SYS_SYNCCACHE, SYS_EXIT_EXTENDED = 0x18, 0x19, 0x20
SYS_ELAPSED, SYS_TICKFREQ = 0x30, 0x31

ADP_STOPPED_APPLICATION_EXIT = 0x20026
HEAP_SIZE = 128 << 20           # the heap SYS_HEAPINFO reserves with brk, halved until it fits
# SYS_OPEN modes: fopen's "r", "rb", "r+", "r+b", "w", ..., "a+b"
OPEN_FLAGS = [os.O_RDONLY] * 2 + [os.O_RDWR] * 2 + \
             [os.O_WRONLY | os.O_CREAT | os.O_TRUNC] * 2 + [os.O_RDWR | os.O_CREAT | os.O_TRUNC] * 2 + \
             [os.O_WRONLY | os.O_CREAT | os.O_APPEND] * 2 + [os.O_RDWR | os.O_CREAT | os.O_APPEND] * 2
M64 = (1 << 64) - 1
_X = cpu.OFF_X // 8
_PC = cpu.OFF_PC // 8
_ICOUNT = cpu.OFF_ICOUNT // 8


def is_call(word):
    return word == HLT_SEMIHOST


class Semihosting:
    def __init__(self, p):
        self.p = p
        self.files = {}             # semihosting file number -> host fd
        self.errno = 0
        self.heap = None            # (base, limit) once SYS_HEAPINFO reserved it
        self.start = time.monotonic()

    def call(self):
        """The HLT at pc is a semihosting call: do it, put the result in x0, step over it.
        False for an operation nbemu does not know (the HLT is then an illegal instruction)."""
        p = self.p
        regs = p.regs
        op, arg = int(regs[_X]), int(regs[_X + 1])
        handler = _OPS.get(op)
        if handler is None:
            os.write(p.diag_fd, f'nbemu: unsupported semihosting call {op:#x}\n'.encode())
            return False
        try:
            result = handler(self, arg)
        except GuestFault:
            result = -1
            self.errno = errno.EFAULT
        regs[_X] = result & M64
        regs[_PC] = int(regs[_PC]) + 4
        regs[_ICOUNT] = int(regs[_ICOUNT]) + 1     # the HLT completed
        return True

    def _args(self, addr, n):
        data = self.p.mem.read(addr, 8 * n)
        return [int.from_bytes(data[8 * i:8 * i + 8], 'little') for i in range(n)]

    def _host(self, fd):
        if fd not in self.files:
            raise KeyError(fd)
        return self.files[fd]

    def _fail(self, e):
        self.errno = e.errno if isinstance(e, OSError) else errno.EBADF
        return -1

    def _console_out(self, data):
        os.write(self.p.diag_fd, data)

    # ----- the operations -----
    def open(self, arg):
        name_ptr, mode, length = self._args(arg, 3)
        name = self.p.mem.read(name_ptr, length)
        if mode >= len(OPEN_FLAGS):
            self.errno = errno.EINVAL
            return -1
        try:
            if name == b':tt':
                f = self.p.fds.get(mode // 4)           # r: stdin, w: stdout, a: stderr
                if f is None:
                    raise OSError(errno.EBADF, ':tt')
                h = os.dup(f.host)
            else:
                h = os.open(name, OPEN_FLAGS[mode] | os.O_CLOEXEC, 0o644,
                            dir_fd=self.p.cwd_fd)
        except OSError as e:
            return self._fail(e)
        fd = 1
        while fd in self.files:
            fd += 1
        self.files[fd] = h
        return fd

    def close(self, arg):
        fd, = self._args(arg, 1)
        try:
            h = self.files.pop(fd)
        except KeyError as e:
            return self._fail(e)
        os.close(h)
        return 0

    def writec(self, arg):
        self._console_out(self.p.mem.read(arg, 1))
        return 0

    def write0(self, arg):
        self._console_out(self.p.mem.read_cstr(arg))
        return 0

    def write(self, arg):
        fd, buf, length = self._args(arg, 3)
        data = self.p.mem.read(buf, length)
        try:
            return length - os.write(self._host(fd), data)     # the bytes NOT written
        except (KeyError, OSError) as e:
            self._fail(e)
            return length

    def read(self, arg):
        fd, buf, length = self._args(arg, 3)
        try:
            data = os.read(self._host(fd), length)
        except (KeyError, OSError) as e:
            self._fail(e)
            return length
        self.p.mem.write(buf, data)
        return length - len(data)                   # the bytes NOT read

    def readc(self, arg):
        data = os.read(0, 1)
        return data[0] if data else -1

    def iserror(self, arg):
        status, = self._args(arg, 1)
        return int(status >> 63)

    def istty(self, arg):
        fd, = self._args(arg, 1)
        try:
            return 1 if os.isatty(self._host(fd)) else 0
        except KeyError as e:
            return self._fail(e)

    def seek(self, arg):
        fd, pos = self._args(arg, 2)
        try:
            os.lseek(self._host(fd), pos, os.SEEK_SET)
        except (KeyError, OSError) as e:
            return self._fail(e)
        return 0

    def flen(self, arg):
        fd, = self._args(arg, 1)
        try:
            return os.fstat(self._host(fd)).st_size
        except (KeyError, OSError) as e:
            return self._fail(e)

    def unsupported(self, arg):
        self.errno = errno.ENOSYS
        return -1

    def remove(self, arg):
        name_ptr, length = self._args(arg, 2)
        try:
            os.unlink(self.p.mem.read(name_ptr, length), dir_fd=self.p.cwd_fd)
        except OSError as e:
            return self._fail(e)
        return 0

    def rename(self, arg):
        old, old_len, new, new_len = self._args(arg, 4)
        try:
            os.rename(self.p.mem.read(old, old_len), self.p.mem.read(new, new_len),
                      src_dir_fd=self.p.cwd_fd, dst_dir_fd=self.p.cwd_fd)
        except OSError as e:
            return self._fail(e)
        return 0

    def clock(self, arg):
        return int((time.monotonic() - self.start) * 100)      # centiseconds

    def time(self, arg):
        return int(time.time())

    def get_errno(self, arg):
        return self.errno

    def get_cmdline(self, arg):
        buf, size = self._args(arg, 2)
        line = b' '.join(os.fsencode(a) if isinstance(a, str) else a for a in self.p.argv)
        if len(line) + 1 > size:
            return -1
        self.p.mem.write(buf, line + b'\0')
        self.p.mem.write(arg + 8, len(line).to_bytes(8, 'little'))
        return 0

    def heapinfo(self, arg):
        # C libraries for semihosting expect the heap right after .bss: take it with brk
        from .mm import sys_brk
        if self.heap is None:
            base = sys_brk(self.p, 0)
            limit = base + HEAP_SIZE
            while sys_brk(self.p, limit) < limit:
                limit = (base >> 1) + (limit >> 1)
            self.heap = (base, limit)
        block, = self._args(arg, 1)
        stack_base = self.p.program.stack_hi
        words = (*self.heap, stack_base, 0)         # the stack limit is not known: 0
        self.p.mem.write(block, b''.join(w.to_bytes(8, 'little') for w in words))
        return 0

    def exit(self, arg):
        reason, subcode = self._args(arg, 2)
        raise GuestExit((subcode if reason == ADP_STOPPED_APPLICATION_EXIT else 1) & 0xFF)

    def synccache(self, arg):
        return 0

    def elapsed(self, arg):
        ticks = int((time.monotonic() - self.start) * 1e6)
        self.p.mem.write(arg, ticks.to_bytes(8, 'little'))
        return 0

    def tickfreq(self, arg):
        return 1000000


_OPS = {SYS_OPEN: Semihosting.open, SYS_CLOSE: Semihosting.close,
        SYS_WRITEC: Semihosting.writec, SYS_WRITE0: Semihosting.write0,
        SYS_WRITE: Semihosting.write, SYS_READ: Semihosting.read, SYS_READC: Semihosting.readc,
        SYS_ISERROR: Semihosting.iserror, SYS_ISTTY: Semihosting.istty,
        SYS_SEEK: Semihosting.seek, SYS_FLEN: Semihosting.flen,
        SYS_TMPNAM: Semihosting.unsupported, SYS_REMOVE: Semihosting.remove,
        SYS_RENAME: Semihosting.rename, SYS_CLOCK: Semihosting.clock,
        SYS_TIME: Semihosting.time, SYS_SYSTEM: Semihosting.unsupported,
        SYS_ERRNO: Semihosting.get_errno, SYS_GET_CMDLINE: Semihosting.get_cmdline,
        SYS_HEAPINFO: Semihosting.heapinfo, SYS_EXIT: Semihosting.exit,
        SYS_SYNCCACHE: Semihosting.synccache, SYS_EXIT_EXTENDED: Semihosting.exit,
        SYS_ELAPSED: Semihosting.elapsed, SYS_TICKFREQ: Semihosting.tickfreq}
