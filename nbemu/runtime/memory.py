"""Guest address space: 4 KiB pages backed by one numpy arena, with a two-level page table that
nopython code walks (see tlb.py).

Page-table entry (int64): arena offset of the page | PTE_VALID | permission bits. An entry of 0 is
an unmapped page. L1 has one entry per GiB of the 48-bit address space, holding 1 + the index of
its L2 table in a fixed pool (0 = none).
"""
import ctypes
import mmap

import numpy as np

from nbemu.core.memdefs import (DEFAULT_LIMIT, L1_ENTRIES, L2_BITS, L2_ENTRIES, L2_POOL,  # noqa: F401
                                PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, PROT_EXEC, PROT_READ,
                                PROT_WRITE, PTE_ATTRS, PTE_CODE, PTE_GUARDED, PTE_MTE, PTE_PERMS, PTE_R,
                                PTE_VALID, PTE_W, PTE_X, TAG_GRANULE, VA_BITS, GuestFault)


class OutOfGuestMemory(Exception):
    pass


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                       ctypes.c_long]
_MAP_FAILED = ctypes.c_void_p(-1).value


class Memory:
    def __init__(self, limit=DEFAULT_LIMIT):
        limit = (limit + PAGE_MASK) & ~PAGE_MASK
        # an anonymous host mapping: pages cost host memory only once the guest touches them,
        # and it is page-aligned, so a run of arena pages can be replaced by a host shared
        # mapping (System V shm, linux/shm.py: map_host_shared)
        self._arena_map = mmap.mmap(-1, limit, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.arena = np.frombuffer(self._arena_map, dtype=np.uint8)
        # FEAT_MTE allocation tags: one byte per 16-byte granule of the arena, at arena offset
        # / 16, so a tag belongs to the arena page (fork copies it with the arena; host memory
        # only for what PROT_MTE pages use). tagged: arena offsets of the pages that had tags
        # since they were handed out (Linux's PG_mte_tagged): unmapping zeroes theirs.
        self._tags_map = mmap.mmap(-1, limit // TAG_GRANULE,
                                   flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.tags = np.frombuffer(self._tags_map, dtype=np.uint8)
        self.tagged = set()
        # the tagged address ABI is on (prctl PR_TAGGED_ADDR_ENABLE; per thread in Linux, for
        # the whole process here): syscalls take pointers with a tag in their top byte
        self.untag_pointers = False
        self.host_shared = set()    # arena offsets of the pages a host shared mapping backs
        self.host_readonly = set()  # those of them the host maps read-only (shmat SHM_RDONLY)
        self.l1 = np.zeros(L1_ENTRIES, dtype=np.int64)
        self.l2 = np.zeros((L2_POOL, L2_ENTRIES), dtype=np.int64)
        self.n_l2 = 0
        self.limit = limit
        self.next_free = 0
        self.free_pages = []
        self.tlbs = []          # TLB arrays to flush on any mapping change
        self.code_pages = set()  # guest page numbers with PTE_CODE set
        self.on_code_unmapped = None  # callback(page_numbers) to invalidate translated code

    # ----- page table -----
    def _l2_for(self, vpn, create):
        i1 = vpn >> L2_BITS
        if i1 >= L1_ENTRIES:
            raise GuestFault(vpn << PAGE_SHIFT, False)
        t = self.l1[i1]
        if t == 0:
            if not create:
                return None
            if self.n_l2 == L2_POOL:
                raise OutOfGuestMemory()
            t = self.n_l2 = self.n_l2 + 1
            self.l1[i1] = t
        return self.l2[t - 1]

    def pte(self, vpn):
        t = self._l2_for(vpn, False) if (vpn >> L2_BITS) < L1_ENTRIES else None
        return 0 if t is None else int(t[vpn & (L2_ENTRIES - 1)])

    def _set_pte(self, vpn, value):
        self._l2_for(vpn, True)[vpn & (L2_ENTRIES - 1)] = value

    def is_mapped(self, addr, length=1):
        return all(self.pte(p) for p in range(addr >> PAGE_SHIFT, (addr + max(length, 1) - 1 >> PAGE_SHIFT) + 1))

    def flush_tlbs(self):
        for t in self.tlbs:
            t[:] = 0
            t[:, 0] = 1       # tags are page-aligned, so 1 never matches
            t[:, 1] = 1

    # ----- host page allocation -----
    def _alloc_pages(self, n):
        """Arena offsets of n zeroed pages."""
        if n > self.pages_free():
            raise OutOfGuestMemory()
        reuse = min(n, len(self.free_pages))
        offs = [self.free_pages.pop() for _ in range(reuse)]
        for off in offs:
            self.arena[off:off + PAGE_SIZE] = 0
        fresh = n - reuse           # never handed out: still zero from calloc
        offs.extend(range(self.next_free, self.next_free + fresh * PAGE_SIZE, PAGE_SIZE))
        self.next_free += fresh * PAGE_SIZE
        return np.array(offs, dtype=np.int64)

    def pages_free(self):
        return len(self.free_pages) + (self.limit - self.next_free) // PAGE_SIZE

    def _blocks(self, addr, length, create):
        """(L2 table or None, first index, end index) slices covering a page-aligned range."""
        p = addr >> PAGE_SHIFT
        end = p + ((length + PAGE_MASK) >> PAGE_SHIFT)
        while p < end:
            base = (p >> L2_BITS) << L2_BITS
            hi = min(end, base + L2_ENTRIES)
            yield self._l2_for(p, create), p - base, hi - base
            p = hi

    def _code_pages_in(self, addr, length):
        lo, hi = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        return [p for p in self.code_pages if lo <= p < hi]

    # ----- mapping -----
    def map(self, addr, length, prot):
        """Map fresh zeroed pages at [addr, addr+length), replacing what was there."""
        assert addr & PAGE_MASK == 0
        npages = (length + PAGE_MASK) >> PAGE_SHIFT
        already = sum(int(np.count_nonzero(t[lo:hi])) for t, lo, hi in self._blocks(addr, length, False)
                      if t is not None)
        if npages - already > self.pages_free():
            raise OutOfGuestMemory()
        self.unmap(addr, length)
        offs = self._alloc_pages(npages)
        i = 0
        for t, lo, hi in self._blocks(addr, length, True):
            t[lo:hi] = offs[i:i + hi - lo] | (PTE_VALID | (prot & PTE_ATTRS))
            i += hi - lo
        self._note_tagged(addr, length, prot)
        self.flush_tlbs()

    def unmap(self, addr, length):
        dropped_code = self._code_pages_in(addr, length)
        for t, lo, hi in self._blocks(addr, length, False):
            if t is None:
                continue
            seg = t[lo:hi]
            live = seg[seg != 0]
            offs = (live & ~PAGE_MASK).tolist()
            if self.tagged:
                self._drop_tags(offs)
            if self.host_shared:
                self._unshare([o for o in offs if o in self.host_shared])
            self.free_pages.extend(offs)
            seg[:] = 0
        self.flush_tlbs()
        self.forget_code(dropped_code)

    # ----- pages backed by host shared memory -----
    def alloc_run(self, npages):
        """Arena offset of npages contiguous pages (for map_host_shared: a host mapping
        replaces them whole): a free page for one, never handed out ones for more."""
        if npages == 1 and self.free_pages:
            return self.free_pages.pop()
        if self.next_free + npages * PAGE_SIZE > self.limit:
            raise OutOfGuestMemory()
        off = self.next_free
        self.next_free += npages * PAGE_SIZE
        return off

    def host_address(self, off):
        """The host address of arena offset off."""
        return self.arena.ctypes.data + off

    def map_host_shared(self, addr, off, length, prot, host_writable=True):
        """Map [addr, addr+length) onto the arena pages from off, which the caller has just
        backed by a host shared mapping; unmapping them puts private memory back. A mapping
        the host has read-only can never be made writable (readonly_in)."""
        assert addr & PAGE_MASK == 0 and off & PAGE_MASK == 0
        npages = (length + PAGE_MASK) >> PAGE_SHIFT
        self.unmap(addr, length)
        offs = np.arange(off, off + npages * PAGE_SIZE, PAGE_SIZE, dtype=np.int64)
        i = 0
        for t, lo, hi in self._blocks(addr, length, True):
            t[lo:hi] = offs[i:i + hi - lo] | (PTE_VALID | (prot & PTE_ATTRS))
            i += hi - lo
        self.host_shared.update(offs.tolist())
        self._note_tagged(addr, length, prot)
        if not host_writable:
            self.host_readonly.update(offs.tolist())
        self.flush_tlbs()

    def readonly_in(self, addr, length):
        """True if a page of [addr, addr+length) is host shared memory the host maps read-only
        (a store there would fault in the emulator itself)."""
        if not self.host_readonly:
            return False
        for t, lo, hi in self._blocks(addr, length, False):
            if t is not None and any(int(e) & ~PAGE_MASK in self.host_readonly
                                     for e in t[lo:hi] if e):
                return True
        return False

    def _unshare(self, offs):
        """Private zero pages over host-shared ones (which detaches them on the host)."""
        for off in sorted(offs):
            r = _libc.mmap(self.host_address(off), PAGE_SIZE, mmap.PROT_READ | mmap.PROT_WRITE,
                           mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x10, -1, 0)   # MAP_FIXED
            if r == _MAP_FAILED:
                raise OSError(ctypes.get_errno(), 'cannot restore an arena page')
            self.host_shared.discard(off)
            self.host_readonly.discard(off)

    # ----- FEAT_MTE allocation tags -----
    def _note_tagged(self, addr, length, prot):
        if prot & PTE_MTE:
            for t, lo, hi in self._blocks(addr, length, False):
                if t is not None:
                    self.tagged.update((t[lo:hi][t[lo:hi] != 0] & ~PAGE_MASK).tolist())

    def _drop_tags(self, offs):
        for off in offs:
            if off in self.tagged:
                self.tagged.discard(off)
                self.tags[off // TAG_GRANULE:(off + PAGE_SIZE) // TAG_GRANULE] = 0

    def tag_spans(self, addr, length):
        """(tag index, granule count, page is PTE_MTE) chunks of a guest range (for mremap
        and tests); unmapped pages raise GuestFault."""
        for o, n in self.spans(addr, length, 0):
            pte = self.pte((addr) >> PAGE_SHIFT)
            yield o // TAG_GRANULE, (n + TAG_GRANULE - 1) // TAG_GRANULE, bool(pte & PTE_MTE)
            addr += n

    def read_tags(self, addr, length):
        """The allocation tags of the granules of [addr, addr+length) (0 for untagged pages)."""
        out = bytearray()
        for i, n, mte in self.tag_spans(addr, length):
            out += self.tags[i:i + n].tobytes() if mte else bytes(n)
        return bytes(out)

    def write_tags(self, addr, data):
        """Set the allocation tags of the PTE_MTE granules from addr (others are skipped)."""
        pos = 0
        for i, n, mte in self.tag_spans(addr, len(data) * TAG_GRANULE):
            if mte:
                self.tags[i:i + n] = np.frombuffer(data[pos:pos + n], dtype=np.uint8)
            pos += n

    def protect(self, addr, length, prot):
        blocks = list(self._blocks(addr, length, False))
        if any(t is None or not np.all(t[lo:hi]) for t, lo, hi in blocks):
            return False
        guard_changed = False
        for t, lo, hi in blocks:
            guard_changed |= bool(np.any((t[lo:hi] & PTE_GUARDED) != (prot & PTE_GUARDED)))
            t[lo:hi] = (t[lo:hi] & ~PTE_ATTRS) | (prot & PTE_ATTRS)
        self._note_tagged(addr, length, prot)
        self.flush_tlbs()
        if not prot & PROT_EXEC or guard_changed:
            # no TB translated under the old guarded attribute outlives it (qemu keys TBs on it)
            self.forget_code(self._code_pages_in(addr, length))
        return True

    def forget_code(self, pages):
        """Translated code on these pages is gone (unmapped, made non-executable, overwritten
        from Python): drop the write protection and tell the TB cache."""
        if pages:
            for p in pages:
                self.clear_code(p)
            if self.on_code_unmapped:
                self.on_code_unmapped(pages)

    def mark_code(self, vpn):
        """Called when a TB is translated from page vpn: later stores must invalidate it."""
        if vpn not in self.code_pages:
            self.code_pages.add(vpn)
            self._set_pte(vpn, self.pte(vpn) | PTE_CODE)
            self.flush_tlbs()

    def clear_code(self, vpn):
        if vpn in self.code_pages:
            self.code_pages.discard(vpn)
            e = self.pte(vpn)
            if e:
                self._set_pte(vpn, e & ~PTE_CODE)
            self.flush_tlbs()

    def range_free(self, first_page, npages):
        """No page of [first_page, first_page+npages) is mapped."""
        return not any(t is not None and np.any(t[lo:hi]) for t, lo, hi in
                       self._blocks(first_page << PAGE_SHIFT, npages << PAGE_SHIFT, False))

    # ----- Python-side access (loader, syscalls) -----
    def spans(self, addr, length, need):
        """Yield (arena offset, length) chunks for a guest range, checking permissions."""
        if addr >> 56 and self.untag_pointers and not addr & (1 << 55):
            addr &= (1 << 56) - 1
        end = addr + length
        while addr < end:
            e = self.pte(addr >> PAGE_SHIFT) if 0 <= addr < (1 << VA_BITS) else 0
            if not e or (need and not e & need):
                raise GuestFault(addr, need == PTE_W)
            n = min(end - addr, PAGE_SIZE - (addr & PAGE_MASK))
            yield (e & ~PAGE_MASK) + (addr & PAGE_MASK), n
            addr += n

    def guest_host_address(self, addr):
        """The host address of mapped guest byte addr (it lies inside the arena)."""
        (o, _n), = self.spans(addr, 1, 0)
        return self.host_address(o)

    def read(self, addr, length, need=PTE_R):
        if length == 0:
            return b''
        return b''.join(self.arena[o:o + n].tobytes() for o, n in self.spans(addr, length, need))

    def write(self, addr, data, need=PTE_W):
        """Write bytes to guest memory. need=0 ignores permissions (the loader)."""
        data = memoryview(bytes(data))
        pos = 0
        code_hit = []
        for o, n in self.spans(addr, len(data), need):
            self.arena[o:o + n] = np.frombuffer(data[pos:pos + n], dtype=np.uint8)
            p = (addr + pos) >> PAGE_SHIFT
            if p in self.code_pages:
                code_hit.append(p)
            pos += n
        self.forget_code(code_hit)

    def read_cstr(self, addr, limit=1 << 20):
        out = bytearray()
        while len(out) < limit:
            chunk = PAGE_SIZE - (addr & PAGE_MASK)
            data = self.read(addr, chunk)
            i = data.find(b'\0')
            if i >= 0:
                out += data[:i]
                return bytes(out)
            out += data
            addr += chunk
        raise GuestFault(addr, False)

    def u64(self, addr):
        return int.from_bytes(self.read(addr, 8), 'little')

    def put_u64(self, addr, value):
        self.write(addr, (value & (2**64 - 1)).to_bytes(8, 'little'))

    def regions(self):
        """Mapped ranges as (start, end, prot), merged where adjacent pages share permissions."""
        out = []
        for i1 in np.flatnonzero(self.l1):
            t = self.l2[self.l1[i1] - 1]
            for j in np.flatnonzero(t):
                vpn = (int(i1) << L2_BITS) | int(j)
                prot = int(t[j]) & PTE_PERMS
                if out and out[-1][1] == vpn << PAGE_SHIFT and out[-1][2] == prot:
                    out[-1][1] += PAGE_SIZE
                else:
                    out.append([vpn << PAGE_SHIFT, (vpn + 1) << PAGE_SHIFT, prot])
        return [tuple(r) for r in out]
