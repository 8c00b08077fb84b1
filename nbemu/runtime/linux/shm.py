"""System V shared memory (shmget, shmat, shmdt, shmctl) on the host's.

A segment is a host segment, so keys, permissions, IPC_RMID and the attach counts are the host
kernel's, and a forked child (a host fork of the whole emulator) shares it with its parent as
on Linux. shmat attaches the host segment over a run of arena pages (SHM_REMAP at their host
address: Memory.alloc_run/map_host_shared) and maps the guest's pages onto that run; unmapping
them (shmdt, munmap, a mapping over them) puts private arena memory back, which detaches them
on the host. /proc/self/maps shows the attachment as Linux does ("rw-s", /SYSV<key> (deleted)).

struct shmid64_ds and ipc64_perm have the same bytes on arm64 and an LP64 host (the generic
layouts; x86-64's 16-bit mode is padded to 32 bits), and the IPC_* and SHM_* numbers are the
generic ones. Limitation: mremap of an attachment copies it into private memory.
"""
import ctypes
import errno
import struct

from ..memory import PAGE_MASK, PAGE_SHIFT, OutOfGuestMemory
from . import abi
from .fs import _libc
from .mm import TASK_SIZE, page_up
from .table import syscall
from .hostcall import check as _check, s32 as _s32

IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
SHM_STAT, SHM_STAT_ANY = 13, 15
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHMLBA = 4096                       # arm64's (asm-generic: PAGE_SIZE)
SHMID_DS_SIZE = 112
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_SHMAT_FAILED = ctypes.c_void_p(-1).value


def _stat(shmid):
    buf = ctypes.create_string_buffer(SHMID_DS_SIZE)
    _check(_libc.shmctl(ctypes.c_int(shmid), ctypes.c_int(IPC_STAT), buf))
    return buf.raw


def _attachments(p):
    if not hasattr(p, 'shm_attached'):
        p.shm_attached = {}         # guest address -> attached length
    return p.shm_attached


@syscall('shmget', 'dux')
def sys_shmget(p, key, size, flags):
    return _check(_libc.shmget(ctypes.c_int(_s32(key)), ctypes.c_size_t(size),
                               ctypes.c_int(_s32(flags))))


@syscall('shmat', 'dpx', ret='p')
def sys_shmat(p, shmid, addr, flags):
    shmid, flags = _s32(shmid), _s32(flags)
    if addr:
        if addr & (SHMLBA - 1):
            if not flags & SHM_RND:
                return -errno.EINVAL
            addr &= ~(SHMLBA - 1)
            if not addr and flags & SHM_REMAP:
                return -errno.EINVAL
    elif flags & SHM_REMAP:
        return -errno.EINVAL
    info = _stat(shmid)             # EINVAL, EIDRM, EACCES as the host's shmat would say
    key = struct.unpack_from('<I', info, 0)[0]
    size = page_up(struct.unpack_from('<Q', info, 48)[0])
    mm = p.mm
    if addr:
        if addr + size > TASK_SIZE:
            return -errno.EINVAL
        if not flags & SHM_REMAP and not mm.is_free(addr, addr + size):
            return -errno.EINVAL
    else:
        addr = mm.find_free(size)
        if addr is None:
            return -errno.ENOMEM
    try:
        off = mm.mem.alloc_run(size >> PAGE_SHIFT)
    except OutOfGuestMemory:
        return -errno.ENOMEM
    host = _libc.shmat(shmid, mm.mem.host_address(off),
                       SHM_REMAP | (flags & (SHM_RDONLY | SHM_EXEC)))
    if host == _SHMAT_FAILED:
        e = ctypes.get_errno()
        mm.mem.free_pages.extend(range(off, off + size, 1 << PAGE_SHIFT))
        return -e
    prot = abi.PROT_READ | (0 if flags & SHM_RDONLY else abi.PROT_WRITE) | \
        (abi.PROT_EXEC if flags & SHM_EXEC else 0)
    mm.map_host_shared(addr, size, prot, off, f'/SYSV{key:08x} (deleted)',
                       host_writable=not flags & SHM_RDONLY)
    _attachments(p)[addr] = size
    return addr


@syscall('shmdt', 'p')
def sys_shmdt(p, addr):
    att = _attachments(p)
    size = att.get(addr) if not addr & PAGE_MASK else None
    v = p.mm.find_vma(addr) if size else None
    if v is None or v.start != addr or not v.shared or not v.name.startswith('/SYSV'):
        att.pop(addr, None)
        return -errno.EINVAL
    del att[addr]
    p.mm.unmap(addr, size)
    return 0


@syscall('shmctl', 'ddp')
def sys_shmctl(p, shmid, cmd, buf):
    shmid, cmd = _s32(shmid), _s32(cmd)
    if cmd == IPC_RMID:
        _check(_libc.shmctl(ctypes.c_int(shmid), ctypes.c_int(cmd), None))
        return 0
    if cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY):
        out = ctypes.create_string_buffer(SHMID_DS_SIZE)
        r = _check(_libc.shmctl(ctypes.c_int(shmid), ctypes.c_int(cmd), out))
        p.mem.write(buf, out.raw)
        return r
    if cmd == IPC_SET:
        raw = p.mem.read(buf, SHMID_DS_SIZE)
        _check(_libc.shmctl(ctypes.c_int(shmid), ctypes.c_int(cmd), raw))
        return 0
    p.log_unimp(f'shmctl command {cmd}')
    return -errno.EINVAL
