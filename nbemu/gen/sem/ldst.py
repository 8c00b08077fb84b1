"""Load/store semantics: general and SIMD&FP registers, pairs, exclusives, LSE atomics, AdvSIMD
structures.

Families share one helper each; the variant is in decoded fields:
- `size` is the access size in bytes (1, 2, 4, 8, 16);
- `kind` says what the transfer does (K_* below): store or load of a general register (zero-,
  sign-extended to 64 or to 32 bits) or of a SIMD&FP register (loads of B/H/S/D zero the rest of
  the 128-bit register);
- `mode` is the addressing mode: MODE_OFFSET (also unscaled and unprivileged forms, which are the
  same in user mode), MODE_PRE, MODE_POST, or MODE_ABS (literal: the decoder already computed the
  address, passed as `imm`; there is no base register).
Acquire/release forms (LDAR, STLR, LDAPR, LDAPUR, STLUR...) are plain accesses: vCPUs are run
one at a time, so every access is already sequentially consistent.

Faults: loads read everything before writing any register and check the exit word in between; a
faulting access never writes a destination or the base. A store made of several accesses first
probes the pages when it crosses a page, so a faulting store pair or structure store changes
nothing. "Faulted" means an exit reason >= FIRST_FAULT: a store to a page holding translated code
sets EXIT_SMC and must still complete.
"""
from numba import njit

from nbemu.core import cpu
from nbemu.core.memdefs import PTE_VALID, PTE_W
from nbemu.core.native import peek64, poke64
from nbemu.core.tlb import host_peek, host_poke, mem_ld, mem_st, page_walk, raise_segv

from .common import (ALL_ONES, FIRST_FAULT, MASK32, O_EXCL_ADDR, O_EXCL_SIZE, O_EXCL_VAL,
                     O_EXCL_VAL2, O_EXIT, O_FAULT_ADDR, O_V, U, I, ZERO, ONE, request_exit, rx,
                     rxsp, set_v, v_hi, v_lo, wx, wxsp)

# transfer kinds
K_ST = 0        # store Xt/Wt (the access size truncates)
K_LD = 1        # load, zero-extended into Xt
K_LDS64 = 2     # load, sign-extended to 64 bits
K_LDS32 = 3     # load, sign-extended to 32 bits, zero-extended into Xt
K_STV = 4       # store B/H/S/D/Q register
K_LDV = 5       # load B/H/S/D/Q register (zeroing the rest of the 128 bits)

# addressing modes
MODE_OFFSET = 0
MODE_PRE = 1
MODE_POST = 2
MODE_ABS = 3

# AdvSIMD structure post-index: none, by register Xm, by immediate
POST_NONE = 0
POST_REG = 1
POST_IMM = 2

O_SCRATCH = U(cpu.OFF_SCRATCH)
_PAGE_OFF = U(0xFFF)
_PAGE = U(0x1000)
_PAGE_HI = U(0xFFFFFFFFFFFFF000)
_PTE_VALID = U(PTE_VALID)
_PTE_W = U(PTE_W)


# ----- building blocks -----
@njit
def _faulted(c):
    return peek64(c + O_EXIT) >= FIRST_FAULT


@njit
def _sext(v, size):
    """Sign-extend the low `size` bytes of v to 64 bits."""
    sh = U(64 - 8 * size)
    return U(I(v << sh) >> I(sh))


@njit
def probe_writable(c, va, n):
    """Both ends of [va, va+n) lie on writable pages; else a SEGV is raised (False)."""
    last = va + U(n - 1)
    pte = page_walk(c, va)
    if not (pte & _PTE_VALID) or not (pte & _PTE_W):
        raise_segv(c, va, True)
        return False
    pte = page_walk(c, last)
    if not (pte & _PTE_VALID) or not (pte & _PTE_W):
        raise_segv(c, last & _PAGE_HI, True)
        return False
    return True


@njit
def _probe_w(c, va, n):
    """Before a store of n (<= 4096) bytes made of several accesses: when it crosses a page, fault
    (returning False) unless both pages are writable. A store inside one page needs no probe: its
    first access faults before anything is written."""
    if (va & _PAGE_OFF) + U(n) <= _PAGE:
        return True
    return probe_writable(c, va, n)


@njit
def align_fault(c, va):
    poke64(c + O_FAULT_ADDR, va)
    request_exit(c, cpu.EXIT_BUS, 0)


@njit
def _load(c, va, size):
    """(lo, hi): `size` bytes at va, zero-extended; hi is the second doubleword of a 16-byte
    access."""
    if size == 16:
        lo = mem_ld(c, va, 8)
        hi = mem_ld(c, va + U(8), 8)
        return lo, hi
    return mem_ld(c, va, size), ZERO


@njit
def _store(c, va, size, lo, hi):
    if size == 16:
        if not _probe_w(c, va, 16):
            return
        mem_st(c, va, 8, lo)
        if _faulted(c):
            return
        mem_st(c, va + U(8), 8, hi)
    else:
        mem_st(c, va, size, lo)


@njit
def _get(c, rt, kind):
    """The value a store of register rt writes (lo, hi)."""
    if kind == K_STV:
        return v_lo(c, rt), v_hi(c, rt)
    return rx(c, rt), ZERO


@njit
def _put(c, rt, kind, size, lo, hi):
    """Write loaded data to register rt."""
    if kind == K_LDV:
        set_v(c, rt, lo, hi)
    elif kind == K_LDS64:
        wx(c, rt, _sext(lo, size))
    elif kind == K_LDS32:
        wx(c, rt, _sext(lo, size) & MASK32)
    else:
        wx(c, rt, lo)


@njit
def _transfer(c, rt, va, size, kind):
    if kind == K_ST or kind == K_STV:
        lo, hi = _get(c, rt, kind)
        _store(c, va, size, lo, hi)
    else:
        lo, hi = _load(c, va, size)
        if not _faulted(c):
            _put(c, rt, kind, size, lo, hi)


# ----- single register -----
@njit
def ldst_imm(c, rt, rn, imm, size, kind, mode):
    """LDR/STR/LDRB/.../LDRSW and SIMD&FP LDR/STR with an immediate offset (unsigned scaled,
    unscaled, unprivileged, pre- or post-indexed; LDAR/STLR/LDAPR/LDAPUR/STLUR), and literal
    loads (mode MODE_ABS, imm = address). imm is already scaled."""
    base = ZERO
    if mode == MODE_ABS:
        va = U(imm)
    else:
        base = rxsp(c, rn)
        va = base if mode == MODE_POST else base + U(imm)
    _transfer(c, rt, va, size, kind)
    # writeback after the load: with Rn == Rt (CONSTRAINED UNPREDICTABLE) the base wins, as in QEMU
    if (mode == MODE_PRE or mode == MODE_POST) and not _faulted(c):
        wxsp(c, rn, base + U(imm))


@njit
def ldst_reg(c, rt, rn, rm, ext, size, kind):
    """LDR/STR (register offset): address Xn|SP + (extend(Rm, option) << shift);
    ext = option | shift << 3 (option 2 UXTW, 3 LSL, 6 SXTW, 7 SXTX)."""
    off = rx(c, rm)
    opt = ext & 7
    if opt == 2:
        off &= MASK32
    elif opt == 6:
        off = _sext(off, 4)
    off <<= U(ext >> 3)
    _transfer(c, rt, rxsp(c, rn) + off, size, kind)


@njit
def ldst_pair(c, rt, rt2, rn, imm, op, mode):
    """LDP/STP/LDNP/STNP/LDPSW on W/X and S/D/Q registers; op = size | kind << 5, imm scaled,
    mode MODE_OFFSET, MODE_PRE or MODE_POST."""
    size = op & 31
    kind = op >> 5
    base = rxsp(c, rn)
    va = base if mode == MODE_POST else base + U(imm)
    va2 = va + U(size)
    if kind == K_ST or kind == K_STV:
        a_lo, a_hi = _get(c, rt, kind)
        b_lo, b_hi = _get(c, rt2, kind)
        if not _probe_w(c, va, 2 * size):
            return
        _store(c, va, size, a_lo, a_hi)
        if _faulted(c):
            return
        _store(c, va2, size, b_lo, b_hi)
        if _faulted(c):
            return
    else:
        a_lo, a_hi = _load(c, va, size)
        b_lo, b_hi = _load(c, va2, size)
        if _faulted(c):
            return
        # Rt == Rt2 is CONSTRAINED UNPREDICTABLE: match QEMU (general: Rt wins; SIMD&FP: Rt2)
        if kind == K_LDV:
            _put(c, rt, kind, size, a_lo, a_hi)
            _put(c, rt2, kind, size, b_lo, b_hi)
        else:
            _put(c, rt2, kind, size, b_lo, b_hi)
            _put(c, rt, kind, size, a_lo, a_hi)
    if mode == MODE_PRE or mode == MODE_POST:
        wxsp(c, rn, base + U(imm))


# ----- exclusives -----
@njit
def _ld_upto16(c, va, total):
    """The `total` (1..16) bytes at va as (low 64 bits, high 64 bits)."""
    if total == 16:
        return mem_ld(c, va, 8), mem_ld(c, va + U(8), 8)
    return mem_ld(c, va, total), ZERO


@njit
def _st_upto16(c, va, total, lo, hi):
    """Store `total` (1..16) bytes at va from (lo, hi); the high half only if the low one did
    not fault."""
    if total == 16:
        mem_st(c, va, 8, lo)
        if not _faulted(c):
            mem_st(c, va + U(8), 8, hi)
    else:
        mem_st(c, va, total, lo)


@njit
def ld_excl(c, rt, rt2, rn, size, pair):
    """LDXR/LDAXR (B/H/W/X) and LDXP/LDAXP (W/X): load and arm the exclusive monitor with the
    address, the total size and the value(s). The access must be aligned to its total size."""
    va = rxsp(c, rn)
    total = size * 2 if pair else size
    if va & U(total - 1):
        align_fault(c, va)
        return
    lo, hi = _ld_upto16(c, va, total)
    if _faulted(c):
        return
    poke64(c + O_EXCL_ADDR, va)
    poke64(c + O_EXCL_SIZE, U(total))
    poke64(c + O_EXCL_VAL, lo)
    poke64(c + O_EXCL_VAL2, hi)
    if not pair:
        wx(c, rt, lo)
    elif size == 8:
        wx(c, rt, lo)
        wx(c, rt2, hi)
    else:
        wx(c, rt, lo & MASK32)
        wx(c, rt2, lo >> U(32))


@njit
def st_excl(c, rs, rt, rt2, rn, size, pair):
    """STXR/STLXR (B/H/W/X) and STXP/STLXP (W/X). Succeeds (Ws = 0) iff the monitor holds this
    address and size and memory still holds the value(s) the exclusive load saw (QEMU's cmpxchg
    model); else Ws = 1 and memory is untouched. The monitor is cleared either way."""
    va = rxsp(c, rn)
    total = size * 2 if pair else size
    if va & U(total - 1):
        align_fault(c, va)
        return
    hi = ZERO
    if not pair:
        lo = rx(c, rt)
    elif size == 8:
        lo = rx(c, rt)
        hi = rx(c, rt2)
    else:
        lo = (rx(c, rt) & MASK32) | (rx(c, rt2) << U(32))
    status = ONE
    if peek64(c + O_EXCL_ADDR) == va and peek64(c + O_EXCL_SIZE) == U(total):
        # a compare-and-swap, as in QEMU: plugins see a load and a store, as for LSE atomics
        cur, cur_hi = _ld_upto16(c, va, total)
        if _faulted(c):
            return
        if cur == peek64(c + O_EXCL_VAL) and cur_hi == peek64(c + O_EXCL_VAL2):
            _st_upto16(c, va, total, lo, hi)
            if _faulted(c):
                return
            status = ZERO
    poke64(c + O_EXCL_ADDR, ALL_ONES)
    wx(c, rs, status)


@njit
def clrex(c):
    poke64(c + O_EXCL_ADDR, ALL_ONES)


# ----- AdvSIMD structures -----
@njit
def _vaddr(c, reg, byte):
    return c + O_V + U(reg * 16 + byte)


@njit
def _replicate(v, esz):
    if esz == 0:
        return v * U(0x0101010101010101)
    if esz == 1:
        return v * U(0x0001000100010001)
    if esz == 2:
        return v * U(0x0000000100000001)
    return v


@njit
def _post_index(c, rn, base, inc, post):
    if post == POST_REG:
        wxsp(c, rn, base + rx(c, inc))
    elif post == POST_IMM:
        wxsp(c, rn, base + U(inc))


@njit
def simd_multi(c, rt, rn, inc, post, shape, load):
    """LD1-LD4/ST1-ST4 (multiple structures). shape = esize_log2 | Q << 2 | selem << 3 | rpt << 6
    (LD1/ST1 of 1-4 registers: selem 1, rpt n; LDn/STn: selem n, rpt 1). post: POST_NONE,
    POST_REG (inc = Rm) or POST_IMM (inc = byte count). Registers wrap modulo 32."""
    esz = shape & 3
    q = (shape >> 2) & 1
    selem = (shape >> 3) & 7
    rpt = (shape >> 6) & 7
    eb = 1 << esz
    regb = 8 << q
    elements = regb >> esz
    total = regb * rpt * selem
    base = rxsp(c, rn)
    s = c + O_SCRATCH
    if load:
        for i in range(total >> 3):
            poke64(s + U(8 * i), mem_ld(c, base + U(8 * i), 8))
        if _faulted(c):
            return
        if selem == 1:
            for r in range(rpt):
                lo = peek64(s + U(r * regb))
                hi = peek64(s + U(r * regb + 8)) if q else ZERO
                set_v(c, (rt + r) & 31, lo, hi)
        else:
            for k in range(selem):
                if not q:
                    poke64(_vaddr(c, (rt + k) & 31, 8), ZERO)
            for e in range(elements):
                for k in range(selem):
                    v = host_peek(s + U((e * selem + k) * eb), eb)
                    host_poke(_vaddr(c, (rt + k) & 31, e * eb), eb, v)
    else:
        if not _probe_w(c, base, total):
            return
        if selem == 1:
            for r in range(rpt):
                reg = (rt + r) & 31
                mem_st(c, base + U(r * regb), 8, v_lo(c, reg))
                if _faulted(c):
                    return
                if q:
                    mem_st(c, base + U(r * regb + 8), 8, v_hi(c, reg))
        else:
            for e in range(elements):
                for k in range(selem):
                    v = host_peek(_vaddr(c, (rt + k) & 31, e * eb), eb)
                    host_poke(s + U((e * selem + k) * eb), eb, v)
            for i in range(total >> 3):
                mem_st(c, base + U(8 * i), 8, peek64(s + U(8 * i)))
                if _faulted(c):
                    return
        if _faulted(c):
            return
    _post_index(c, rn, base, inc, post)


@njit
def simd_single(c, rt, rn, inc, post, shape, load):
    """LD1-LD4/ST1-ST4 (single structure, one lane) and LD1R-LD4R (replicate).
    shape = esize_log2 | index << 2 | selem << 6 | replicate << 9 | Q << 10. Lane loads leave the
    other lanes unchanged; replicating loads fill 64 or 128 bits (Q) and zero the rest."""
    esz = shape & 3
    index = (shape >> 2) & 15
    selem = (shape >> 6) & 7
    repl = (shape >> 9) & 1
    q = (shape >> 10) & 1
    eb = 1 << esz
    base = rxsp(c, rn)
    s = c + O_SCRATCH
    if load:
        for k in range(selem):
            poke64(s + U(8 * k), mem_ld(c, base + U(k * eb), eb))
        if _faulted(c):
            return
        for k in range(selem):
            reg = (rt + k) & 31
            v = peek64(s + U(8 * k))
            if repl:
                r = _replicate(v, esz)
                set_v(c, reg, r, r if q else ZERO)
            else:
                host_poke(_vaddr(c, reg, index * eb), eb, v)
    else:
        if not _probe_w(c, base, selem * eb):
            return
        for k in range(selem):
            mem_st(c, base + U(k * eb), eb, host_peek(_vaddr(c, (rt + k) & 31, index * eb), eb))
            if _faulted(c):
                return
    _post_index(c, rn, base, inc, post)


# ----- FEAT_LSE atomics -----
# atomic memory operations: the opc field (o3 = 0), then SWP (o3 = 1, opc = 000)
AOP_ADD, AOP_CLR, AOP_EOR, AOP_SET, AOP_SMAX, AOP_SMIN, AOP_UMAX, AOP_UMIN, AOP_SWP = range(9)


@njit
def _rmw_ready(c, va, total):
    """Before an atomic read-modify-write of `total` bytes at va: the address must be aligned to
    the access size (an alignment fault, SIGBUS, otherwise: QEMU 7.2 and Unicorn do not apply
    FEAT_LSE2's relaxation) and the page writable. An atomic is a read and a write for the
    permission check, so a CAS whose comparison fails still faults on a read-only page, as in
    QEMU. An aligned access never crosses a page. Returns False after raising the fault."""
    if va & U(total - 1):
        align_fault(c, va)
        return False
    pte = page_walk(c, va)
    if not (pte & _PTE_VALID) or not (pte & _PTE_W):
        raise_segv(c, va, True)
        return False
    return True


@njit
def _atomic_result(old, s, op, size):
    """The value an LD<op>/SWP writes back, both operands `size` bytes (zero-extended)."""
    if op == AOP_ADD:
        return old + s
    if op == AOP_CLR:
        return old & ~s
    if op == AOP_EOR:
        return old ^ s
    if op == AOP_SET:
        return old | s
    if op == AOP_SWP:
        return s
    if op == AOP_SMAX or op == AOP_SMIN:
        a = I(_sext(old, size))
        b = I(_sext(s, size))
        return old if (a > b) == (op == AOP_SMAX) else s
    return old if (old > s) == (op == AOP_UMAX) else s


@njit
def _mask(size):
    return ALL_ONES if size == 8 else (ONE << U(8 * size)) - ONE


@njit
def atomic_op(c, rs, rt, rn, size, op):
    """LDADD/LDCLR/LDEOR/LDSET/LDSMAX/LDSMIN/LDUMAX/LDUMIN/SWP (B/H/W/X, every A/L ordering;
    STADD... are the same with Rt = XZR): Rt = the old `size`-byte value at Xn|SP, memory = op(old,
    Rs). Orderings are plain: vCPUs run one at a time. Like any store, the write leaves the
    exclusive monitor alone; a later STXR fails if the value it guards changed."""
    va = rxsp(c, rn)
    if not _rmw_ready(c, va, size):
        return
    m = _mask(size)
    s = rx(c, rs) & m
    old = mem_ld(c, va, size)
    if _faulted(c):
        return
    mem_st(c, va, size, _atomic_result(old, s, op, size) & m)
    if _faulted(c):
        return
    wx(c, rt, old)


@njit
def cas(c, rs, rt, rn, size, pair):
    """CAS/CASA/CASL/CASAL (B/H/W/X) and CASP/CASPA/CASPL/CASPAL (W/X pairs; Rs, Rt even): compare
    the value at Xn|SP with Rs (pair: Rs, Rs+1 at increasing addresses), store Rt (Rt, Rt+1) when
    equal, and in either case load the old value into Rs (Rs, Rs+1)."""
    va = rxsp(c, rn)
    total = 2 * size if pair else size
    if not _rmw_ready(c, va, total):
        return
    m = _mask(size)
    exp_lo, exp_hi = rx(c, rs) & m, ZERO
    new_lo, new_hi = rx(c, rt) & m, ZERO
    if pair and size == 8:
        exp_hi = rx(c, rs + 1)
        new_hi = rx(c, rt + 1)
    elif pair:                       # a W pair is one 64-bit access, Rs in the low half
        exp_lo |= (rx(c, rs + 1) & MASK32) << U(32)
        new_lo |= (rx(c, rt + 1) & MASK32) << U(32)
    old_lo, old_hi = _ld_upto16(c, va, total)
    if _faulted(c):
        return
    if old_lo == exp_lo and old_hi == exp_hi:
        _st_upto16(c, va, total, new_lo, new_hi)
        if _faulted(c):
            return
    if pair and size == 8:
        wx(c, rs, old_lo)
        wx(c, rs + 1, old_hi)
    elif pair:
        wx(c, rs, old_lo & MASK32)
        wx(c, rs + 1, old_lo >> U(32))
    else:
        wx(c, rs, old_lo)
