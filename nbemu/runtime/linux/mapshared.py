"""MAP_SHARED mappings backed by host shared memory, so that a forked child (a host fork of
the whole emulator) shares them with its parent and a file's pages are the file's, as on Linux.

The host mapping goes over a run of arena pages (Memory.alloc_run: the arena is an anonymous
host mapping, so MAP_FIXED at a run's host address replaces those pages) and the guest's pages
are mapped onto the run (map_host_shared); unmapping them puts private memory back. Anonymous
shared memory is a memfd ("/dev/zero (deleted)" in /proc/self/maps, as Linux names it).

Only files open read-write get a host mapping (the guest may mprotect a MAP_SHARED mapping of
such a file writable at any time); a read-only file is still copied in, as before. Limitations:
pages wholly past the end of the file are private zero pages (Linux raises SIGBUS on them, and
so would the host, inside the emulator), and mremap copies a mapping into private memory.
"""
import ctypes
import mmap
import os

from ..memory import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, _libc

_MAP_FAILED = ctypes.c_void_p(-1).value
MAP_FIXED = 0x10


def host_backed(f, writable_file):
    """Whether a MAP_SHARED mapping of f (None: anonymous) gets host shared memory."""
    return f is None or writable_file


def map_shared(mm, target, size, prot, f, offset):
    """A shared mapping at target. Raises OutOfGuestMemory or OSError."""
    own = f is None
    if own:
        h = os.memfd_create('dev/zero', os.MFD_CLOEXEC)
        name, backed = '/dev/zero (deleted)', size
    else:
        h, name = f.host, f.path
        backed = min(size, max(0, (os.fstat(h).st_size - offset + PAGE_MASK) & ~PAGE_MASK))
    try:
        if own:
            os.ftruncate(h, size)
        mm.map(target, size, prot, name=name, offset=offset, shared=True, anon=own)
        if not backed:
            return target
        npages = backed >> PAGE_SHIFT
        try:
            off = mm.mem.alloc_run(npages)
        except BaseException:
            mm.unmap(target, size)
            raise
        r = _libc.mmap(mm.mem.host_address(off), backed, mmap.PROT_READ | mmap.PROT_WRITE,
                       mmap.MAP_SHARED | MAP_FIXED, h, offset)
        if r == _MAP_FAILED:
            e = ctypes.get_errno()
            mm.mem.free_pages.extend(range(off, off + backed, PAGE_SIZE))
            mm.unmap(target, size)
            raise OSError(e, os.strerror(e))
        mm.mem.map_host_shared(target, off, backed, prot)
        return target
    finally:
        if own:
            os.close(h)
