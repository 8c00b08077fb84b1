"""The guest's virtual memory areas and the memory-management syscalls (brk, mmap, munmap,
mprotect, mremap, madvise, msync, mincore, mlock...).

`AddressSpace` keeps a list of VMAs (start, end, prot, name, offset) over `Memory`'s page table:
Memory holds the pages, the VMA list remembers what they are for (mremap of a mapping,
/proc/self/maps, brk). Every mapping change goes through it.

Layout (48-bit guest VA, everything below 2**47 like an x86-64 host process):
  0x400000...            ET_EXEC images at their link address
  0x5500000000           static-pie / PIE images (QEMU's choice)
  brk heap               right after the image
  ... MMAP_TOP           mmap area, allocated top-down (the ELF interpreter, anonymous and file
                         mappings, the signal trampoline page)
  STACK_TOP - size       the 8 MiB main stack ending at STACK_TOP

MAP_SHARED mappings of anonymous memory and of files open read-write are host shared memory
(mapshared.py); those of read-only files are copied in at mmap time.
"""
import errno
import os

from nbemu.core.memdefs import PROT_GUARDED, PROT_TAGGED
from nbemu.gen import features

from ..memory import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, OutOfGuestMemory
from . import abi, guestmem, mapshared
from .table import syscall

STACK_TOP = 0x7ffffffff000
DEFAULT_STACK_SIZE = 8 << 20
MMAP_TOP = 0x7fffe0000000          # 512 MiB below the stack top
MMAP_BOTTOM = 0x10000
PIE_BASE = 0x5500000000
TASK_SIZE = 1 << 47


def page_up(x):
    return (x + PAGE_MASK) & ~PAGE_MASK


def page_down(x):
    return x & ~PAGE_MASK


class MappedFile:
    """The file behind a private file mapping, held open as the kernel holds it: pages that
    MADV_DONTNEED drops are read from it again, even after the guest closed or unlinked it."""
    __slots__ = ('fd',)

    def __init__(self, host_fd):
        self.fd = os.dup(host_fd)

    def __del__(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


class Vma:
    __slots__ = ('start', 'end', 'prot', 'name', 'offset', 'shared', 'anon', 'file')

    def __init__(self, start, end, prot, name='', offset=0, shared=False, anon=True, file=None):
        self.start, self.end, self.prot, self.name = start, end, prot, name
        self.offset, self.shared, self.anon, self.file = offset, shared, anon, file

    def piece(self, start, end):
        return Vma(start, end, self.prot, self.name, self.offset + (start - self.start),
                   self.shared, self.anon, self.file)

    def __repr__(self):
        return f'Vma({self.start:#x}-{self.end:#x} {self.prot} {self.name!r})'


class AddressSpace:
    def __init__(self, mem):
        self.mem = mem
        self.vmas = []          # sorted, non-overlapping
        self.brk_start = 0
        self.brk_cur = 0

    # ----- VMA bookkeeping -----
    def _carve(self, start, end):
        keep, removed = [], []
        for v in self.vmas:
            if v.end <= start or v.start >= end:
                keep.append(v)
                continue
            if v.start < start:
                keep.append(v.piece(v.start, start))
            if v.end > end:
                keep.append(v.piece(end, v.end))
            removed.append(v.piece(max(v.start, start), min(v.end, end)))
        keep.sort(key=lambda v: v.start)
        self.vmas = keep
        return removed

    def _insert(self, vma):
        self._carve(vma.start, vma.end)
        self.vmas.append(vma)
        self.vmas.sort(key=lambda v: v.start)

    def find_vma(self, addr):
        for v in self.vmas:
            if v.start <= addr < v.end:
                return v
        return None

    def covered(self, start, end):
        """True if [start, end) is entirely inside mapped VMAs."""
        pos = start
        for v in self.vmas:
            if v.end <= pos:
                continue
            if v.start > pos:
                return False
            pos = v.end
            if pos >= end:
                return True
        return pos >= end

    def is_free(self, start, end):
        return not any(v.start < end and v.end > start for v in self.vmas) and \
            self.mem.range_free(start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT)

    # ----- mapping primitives -----
    def map(self, addr, length, prot, name='', offset=0, shared=False, anon=True, file=None):
        """Fresh zeroed pages at a fixed page-aligned address (replacing what was there).
        Raises OutOfGuestMemory."""
        length = page_up(length)
        self.mem.map(addr, length, prot)
        self._insert(Vma(addr, addr + length, prot, name, offset, shared, anon, file))

    def map_host_shared(self, addr, length, prot, off, name, host_writable=True):
        """Arena pages from off, already backed by a host shared mapping (shm.py), at addr."""
        length = page_up(length)
        self.mem.map_host_shared(addr, off, length, prot, host_writable)
        self._insert(Vma(addr, addr + length, prot, name, 0, True, False))

    def unmap(self, addr, length):
        length = page_up(length)
        self.mem.unmap(addr, length)
        self._carve(addr, addr + length)

    def protect(self, addr, length, prot):
        length = page_up(length)
        if not self.covered(addr, addr + length):
            return False
        if not self.mem.protect(addr, length, prot):
            return False
        for v in self._carve(addr, addr + length):
            v.prot = prot
            self.vmas.append(v)
        self.vmas.sort(key=lambda v: v.start)
        self._merge()
        return True

    def _merge(self):
        out = []
        for v in self.vmas:
            p = out[-1] if out else None
            if p and p.end == v.start and p.prot == v.prot and p.name == v.name and \
                    p.anon == v.anon and p.shared == v.shared and p.file is v.file and \
                    (p.anon or p.offset + (p.end - p.start) == v.offset):
                p.end = v.end
            else:
                out.append(v)
        self.vmas = out

    def find_free(self, length, hint=0, align=PAGE_SIZE):
        length = page_up(length)
        if hint and hint & (align - 1) == 0 and MMAP_BOTTOM <= hint and hint + length <= TASK_SIZE \
                and self.is_free(hint, hint + length):
            return hint
        # top-down over the gaps between VMAs (every mapping goes through this object)
        for lo, hi in ((MMAP_BOTTOM, MMAP_TOP), (MMAP_BOTTOM, TASK_SIZE)):
            end = hi
            for v in reversed(self.vmas):
                if v.start >= end:
                    continue
                if v.end < end:
                    cand = (end - length) & ~(align - 1)
                    if cand >= max(v.end, lo) and self.is_free(cand, cand + length):
                        return cand
                end = v.start
                if end <= lo:
                    break
            cand = (end - length) & ~(align - 1)
            if cand >= lo and self.is_free(cand, cand + length):
                return cand
        return None

    def fill_from_file(self, addr, length, host_fd, offset):
        """Copy file bytes into mapped pages (ignoring protections). Returns bytes read."""
        if length <= 0:
            return 0
        sp, _ = _raw_spans(self.mem, addr, length)
        vs = [memoryview(self.mem.arena[o:o + n]) for o, n in sp]
        total = 0
        for b in guestmem.batches(vs):
            want = sum(len(v) for v in b)
            n = os.preadv(host_fd, b, offset + total)
            total += n
            if n < want:
                break
        guestmem.note_written(self.mem, addr, total)
        return total

    def zero(self, addr, length):
        sp, _ = _raw_spans(self.mem, addr, length)
        for o, n in sp:
            self.mem.arena[o:o + n] = 0
        guestmem.note_written(self.mem, addr, length)

    # ----- /proc/self/maps -----
    def maps_text(self, stack_range=None):
        lines = []
        for v in self.vmas:
            perms = ''.join(ch if v.prot & b else '-' for ch, b in (('r', 1), ('w', 2), ('x', 4)))
            perms += 's' if v.shared else 'p'
            line = f'{v.start:08x}-{v.end:08x} {perms} {v.offset if not v.anon else 0:08x} 00:00 0'
            if v.name:
                line = line.ljust(73) + v.name
            lines.append(line)
        return ''.join(ln + '\n' for ln in lines)


def _raw_spans(mem, addr, length):
    out = []
    got = 0
    for off, n in mem.spans(addr, length, 0):
        if out and out[-1][0] + out[-1][1] == off:
            out[-1] = (out[-1][0], out[-1][1] + n)
        else:
            out.append((off, n))
        got += n
    return out, got


# ----- syscalls -----
@syscall('brk', 'p', ret='p')
def sys_brk(p, addr):
    mm = p.mm
    if addr < mm.brk_start:
        return mm.brk_cur
    old_top, new_top = page_up(mm.brk_cur), page_up(addr)
    if new_top > old_top:
        if new_top > TASK_SIZE or not mm.is_free(old_top, new_top):
            return mm.brk_cur
        try:
            mm.mem.map(old_top, new_top - old_top, abi.PROT_READ | abi.PROT_WRITE)
        except OutOfGuestMemory:
            return mm.brk_cur
    elif new_top < old_top:
        mm.mem.unmap(new_top, old_top - new_top)
    mm.brk_cur = addr
    mm._carve(mm.brk_start, max(old_top, new_top))
    if new_top > mm.brk_start:
        mm._insert(Vma(mm.brk_start, new_top, abi.PROT_READ | abi.PROT_WRITE, '[heap]'))
    return addr


@syscall('mmap', 'pxPMdx', ret='p')
def sys_mmap(p, addr, length, prot, flags, fd, offset):
    mm = p.mm
    fd = _s32(fd)
    prot &= 0xFFFFFFFF
    flags &= 0xFFFFFFFF
    if length == 0 or offset & PAGE_MASK:
        return -errno.EINVAL
    typ = flags & abi.MAP_TYPE
    if typ not in (abi.MAP_SHARED, abi.MAP_PRIVATE, abi.MAP_SHARED_VALIDATE):
        return -errno.EINVAL
    if prot & ~(abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC | abi.PROT_SEM | abi.PROT_BTI |
                abi.PROT_MTE | abi.PROT_GROWSDOWN | abi.PROT_GROWSUP):
        return -errno.EINVAL
    size = page_up(length)
    if size > TASK_SIZE or size < length:
        return -errno.ENOMEM
    if prot & abi.PROT_MTE and not has_mte(p):
        return -errno.EINVAL        # arch_validate_prot: PROT_MTE only with FEAT_MTE2
    prot = guest_prot(p, prot)
    anon = bool(flags & abi.MAP_ANONYMOUS)
    f = None
    if not anon:
        f = p.fds.get(fd)
        if f is None:
            return -errno.EBADF
        try:
            fl = abi.open_flags_to_guest(_fcntl_getfl(f.host))
        except OSError as e:
            return -e.errno
        if fl & abi.O_ACCMODE == os.O_WRONLY or fl & abi.G_O_PATH:
            return -errno.EACCES
        if typ != abi.MAP_PRIVATE and prot & abi.PROT_WRITE and fl & abi.O_ACCMODE != os.O_RDWR:
            return -errno.EACCES
        if f.is_dir:
            return -errno.ENODEV
    if flags & (abi.MAP_FIXED | abi.MAP_FIXED_NOREPLACE):
        if addr & PAGE_MASK:
            return -errno.EINVAL
        if addr + size > TASK_SIZE or addr < PAGE_SIZE:
            return -errno.ENOMEM if addr + size > TASK_SIZE else -errno.EPERM
        if not flags & abi.MAP_FIXED and not mm.is_free(addr, addr + size):
            return -errno.EEXIST
        target = addr
    else:
        target = mm.find_free(size, page_down(addr))
        if target is None:
            return -errno.ENOMEM
    if typ != abi.MAP_PRIVATE and mapshared.host_backed(f, f is not None and
                                                        fl & abi.O_ACCMODE == os.O_RDWR):
        try:
            return mapshared.map_shared(mm, target, size, prot, f, offset)
        except OutOfGuestMemory:
            return -errno.ENOMEM
    try:
        mm.map(target, size, prot, name=f.path if f else '', offset=offset,
               shared=typ != abi.MAP_PRIVATE, anon=anon,
               file=MappedFile(f.host) if f is not None and typ == abi.MAP_PRIVATE else None)
    except OutOfGuestMemory:
        return -errno.ENOMEM
    if f is not None:
        try:
            mm.fill_from_file(target, size, f.host, offset)
        except OSError as e:
            mm.unmap(target, size)
            return -e.errno
    return target


def _fcntl_getfl(host_fd):
    import fcntl
    return fcntl.fcntl(host_fd, fcntl.F_GETFL)


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def has_bti(p):
    return p.machine.cpu_model.has(features.BTI)


def has_mte(p):
    return p.machine.cpu_model.has(features.MTE2)


def guest_prot(p, prot):
    """The guest's PROT_* bits -> Memory's: rwx, PROT_BTI as the guarded attribute when the
    CPU model has FEAT_BTI (Linux's VM_ARM64_BTI; without it mmap ignores the bit), PROT_MTE as
    the tagged one (VM_MTE; the callers refuse it without FEAT_MTE2)."""
    out = prot & 7
    if prot & abi.PROT_BTI and has_bti(p):
        out |= PROT_GUARDED
    if prot & abi.PROT_MTE and has_mte(p):
        out |= PROT_TAGGED
    return out


@syscall('munmap', 'px')
def sys_munmap(p, addr, length):
    if addr & PAGE_MASK or length == 0 or addr + length > TASK_SIZE:
        return -errno.EINVAL
    p.mm.unmap(addr, page_up(length))
    return 0


@syscall('mprotect', 'pxP')
def sys_mprotect(p, addr, length, prot):
    prot &= 0xFFFFFFFF
    if addr & PAGE_MASK:
        return -errno.EINVAL
    if prot & ~(7 | abi.PROT_SEM | abi.PROT_BTI | abi.PROT_MTE | abi.PROT_GROWSDOWN |
                abi.PROT_GROWSUP) or \
            prot & abi.PROT_BTI and not has_bti(p) or prot & abi.PROT_MTE and not has_mte(p):
        return -errno.EINVAL        # Linux's arch_validate_prot: PROT_BTI/MTE with the feature
    size = page_up(length)
    if size == 0:
        return 0
    if addr + size > TASK_SIZE:
        return -errno.ENOMEM
    if prot & abi.PROT_WRITE and p.mem.readonly_in(addr, size):
        return -errno.EACCES        # Linux: a read-only shared mapping may never be written
    return 0 if p.mm.protect(addr, size, guest_prot(p, prot)) else -errno.ENOMEM


@syscall('mremap', 'pxxxp', ret='p')
def sys_mremap(p, old, old_size, new_size, flags, new_addr):
    mm = p.mm
    flags &= 0xFFFFFFFF
    if old & PAGE_MASK or flags & ~7:
        return -errno.EINVAL
    if flags & abi.MREMAP_FIXED and not flags & abi.MREMAP_MAYMOVE:
        return -errno.EINVAL
    if flags & abi.MREMAP_DONTUNMAP and (not flags & abi.MREMAP_MAYMOVE or old_size != new_size):
        return -errno.EINVAL
    old_size, new_size = page_up(old_size), page_up(new_size)
    if new_size == 0 or new_size > TASK_SIZE:
        return -errno.EINVAL
    v = mm.find_vma(old)
    if v is None or (old_size and not mm.covered(old, old + old_size)):
        return -errno.EFAULT
    if old_size == 0:
        if not v.shared:
            return -errno.EINVAL
        old_size = 0
    fixed = bool(flags & abi.MREMAP_FIXED)
    if fixed:
        if new_addr & PAGE_MASK or new_addr + new_size > TASK_SIZE:
            return -errno.EINVAL
        if new_addr < old + old_size and old < new_addr + new_size:
            return -errno.EINVAL
    if not fixed and not flags & abi.MREMAP_DONTUNMAP:
        if new_size <= old_size:
            if new_size < old_size:
                mm.unmap(old + new_size, old_size - new_size)
            return old
        end = old + old_size
        if end + new_size - old_size <= TASK_SIZE and mm.is_free(end, old + new_size) and \
                mm.covered(old, end):
            try:
                mm.mem.map(end, new_size - old_size, v.prot)
            except OutOfGuestMemory:
                return -errno.ENOMEM
            mm._insert(Vma(end, old + new_size, v.prot, v.name, v.offset + (end - v.start),
                           v.shared, v.anon, v.file))
            mm._merge()
            return old
        if not flags & abi.MREMAP_MAYMOVE:
            return -errno.ENOMEM
    if fixed:
        target = new_addr
    else:
        target = mm.find_free(new_size)
        if target is None:
            return -errno.ENOMEM
    keep = min(old_size, new_size)
    data = mm.mem.read(old, keep, need=0) if keep else b''
    # FEAT_MTE: the allocation tags move with the data (read as 0 from untagged pages)
    tags = mm.mem.read_tags(old, keep) if keep and mm.mem.tagged else b''
    pieces = [x.piece(max(x.start, old), min(x.end, old + keep))
              for x in mm.vmas if x.start < old + keep and x.end > old]
    try:
        if fixed:
            mm.unmap(target, new_size)
        mm.mem.map(target, new_size, v.prot)
    except OutOfGuestMemory:
        return -errno.ENOMEM
    if data:
        mm.mem.write(target, data, need=0)
    if not flags & abi.MREMAP_DONTUNMAP:
        mm.unmap(old, old_size)
    for x in pieces:
        mm._insert(Vma(target + (x.start - old), target + (x.end - old), x.prot, x.name, x.offset,
                       x.shared, x.anon, x.file))
    if new_size > keep:
        mm._insert(Vma(target + keep, target + new_size, v.prot, v.name, v.offset + keep,
                       v.shared, v.anon, v.file))
    for x in pieces:
        if x.prot != v.prot:
            mm.mem.protect(target + (x.start - old), x.end - x.start, x.prot)
    if tags:
        mm.mem.write_tags(target, tags)
    mm._merge()
    return target


@syscall('madvise', 'pxd')
def sys_madvise(p, addr, length, advice):
    if addr & PAGE_MASK:
        return -errno.EINVAL
    size = page_up(length)
    if size == 0:
        return 0
    mm = p.mm
    advice = _s32(advice)
    if not mm.covered(addr, addr + size):
        return -errno.ENOMEM
    if advice == abi.MADV_DONTNEED:
        # as Linux: private anonymous pages read back as zeros, private file pages as the
        # file's bytes again (zeros past its end); shared memory keeps its contents. The ELF
        # segments nbemu's loader wrote have no file behind them and keep theirs too.
        for v in list(mm.vmas):
            s, e = max(v.start, addr), min(v.end, addr + size)
            if s >= e or v.shared or (not v.anon and v.file is None):
                continue
            mm.zero(s, e - s)
            if v.file is not None:
                try:
                    mm.fill_from_file(s, e - s, v.file.fd, v.offset + (s - v.start))
                except OSError as err:
                    return -err.errno
    return 0


@syscall('msync', 'pxx')
def sys_msync(p, addr, length, flags):
    if addr & PAGE_MASK or flags & ~7 or (flags & 1 and flags & 4):
        return -errno.EINVAL
    if not p.mm.covered(addr, addr + page_up(length)):
        return -errno.ENOMEM
    return 0


@syscall('mincore', 'pxp')
def sys_mincore(p, addr, length, vec):
    if addr & PAGE_MASK:
        return -errno.EINVAL
    n = page_up(length) >> PAGE_SHIFT
    if not p.mm.covered(addr, addr + (n << PAGE_SHIFT)):
        return -errno.ENOMEM
    p.mem.write(vec, b'\x01' * n)
    return 0


for _name in ('mlock', 'munlock'):
    syscall(_name, 'px')(lambda p, addr, length: 0)
syscall('mlockall', 'x')(lambda p, flags: 0)
syscall('munlockall', '')(lambda p: 0)
syscall('mlock2', 'pxx')(lambda p, addr, length, flags: 0)
