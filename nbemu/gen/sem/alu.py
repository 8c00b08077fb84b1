"""Integer data-processing semantics (immediate and register forms).

One handler per natural family; the variant (width, operation, shift type, extend type, flag
setting) is a decoded field. Multi-part fields are packed by the encoding table
(nbemu/gen/encodings/alu.py) so no handler needs more than six arguments; the packing is
documented on each handler. Helpers whose name starts with `_` are shared building blocks, not
handlers.
"""
import numpy as np
from numba import njit

from .common import (ALL_ONES, MASK32, ONE, U, ZERO, add_with_carry, cond_holds, get_nzcv, rreg,
                     rx, rxsp, set_nzcv, set_nzcv_bits, wreg, wregsp, wx)

HI32 = U(0xFFFFFFFF00000000)
M8 = U(0xFF)
M16 = U(0xFFFF)
U31 = U(31)
U32 = U(32)
U63 = U(63)
U64 = U(64)


# ----- building blocks -----
@njit
def _ror(v, r, sf):
    """Rotate the 64-bit (sf=1) or 32-bit value v right by r (uint64, 0 <= r < datasize)."""
    if r == ZERO:
        return v if sf else v & MASK32
    if sf:
        return (v >> r) | (v << (U64 - r))
    v &= MASK32
    return ((v >> r) | (v << (U32 - r))) & MASK32


@njit
def _shift(v, st, amt, sf):
    """ShiftReg: LSL (st 0), LSR (1), ASR (2), ROR (3) of a datasize value by amt (uint64,
    0 <= amt < datasize); the result is zero-extended from datasize."""
    if not sf:
        v &= MASK32
    if st == 0:
        r = v << amt
    elif st == 1:
        r = v >> amt
    elif st == 2:
        if not sf and (v >> U31) & ONE:
            v |= HI32
        r = v >> amt
        if v >> U63:
            r |= ~(ALL_ONES >> amt)
    else:
        r = _ror(v, amt, sf)
    return r if sf else r & MASK32


@njit
def _sext(v, bits):
    """Sign-extend the low `bits` (uint64, 1..64) bits of v to 64 bits."""
    if bits >= U64:
        return v
    m = ONE << (bits - ONE)
    return ((v & ((m << ONE) - ONE)) ^ m) - m


@njit
def _logic(c, rd, x, y, op, sf, sp_dest):
    """AND (op 0), ORR (1), EOR (2), ANDS (3) of two datasize values; ANDS sets N Z, clears C V.
    sp_dest: register 31 as destination is SP (immediate forms without S), else ZR."""
    if op == 1:
        r = x | y
    elif op == 2:
        r = x ^ y
    else:
        r = x & y
    if not sf:
        r &= MASK32
    if op == 3:
        set_nzcv(c, (r >> (U63 if sf else U31)) & ONE, U(r == ZERO), ZERO, ZERO)
        wreg(c, rd, r, sf)
    elif sp_dest:
        wregsp(c, rd, r, sf)
    else:
        wreg(c, rd, r, sf)


@njit
def _add_sub(c, rd, x, y, sf, sub, setflags, sp_dest):
    """x + y or x - y on datasize values; with flags; register 31 as a destination without flags
    is SP when sp_dest, else ZR (with flags it is always ZR)."""
    if sub:
        r, n, z, cf, v = add_with_carry(x, ~y, ONE, sf)
    else:
        r, n, z, cf, v = add_with_carry(x, y, ZERO, sf)
    if setflags:
        set_nzcv(c, n, z, cf, v)
        wreg(c, rd, r, sf)
    elif sp_dest:
        wregsp(c, rd, r, sf)
    else:
        wreg(c, rd, r, sf)


@njit
def _clz64(x):
    if x == ZERO:
        return U64
    n = ZERO
    if x >> U32 == ZERO:
        n += U32
        x <<= U32
    if x >> U(48) == ZERO:
        n += U(16)
        x <<= U(16)
    if x >> U(56) == ZERO:
        n += U(8)
        x <<= U(8)
    if x >> U(60) == ZERO:
        n += U(4)
        x <<= U(4)
    if x >> U(62) == ZERO:
        n += U(2)
        x <<= U(2)
    if x >> U63 == ZERO:
        n += ONE
    return n


@njit
def _bswap64(x):
    x = ((x >> U(8)) & U(0x00FF00FF00FF00FF)) | ((x & U(0x00FF00FF00FF00FF)) << U(8))
    x = ((x >> U(16)) & U(0x0000FFFF0000FFFF)) | ((x & U(0x0000FFFF0000FFFF)) << U(16))
    return (x >> U32) | (x << U32)


@njit
def _rbit64(x):
    x = ((x >> ONE) & U(0x5555555555555555)) | ((x & U(0x5555555555555555)) << ONE)
    x = ((x >> U(2)) & U(0x3333333333333333)) | ((x & U(0x3333333333333333)) << U(2))
    x = ((x >> U(4)) & U(0x0F0F0F0F0F0F0F0F)) | ((x & U(0x0F0F0F0F0F0F0F0F)) << U(4))
    return _bswap64(x)


@njit
def _umulh(a, b):
    """High 64 bits of the 128-bit product of two uint64."""
    a_lo = a & MASK32
    a_hi = a >> U32
    b_lo = b & MASK32
    b_hi = b >> U32
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    p3 = a_hi * b_hi
    mid = (p0 >> U32) + (p1 & MASK32) + (p2 & MASK32)
    return p3 + (p1 >> U32) + (p2 >> U32) + (mid >> U32)


def _crc_table(poly):
    t = np.zeros(256, dtype=np.uint64)
    for i in range(256):
        v = i
        for _ in range(8):
            v = (v >> 1) ^ (poly if v & 1 else 0)
        t[i] = v
    return t


# reflected polynomials: CRC-32 (0x04C11DB7) at 0..255, CRC-32C (0x1EDC6F41) at 256..511
_CRC_TAB = np.concatenate([_crc_table(0xEDB88320), _crc_table(0x82F63B78)])


# ----- data processing (immediate) -----
@njit
def add_sub_imm(c, rd, rn, imm, sf, sub, setflags):
    """ADD/ADDS/SUB/SUBS (immediate): Rn and (without S) Rd may be SP."""
    _add_sub(c, rd, rxsp(c, rn), U(imm), sf, sub, setflags, True)


@njit
def mov_wide(c, rd, imm, shift, sf, opc):
    """MOVN (opc 0), MOVZ (2), MOVK (3)."""
    v = U(imm) << U(shift)
    if opc == 3:
        v = (rx(c, rd) & ~(U(0xFFFF) << U(shift))) | v
    elif opc == 0:
        v = ~v
    wreg(c, rd, v, sf)


@njit
def mov_const(c, rd, value):
    """Write a decode-time constant (ADR, ADRP)."""
    wreg(c, rd, U(value), 1)


@njit
def logic_imm(c, rd, rn, imm, sf, opc):
    """AND/ORR/EOR/ANDS (immediate), opc 0-3; imm is the decoded bitmask. Without S, Rd may
    be SP; Rn is ZR."""
    _logic(c, rd, rreg(c, rn, sf), U(imm), opc, sf, True)


@njit
def bitfield(c, rd, rn, rs, wmask, tmask, mode):
    """SBFM/BFM/UBFM. rs = immr | imms << 6; wmask/tmask from DecodeBitMasks (decode time);
    mode = opc (0 SBFM, 1 BFM, 2 UBFM) | sf << 2."""
    opc = mode & 3
    sf = mode >> 2
    src = rreg(c, rn, sf)
    dst = rreg(c, rd, sf) if opc == 1 else ZERO
    wm = U(wmask)
    tm = U(tmask)
    bot = (dst & ~wm) | (_ror(src, U(rs & 63), sf) & wm)
    if opc == 0:
        top = ALL_ONES if (src >> U(rs >> 6)) & ONE else ZERO
    else:
        top = dst
    wreg(c, rd, (top & ~tm) | (bot & tm), sf)


@njit
def extr(c, rd, rn, rm, lsb, sf):
    """EXTR (ROR immediate when Rn == Rm): bits lsb.. of Rn:Rm."""
    lo = rreg(c, rm, sf)
    hi = rreg(c, rn, sf)
    s = U(lsb)
    if sf:
        r = lo if lsb == 0 else (lo >> s) | (hi << (U64 - s))
    else:
        r = ((hi << U32) | lo) >> s
    wreg(c, rd, r, sf)


# ----- data processing (register) -----
@njit
def logic_reg(c, rd, rn, rm, shift, sf, opc):
    """AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register).
    shift = amount | type << 6 (LSL, LSR, ASR, ROR); opc = op (0-3 as logic_imm) | N << 2
    (N inverts the shifted operand)."""
    y = _shift(rreg(c, rm, sf), shift >> 6, U(shift & 63), sf)
    if opc & 4:
        y = ~y
    _logic(c, rd, rreg(c, rn, sf), y, opc & 3, sf, False)


@njit
def add_sub_shift(c, rd, rn, rm, shift, sf, ops):
    """ADD/ADDS/SUB/SUBS (shifted register; CMP/CMN/NEG/NEGS are aliases). shift = amount |
    type << 6 (LSL, LSR, ASR); ops = S | op << 1. All registers: 31 = ZR."""
    y = _shift(rreg(c, rm, sf), shift >> 6, U(shift & 63), sf)
    _add_sub(c, rd, rreg(c, rn, sf), y, sf, ops >> 1, ops & 1, False)


@njit
def add_sub_ext(c, rd, rn, rm, ext, sf, ops):
    """ADD/ADDS/SUB/SUBS (extended register). ext = option | amount << 3 (option: UXTB UXTH
    UXTW UXTX SXTB SXTH SXTW SXTX; amount 0-4); ops = S | op << 1. Rn may be SP, Rd may be SP
    without S; Rm is ZR."""
    opt = ext & 7
    bits = U(8) << U(opt & 3)
    v = rx(c, rm)
    if opt & 4:
        v = _sext(v, bits)
    elif bits < U64:
        v &= (ONE << bits) - ONE
    _add_sub(c, rd, rxsp(c, rn), v << U(ext >> 3), sf, ops >> 1, ops & 1, True)


@njit
def adc_sbc(c, rd, rn, rm, sf, sub, setflags):
    """ADC/ADCS/SBC/SBCS (NGC/NGCS are aliases)."""
    y = rreg(c, rm, sf)
    if sub:
        y = ~y
    r, n, z, cf, v = add_with_carry(rreg(c, rn, sf), y, (get_nzcv(c) >> U(29)) & ONE, sf)
    if setflags:
        set_nzcv(c, n, z, cf, v)
    wreg(c, rd, r, sf)


@njit
def cond_cmp(c, rn, rm, cond, nzcv, sf, mode):
    """CCMN/CCMP (register and immediate). mode = op (1 = CCMP) | imm << 1; with imm, rm is
    the 5-bit immediate. When cond fails, NZCV = nzcv."""
    if cond_holds(c, cond):
        x = rreg(c, rn, sf)
        y = U(rm) if mode & 2 else rreg(c, rm, sf)
        if mode & 1:
            r, n, z, cf, v = add_with_carry(x, ~y, ONE, sf)
        else:
            r, n, z, cf, v = add_with_carry(x, y, ZERO, sf)
        set_nzcv(c, n, z, cf, v)
    else:
        set_nzcv_bits(c, nzcv)


@njit
def cond_sel(c, rd, rn, rm, cond, sf, op):
    """CSEL (op 0), CSINC (1), CSINV (2), CSNEG (3) (CSET/CINC/CNEG... are aliases);
    op = o2 | op << 1."""
    if cond_holds(c, cond):
        r = rreg(c, rn, sf)
    else:
        r = rreg(c, rm, sf)
        if op & 2:
            r = ~r
        if op & 1:
            r += ONE
    wreg(c, rd, r, sf)


@njit
def dp_1src(c, rd, rn, sf, kind):
    """RBIT (kind 0), REV16 (1), REV32 / 32-bit REV (2), REV (3, 64-bit only), CLZ (4),
    CLS (5)."""
    x = rreg(c, rn, sf)
    if kind == 0:
        r = _rbit64(x)
        if not sf:
            r >>= U32
    elif kind == 1:
        r = ((x >> U(8)) & U(0x00FF00FF00FF00FF)) | ((x & U(0x00FF00FF00FF00FF)) << U(8))
    elif kind == 2:
        r = _bswap64(x)
        r = (r >> U32) | (r << U32)
    elif kind == 3:
        r = _bswap64(x)
    elif kind == 4:
        r = _clz64(x)
        if not sf:
            r -= U32
    else:
        y = x ^ (x << ONE)
        if sf:
            r = _clz64(y | ONE)
        else:
            r = _clz64((y & MASK32) | ONE) - U32
    wreg(c, rd, r, sf)


@njit(error_model='numpy')
def divide(c, rd, rn, rm, sf, signed):
    """UDIV/SDIV: division by zero gives 0, INT_MIN / -1 gives INT_MIN (truncating)."""
    x = rreg(c, rn, sf)
    y = rreg(c, rm, sf)
    if y == ZERO:
        r = ZERO
    elif not signed:
        r = x // y
    else:
        if not sf:
            x = _sext(x, U32)
            y = _sext(y, U32)
        nx = x >> U63
        ny = y >> U63
        ax = ZERO - x if nx else x
        ay = ZERO - y if ny else y
        r = ax // ay
        if nx != ny:
            r = ZERO - r
    wreg(c, rd, r, sf)


@njit
def shift_var(c, rd, rn, rm, sf, st):
    """LSLV/LSRV/ASRV/RORV (st 0-3): shift by Rm modulo the data size."""
    amt = rreg(c, rm, sf) & (U63 if sf else U31)
    wreg(c, rd, _shift(rreg(c, rn, sf), st, amt, sf), sf)


@njit
def crc32(c, rd, rn, rm, size, castagnoli):
    """CRC32B/H/W/X and CRC32CB/H/W/X: size bytes of Rm into the 32-bit CRC in Wn (reflected,
    no pre/post inversion)."""
    crc = rx(c, rn) & MASK32
    v = rx(c, rm)
    base = 256 if castagnoli else 0
    for _ in range(size):
        crc = _CRC_TAB[base + np.int64((crc ^ v) & M8)] ^ (crc >> U(8))
        v >>= U(8)
    wreg(c, rd, crc, 0)


@njit
def mul_add(c, rd, rn, rm, ra, kind, sub):
    """MADD/MSUB (kind 0: 32-bit, 1: 64-bit), SMADDL/SMSUBL (2), UMADDL/UMSUBL (3):
    Ra +/- Rn * Rm (MUL, MNEG, SMULL, UMULL... are aliases with Ra = ZR)."""
    x = rx(c, rn)
    y = rx(c, rm)
    if kind == 2:
        x = _sext(x, U32)
        y = _sext(y, U32)
    elif kind == 3:
        x &= MASK32
        y &= MASK32
    p = x * y
    a = rx(c, ra)
    r = a - p if sub else a + p
    if kind == 0:
        r &= MASK32
    wx(c, rd, r)


@njit
def mul_high(c, rd, rn, rm, signed):
    """SMULH/UMULH: the high 64 bits of the 128-bit product."""
    x = rx(c, rn)
    y = rx(c, rm)
    r = _umulh(x, y)
    if signed:
        if x >> U63:
            r -= y
        if y >> U63:
            r -= x
    wx(c, rd, r)
