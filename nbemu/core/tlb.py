"""Softmmu: the per-vCPU TLB and guest loads/stores for nopython code.

The hit path (`mem_ld`/`mem_st`) is small enough to be inlined into generated TBs; misses,
page-crossing accesses, faults and stores to pages holding translated code go through the slow
paths, which are cfuncs called through an address in the vCPU state so LLVM never inlines them.
A TLB entry is four words: read tag, write tag, host addend, unused. A tag is the page address
of a page the access may use directly; 1 (never page aligned) means "take the slow path".

Top-byte-ignore (TCR_EL1.TBI0, as Linux sets it): bits 63:56 of a lower-half data address are
not part of it. The page walk drops them; the TLB is filled with the address as the access
gave it, so a tagged pointer to an ordinary page misses once and then hits like any other.
FEAT_MTE pages (PTE_MTE) are never filled: every access to one comes here and is tag checked
(`check_tags`) when the thread has tag checks on.
"""
import numpy as np
from numba import njit, types

from . import cpu
from .cfunc_cache import cached_cfunc
from .memdefs import L2_BITS, PAGE_SHIFT, PTE_CODE, PTE_MTE, PTE_R, PTE_VALID, PTE_W, VA_BITS
from .native import (call_u64_i64_u64_i64, call_v_i64_u64_i64_u64, call_v_u64x5, peek8, peek16,
                     peek32, peek64, poke8, poke16, poke32, poke64)

U = np.uint64
TLB_BITS = 10
TLB_SIZE = 1 << TLB_BITS

_TLB_MASK = U(TLB_SIZE - 1)
_OFF = U(0xFFF)
_HI = U(0xFFFFFFFFFFFFF000)
_PAGE = U(1 << PAGE_SHIFT)
_SHIFT = U(PAGE_SHIFT)
_L2_BITS = U(L2_BITS)
_L2_MASK = U((1 << L2_BITS) - 1)
_O_TLB = U(cpu.OFF_TLB)
_O_SLOW_LD = U(cpu.OFF_SLOW_LD)
_O_SLOW_ST = U(cpu.OFF_SLOW_ST)
_O_PT_L1 = U(cpu.OFF_PT_L1)
_O_PT_L2 = U(cpu.OFF_PT_L2)
_O_ARENA = U(cpu.OFF_ARENA)
_O_EXIT = U(cpu.OFF_EXIT)
_O_MEMCB_REF = U(cpu.OFF_MEMCB_REF)
_O_MEM_REPORT = U(cpu.OFF_MEM_REPORT)
_INFO_STORE = U(1 << 6)     # nbemu.core.cbtable.INFO_STORE
_O_FAULT_ADDR = U(cpu.OFF_FAULT_ADDR)
_O_EXIT_INFO = U(cpu.OFF_EXIT_INFO)
_EXIT_SEGV = U(cpu.EXIT_SEGV)
_EXIT_SMC = U(cpu.EXIT_SMC)
_PTE_R = U(PTE_R)
_PTE_W = U(PTE_W)
_PTE_CODE = U(PTE_CODE)
_PTE_VALID = U(PTE_VALID)
_PTE_MTE = U(PTE_MTE)
_UNTAG = U(0x00FFFFFFFFFFFFFF)
_O_MTE_CTRL = U(cpu.OFF_MTE_CTRL)
_O_MTE_TAGS = U(cpu.OFF_MTE_TAGS)
_O_PSTATE_BITS = U(cpu.OFF_PSTATE_BITS)
_TCO = U(cpu.PSTATE_TCO)
_TCF_MASK = U(cpu.MTE_TCF_MASK)
_TCF_SYNC = U(cpu.MTE_TCF_SYNC)
_ASYNC_PENDING = U(cpu.MTE_ASYNC_PENDING)
_EXIT_MTE_ASYNC = U(cpu.EXIT_MTE_ASYNC)
_GRANULE_HI = U(0xFFFFFFFFFFFFFFF0)
# exit_info of EXIT_SEGV: bit 0 a write, bit 1 a synchronous tag check fault (SEGV_MTESERR)
SEGV_INFO_TAG = 2
_SEGV_INFO_TAG = U(SEGV_INFO_TAG)


def new_tlb():
    t = np.zeros((TLB_SIZE, 4), dtype=np.uint64)
    t[:, 0] = 1
    t[:, 1] = 1
    return t


@njit
def tlb_entry(c, va):
    return peek64(c + _O_TLB) + ((va >> _SHIFT) & _TLB_MASK) * U(32)


@njit
def host_peek(h, size):
    if size == 8:
        return peek64(h)
    if size == 4:
        return peek32(h)
    if size == 2:
        return peek16(h)
    return peek8(h)


@njit
def host_poke(h, size, v):
    if size == 8:
        poke64(h, v)
    elif size == 4:
        poke32(h, v)
    elif size == 2:
        poke16(h, v)
    else:
        poke8(h, v)


@njit
def size_shift(size):
    """log2 of an access size of 1, 2, 4 or 8 bytes."""
    return (U(size) >> U(1)) - (U(size) >> U(3))


@njit
def mem_ld(c, va, size):
    """Load `size` (1, 2, 4, 8) bytes at guest va, zero-extended. On a fault it returns 0 and
    sets the vCPU's exit reason; callers check `exit_requested` after the instruction.
    While a plugin instruments the instruction (memcb_ref set) the access is reported."""
    e = tlb_entry(c, va)
    if peek64(e) == (va & _HI) and (va & _OFF) <= _PAGE - U(size):
        v = host_peek(peek64(e + U(16)) + va, size)
    else:
        v = call_u64_i64_u64_i64(peek64(c + _O_SLOW_LD), c, va, np.int64(size))
    if peek64(c + _O_MEMCB_REF) != U(0):
        call_v_u64x5(peek64(c + _O_MEM_REPORT), c, va, size_shift(size), v, U(0))
    return v


@njit
def mem_st(c, va, size, v):
    e = tlb_entry(c, va)
    if peek64(e + U(8)) == (va & _HI) and (va & _OFF) <= _PAGE - U(size):
        host_poke(peek64(e + U(16)) + va, size, v)
    else:
        call_v_i64_u64_i64_u64(peek64(c + _O_SLOW_ST), c, va, np.int64(size), v)
    if peek64(c + _O_MEMCB_REF) != U(0):
        call_v_u64x5(peek64(c + _O_MEM_REPORT), c, va, size_shift(size) | _INFO_STORE, v, U(0))


@njit
def page_walk(c, va):
    """The page-table entry for va (0 when unmapped or outside the address space); its top byte
    is ignored (an upper-half address keeps bit 55 set and is outside)."""
    va &= _UNTAG
    if va >> U(VA_BITS):
        return U(0)
    vpn = va >> _SHIFT
    t = peek64(peek64(c + _O_PT_L1) + (vpn >> _L2_BITS) * U(8))
    if t == U(0):
        return U(0)
    return peek64(peek64(c + _O_PT_L2) + (((t - U(1)) << _L2_BITS) + (vpn & _L2_MASK)) * U(8))


@njit
def tlb_fill(c, va, pte):
    """Install the translation of va's page and return the host address of va."""
    page = va & _HI
    host_page = peek64(c + _O_ARENA) + (pte & _HI)
    e = tlb_entry(c, va)
    if pte & _PTE_MTE:
        return host_page + (va & _OFF)
    poke64(e, page if pte & _PTE_R else U(1))
    poke64(e + U(8), page if (pte & _PTE_W) and not (pte & _PTE_CODE) else U(1))
    poke64(e + U(16), host_page - page)
    return host_page + (va & _OFF)


@njit
def raise_segv(c, va, is_write):
    ex = peek64(c + _O_EXIT)
    if ex == U(0) or ex == _EXIT_SMC or ex == _EXIT_MTE_ASYNC:
        poke64(c + _O_EXIT, _EXIT_SEGV)
        poke64(c + _O_FAULT_ADDR, va)
        poke64(c + _O_EXIT_INFO, U(1) if is_write else U(0))


@njit
def tag_at(c, pte, va):
    """The allocation tag of va's granule in the PTE_MTE page `pte`: one byte per granule, at
    the page's arena offset / 16 in the memory's tag array."""
    return peek8(peek64(c + _O_MTE_TAGS) + (((pte & _HI) | (va & _OFF)) >> U(4)))


@njit
def check_tags(c, va, size, is_write):
    """The tag check of an access of `size` bytes at va (Arm ARM AArch64.CheckTag, TCMA0 = 0:
    no match-all tag) when the thread has tag checks on: every granule it touches in a PTE_MTE
    page must hold va's logical tag (bits 59:56). Synchronous mode: a failing access faults
    (EXIT_SEGV with SEGV_INFO_TAG, fault address the access's, or that of the first failing
    granule past it) and False is returned. Asynchronous mode: the access goes ahead, the
    fault is made pending and an exit requested so that Linux's signal follows. PSTATE.TCO
    set makes every access unchecked."""
    ctrl = peek64(c + _O_MTE_CTRL)
    tcf = ctrl & _TCF_MASK
    if tcf == U(0) or peek64(c + _O_PSTATE_BITS) & _TCO:
        return True
    tag = (va >> U(56)) & U(15)
    g = va & _GRANULE_HI
    last = (va + U(size) - U(1)) & _GRANULE_HI
    while True:
        pte = page_walk(c, g)
        if pte & _PTE_MTE and tag_at(c, pte, g) != tag:
            if tcf == _TCF_SYNC:
                ex = peek64(c + _O_EXIT)
                if ex < U(cpu.FIRST_FAULT):
                    poke64(c + _O_EXIT, _EXIT_SEGV)
                    poke64(c + _O_FAULT_ADDR, g if g > va else va)
                    poke64(c + _O_EXIT_INFO, _SEGV_INFO_TAG | (U(1) if is_write else U(0)))
                return False
            poke64(c + _O_MTE_CTRL, ctrl | _ASYNC_PENDING)
            if peek64(c + _O_EXIT) == U(0):
                poke64(c + _O_EXIT, _EXIT_MTE_ASYNC)
            return True
        if g == last:
            return True
        g += U(16)


@njit
def host_addr(c, va, need):
    """Host address of guest byte va if the page allows `need`, else 0 (no fault raised)."""
    pte = page_walk(c, va)
    if not (pte & _PTE_VALID) or not (pte & need):
        return U(0)
    return tlb_fill(c, va, pte)


def _slow_ld(c, va, size):
    sz = U(size)
    if (va & _OFF) <= _PAGE - sz:
        pte = page_walk(c, va)
        if not (pte & _PTE_VALID) or not (pte & _PTE_R):
            raise_segv(c, va, False)
            return U(0)
        if pte & _PTE_MTE and not check_tags(c, va, size, False):
            return U(0)
        return host_peek(tlb_fill(c, va, pte), size)
    # page-crossing: check both pages before reading, then gather bytes little-endian
    if host_addr(c, va, _PTE_R) == U(0):
        raise_segv(c, va, False)
        return U(0)
    last = va + sz - U(1)
    if host_addr(c, last, _PTE_R) == U(0):
        raise_segv(c, last & _HI, False)
        return U(0)
    if (page_walk(c, va) | page_walk(c, last)) & _PTE_MTE and not check_tags(c, va, size, False):
        return U(0)
    v = U(0)
    for i in range(size):
        v |= peek8(host_addr(c, va + U(i), _PTE_R)) << U(8 * i)
    return v


@njit
def note_code_store(c, lo, hi):
    """Record that the current instruction stored to translated code on pages lo..hi (page
    addresses): EXIT_SMC with exit_info = lowest and fault_addr = highest such page, widened by
    every further code store of the same instruction."""
    ex = peek64(c + _O_EXIT)
    if ex == U(0) or ex == _EXIT_MTE_ASYNC:
        # a pending asynchronous tag fault stays pending (mte_ctrl) for the next syscall
        poke64(c + _O_EXIT, _EXIT_SMC)
        poke64(c + _O_EXIT_INFO, lo)
        poke64(c + _O_FAULT_ADDR, hi)
    elif ex == _EXIT_SMC:
        if lo < peek64(c + _O_EXIT_INFO):
            poke64(c + _O_EXIT_INFO, lo)
        if hi > peek64(c + _O_FAULT_ADDR):
            poke64(c + _O_FAULT_ADDR, hi)


def _slow_st(c, va, size, v):
    sz = U(size)
    last = va + sz - U(1)
    for probe in (va, last):
        pte = page_walk(c, probe)
        if not (pte & _PTE_VALID) or not (pte & _PTE_W):
            raise_segv(c, probe if probe == va else probe & _HI, True)
            return
    if (page_walk(c, va) | page_walk(c, last)) & _PTE_MTE and not check_tags(c, va, size, True):
        return
    code_first = page_walk(c, va) & _PTE_CODE
    code_last = page_walk(c, last) & _PTE_CODE
    if (va & _OFF) <= _PAGE - sz:
        host_poke(host_addr(c, va, _PTE_W), size, v)
    else:
        for i in range(size):
            poke8(host_addr(c, va + U(i), _PTE_W), v >> U(8 * i))
    if code_first or code_last:
        # the store is done; leave the TB so Python can invalidate the code it changed. A
        # page-crossing store may change code on either page or both, and one instruction may
        # make several stores (STP, ST1..ST4, DC ZVA), so the exit covers a range of code pages
        lo = (va if code_first else last) & _HI
        hi = (last if code_last else va) & _HI
        note_code_store(c, lo, hi)


_slow_paths = []


def slow_paths():
    """The (load, store) slow-path cfuncs, compiled or loaded from numba's disk cache on first
    use rather than at import (importing nbemu compiles nothing)."""
    if not _slow_paths:
        _slow_paths.append(cached_cfunc(types.uint64(types.uint64, types.uint64, types.int64),
                                        _slow_ld))
        _slow_paths.append(cached_cfunc(types.void(types.uint64, types.uint64, types.int64,
                                                   types.uint64), _slow_st))
    return _slow_paths[0], _slow_paths[1]


def attach(state, memory, tlb):
    """Point a vCPU record at its memory structures and slow paths."""
    memory.tlbs.append(tlb)
    state['arena'] = memory.arena.ctypes.data
    state['arena_size'] = memory.limit
    state['pt_l1'] = memory.l1.ctypes.data
    state['pt_l2'] = memory.l2.ctypes.data
    state['tlb'] = tlb.ctypes.data
    slow_ld, slow_st = slow_paths()
    state['mte_tags'] = memory.tags.ctypes.data
    state['slow_ld'] = slow_ld.address
    state['slow_st'] = slow_st.address
