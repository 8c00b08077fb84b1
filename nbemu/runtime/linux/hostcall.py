"""Small conversions the syscall modules share: a guest int argument, a libc call's result."""
import ctypes
import os


def s32(v):
    """A syscall argument register as the C int the guest passed."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def check(r):
    """The result of a ctypes libc call (use_errno=True), or OSError with its errno."""
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
