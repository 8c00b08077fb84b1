"""The syscall table: number -> (name, handler, strace argument formats, return format).

Handlers register themselves with `@syscall(name, argfmt, ret=...)` from the modules that
implement them (fs, mm, signals, misc); `nbemu.runtime.linux.syscalls` imports them all.
A handler is called as handler(process, *args) with as many raw uint64 register values as its
format string has letters, and returns the guest's x0: a value >= 0, or -errno.

Argument format letters (for -strace):
  d int (low 32 bits, signed)   l long (signed 64)   u unsigned   x hex   p pointer
  s C string (guest pointer)    f dirfd (AT_FDCWD)   o octal      O open flags
  P mmap/mprotect prot          M mmap flags         w lseek whence   S signal number
Return formats: 'd' (default), 'p' pointer, 'x' hex, 'n' never returns (printed before the call).
"""
from .sysnums import NUMBERS

TABLE = {}          # number -> Entry
NORETURN = object()  # a handler's result when it set the registers itself (rt_sigreturn)


class Entry:
    __slots__ = ('nr', 'name', 'fn', 'argfmt', 'ret')

    def __init__(self, nr, name, fn, argfmt, ret):
        self.nr, self.name, self.fn, self.argfmt, self.ret = nr, name, fn, argfmt, ret


def syscall(name, argfmt='', ret='d'):
    nr = NUMBERS[name]

    def deco(fn):
        TABLE[nr] = Entry(nr, name, fn, argfmt, ret)
        return fn
    return deco
