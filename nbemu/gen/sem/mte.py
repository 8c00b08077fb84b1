"""FEAT_MTE (MTE2) instructions at EL0, as Linux runs a process (Arm ARM C6.2: IRG, GMI, ADDG,
SUBG, SUBP(S), STG, STZG, ST2G, STZ2G, STGP, LDG, DC GVA, DC GZVA).

Linux sets SCTLR_EL1.ATA0 (allocation tag access at EL0) and GCR_EL1.RRND (IRG's tag is an
implementation-defined random choice among the non-excluded ones), and GCR_EL1.Exclude from
prctl's PR_MTE_TAG_MASK; nbemu keeps that mask in the vCPU's mte_ctrl word, with the state of a
xorshift32 generator for IRG in its upper half (deterministic runs; the tests of the tags
depend on the exclusion rules only, not on values).

Allocation tags live in the memory's tag array (nbemu.core.tlb.tag_at): a tag store to a page
without PTE_MTE is ignored and LDG reads 0 there, as for untagged memory. The tag stores and
the data stores of STZG, STZ2G, STGP and DC GZVA are not tag checked (Arm ARM: their accesses
are unchecked); they need write permission, LDG read permission, and a misaligned address is
an alignment fault. A store that would fault stores nothing (both pages are checked first).
"""
from numba import njit

from nbemu.core import cpu
from nbemu.core.memdefs import PTE_CODE, PTE_MTE, PTE_R, PTE_VALID, PTE_W
from nbemu.core.native import peek64, poke8, poke64
from nbemu.core.tlb import host_poke, note_code_store, page_walk, raise_segv, tag_at, tlb_fill

from .common import ONE, U, ZERO, add_with_carry, rx, rxsp, set_nzcv, wx, wxsp
from .ldst import align_fault, probe_writable
from .system import DCZ_BLOCK

_O_MTE_CTRL = U(cpu.OFF_MTE_CTRL)
_O_MTE_TAGS = U(cpu.OFF_MTE_TAGS)
_EXCL_SHIFT = U(cpu.MTE_EXCL_SHIFT)
_TAG_SHIFT = U(56)
_TAG_FIELD = U(0xF << 56)
_M16 = U(0xFFFF)
_M32 = U(0xFFFFFFFF)
_PTE_VALID = U(PTE_VALID)
_PTE_R = U(PTE_R)
_PTE_W = U(PTE_W)
_PTE_MTE = U(PTE_MTE)
_PTE_CODE = U(PTE_CODE)
_HI = U(0xFFFFFFFFFFFFF000)
_OFF = U(0xFFF)
_GRANULE_HI = U(0xFFFFFFFFFFFFFFF0)
_UNTAG = U(0x00FFFFFFFFFFFFFF)


@njit
def choose_non_excluded_tag(tag, offset, exclude):
    """Arm ARM ChooseNonExcludedTag: the `offset`-th non-excluded tag after `tag` (`tag` itself,
    or the next non-excluded one, for offset 0); 0 when every tag is excluded."""
    if exclude & _M16 == _M16:
        return ZERO
    tag &= U(15)
    if offset == ZERO:
        while (exclude >> tag) & ONE:
            tag = (tag + ONE) & U(15)
    while offset != ZERO:
        tag = (tag + ONE) & U(15)
        while (exclude >> tag) & ONE:
            tag = (tag + ONE) & U(15)
        offset -= ONE
    return tag


@njit
def _gcr_exclude(c):
    return (peek64(c + _O_MTE_CTRL) >> _EXCL_SHIFT) & _M16


@njit
def _random4(c):
    """Four bits from the vCPU's xorshift32 state (mte_ctrl bits 63:32; 0 is seeded)."""
    ctrl = peek64(c + _O_MTE_CTRL)
    x = ctrl >> U(32)
    if x == ZERO:
        x = U(0x2545F491)
    x ^= (x << U(13)) & _M32
    x ^= x >> U(17)
    x ^= (x << U(5)) & _M32
    poke64(c + _O_MTE_CTRL, (ctrl & _M32) | (x << U(32)))
    return (x >> U(7)) & U(15)


@njit
def with_tag(v, tag):
    return (v & ~_TAG_FIELD) | (U(tag) << _TAG_SHIFT)


@njit
def irg(c, rd, rn, rm):
    """IRG Xd|SP, Xn|SP, Xm: Xn with a random tag outside GCR_EL1.Exclude | Xm<15:0> (RRND=1:
    a random start, then the next non-excluded tag, as QEMU does)."""
    exclude = (rx(c, rm) & _M16) | _gcr_exclude(c)
    tag = choose_non_excluded_tag(_random4(c), ZERO, exclude)
    wxsp(c, rd, with_tag(rxsp(c, rn), tag))


@njit
def gmi(c, rd, rn, rm):
    """GMI Xd, Xn|SP, Xm: Xm with the bit of Xn's tag set."""
    wx(c, rd, rx(c, rm) | (ONE << ((rxsp(c, rn) >> _TAG_SHIFT) & U(15))))


@njit
def addg(c, rd, rn, offset, tag_offset, sub):
    """ADDG/SUBG Xd|SP, Xn|SP, #uimm6*16, #uimm4: Xn +/- offset, its tag advanced by tag_offset
    non-excluded tags."""
    a = rxsp(c, rn)
    r = a - U(offset) if sub else a + U(offset)
    tag = choose_non_excluded_tag(a >> _TAG_SHIFT, U(tag_offset), _gcr_exclude(c))
    wxsp(c, rd, with_tag(r, tag))


@njit
def _sext56(v):
    v &= _UNTAG
    if v & U(1 << 55):
        v |= ~_UNTAG
    return v


@njit
def subp(c, rd, rn, rm, setflags):
    """SUBP/SUBPS Xd, Xn|SP, Xm|SP: the difference of the 56-bit addresses (sign-extended from
    bit 55); SUBPS sets NZCV as SUBS does (CMPP is SUBPS to XZR)."""
    a = _sext56(rxsp(c, rn))
    b = _sext56(rxsp(c, rm))
    r, n, z, cf, v = add_with_carry(a, ~b, ONE, 1)
    if setflags:
        set_nzcv(c, n, z, cf, v)
    wx(c, rd, r)


@njit
def _set_tags(c, va, n, tag, zero):
    """Allocation tag `tag` for the granules of [va, va+n) (va granule aligned, n a multiple of
    16); zero: their data too. The range was checked writable."""
    g = va
    end = va + U(n)
    while g != end:
        pte = page_walk(c, g)
        if pte & _PTE_MTE:
            poke8(peek64(c + _O_MTE_TAGS) + (((pte & _HI) | (g & _OFF)) >> U(4)), tag)
        if zero:
            h = tlb_fill(c, g, pte)
            host_poke(h, 8, ZERO)
            host_poke(h + U(8), 8, ZERO)
            if pte & _PTE_CODE:
                note_code_store(c, g & _HI & _UNTAG, g & _HI & _UNTAG)
        g += U(16)


@njit
def stg(c, rt, rn, imm, op, mode):
    """STG/STZG/ST2G/STZ2G Xt|SP, [Xn|SP{, #simm9*16}]{!} and post-index: the tag of Xt (op
    bit 1: two granules, bit 0: zero the data). mode: 0 offset, 1 pre-index, 2 post-index."""
    base = rxsp(c, rn)
    va = base if mode == 2 else base + U(imm)
    n = 32 if op & 2 else 16
    if va & U(15):
        align_fault(c, va)
        return
    if not probe_writable(c, va, n):
        return
    _set_tags(c, va, n, (rxsp(c, rt) >> _TAG_SHIFT) & U(15), op & 1)
    if mode != 0:
        wxsp(c, rn, base + U(imm))


@njit
def stgp(c, rt, rt2, rn, imm, mode):
    """STGP Xt, Xt2, [Xn|SP{, #simm7*16}]{!} and post-index: 16 bytes of data and the address's
    own tag for their granule."""
    base = rxsp(c, rn)
    va = base if mode == 2 else base + U(imm)
    if va & U(15):
        align_fault(c, va)
        return
    if not probe_writable(c, va, 16):
        return
    lo = rx(c, rt)
    hi = rx(c, rt2)
    pte = page_walk(c, va)
    _set_tags(c, va, 16, (va >> _TAG_SHIFT) & U(15), 1)
    h = tlb_fill(c, va, pte)
    host_poke(h, 8, lo)
    host_poke(h + U(8), 8, hi)
    if mode != 0:
        wxsp(c, rn, base + U(imm))


@njit
def ldg(c, rt, rn, imm):
    """LDG Xt, [Xn|SP, #simm9*16]: Xt with the allocation tag of the granule at the address
    (aligned down; 0 from an untagged page)."""
    va = (rxsp(c, rn) + U(imm)) & _GRANULE_HI
    pte = page_walk(c, va)
    if not (pte & _PTE_VALID) or not (pte & _PTE_R):
        raise_segv(c, va, False)
        return
    tag = tag_at(c, pte, va) if pte & _PTE_MTE else ZERO
    wx(c, rt, with_tag(rx(c, rt), tag))


_DCZ_HI = U(~(DCZ_BLOCK - 1) & (2**64 - 1))


@njit
def dc_gva(c, rt, zero):
    """DC GVA / DC GZVA Xt: the tag of Xt for every granule of the DCZID-sized block holding it;
    GZVA zeroes the block too."""
    va = rx(c, rt)
    base = va & _DCZ_HI
    pte = page_walk(c, va)
    if not (pte & _PTE_VALID) or not (pte & _PTE_W):
        raise_segv(c, va, True)
        return
    _set_tags(c, base, DCZ_BLOCK, (va >> _TAG_SHIFT) & U(15), zero)
