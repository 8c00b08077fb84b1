"""Zero-copy access to guest buffers for syscalls: host I/O goes straight into the arena.

Builds lists of writable/readable memoryviews over the guest's backing pages (merged when
consecutive pages are also consecutive in the arena), so read(2)/write(2) of large buffers cost no
Python per-byte work and no extra copies. Pages holding translated code that a syscall writes are
reported to the memory object so the affected TBs are invalidated, exactly like Memory.write.
"""
from ..memory import PAGE_SHIFT, PTE_R, PTE_W, GuestFault

IOV_MAX = 1024


def spans(mem, addr, length, write):
    """[(arena offset, n)] covering [addr, addr+length), merged; stops at the first page the guest
    may not access. Returns (spans, accessible_length)."""
    out = []
    got = 0
    try:
        for off, n in mem.spans(addr, length, PTE_W if write else PTE_R):
            if out and out[-1][0] + out[-1][1] == off:
                out[-1] = (out[-1][0], out[-1][1] + n)
            else:
                out.append((off, n))
            got += n
    except GuestFault:
        pass
    return out, got


def views(mem, addr, length, write):
    """memoryviews of the accessible prefix of a guest buffer; raises GuestFault if none of it is
    accessible (and length > 0)."""
    if length <= 0:
        return []
    sp, got = spans(mem, addr, length, write)
    if not got:
        raise GuestFault(addr, write)
    a = mem.arena
    return [memoryview(a[o:o + n]) for o, n in sp]


def note_written(mem, addr, length):
    """Tell the memory object that [addr, addr+length) changed behind its back (TB invalidation)."""
    if length <= 0:
        return
    first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
    code = mem.code_pages
    if code:
        hit = [p for p in range(first, last + 1) if p in code] if last - first < 4096 else \
            [p for p in code if first <= p <= last]
        if hit:
            mem.forget_code(hit)


def batches(vs):
    for i in range(0, len(vs), IOV_MAX):
        yield vs[i:i + IOV_MAX]
