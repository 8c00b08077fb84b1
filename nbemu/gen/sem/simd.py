"""AdvSIMD integer semantics (vector and the scalar D-register forms).

Vectors are handled as two uint64 halves (lo = bits 63:0, hi = bits 127:64). Element size is a
field `size` (0 = 8-bit ... 3 = 64-bit) and `q` selects 64- or 128-bit vectors; the scalar
D-register forms of an operation (ADD d0, d1, d2; USHR d0, d1, #3; CMEQ d0, d1, #0 ...) are the
vector operation with size=3, q=0 (one 64-bit element, upper half cleared), which is exactly what
the architecture defines. Each helper is one family of closely related operations with the
operation in a selector field `op` (constants below, shared with nbemu/gen/encodings/simd.py).

Saturating operations set FPSR.QC (bit 27).
"""
import numpy as np
from numba import njit

from .common import ALL_ONES, ONE, O_FPSR, U, ZERO, rx, set_v, v_hi, v_lo, v_three, wx
from nbemu.core.native import peek64, poke64

I = np.int64
QC = U(1 << 27)


# ----- element access -----
@njit
def emask(size):
    return ALL_ONES >> U(64 - (8 << size))


@njit
def eget(lo, hi, i, size):
    """Element i (zero-extended) of the 128-bit value hi:lo."""
    pos = i << (size + 3)
    if pos >= 64:
        return (hi >> U(pos - 64)) & emask(size)
    return (lo >> U(pos)) & emask(size)


@njit
def eput(lo, hi, i, size, v):
    """hi:lo with element i replaced by v."""
    pos = i << (size + 3)
    m = emask(size)
    v &= m
    if pos >= 64:
        s = U(pos - 64)
        return lo, (hi & ~(m << s)) | (v << s)
    s = U(pos)
    return (lo & ~(m << s)) | (v << s), hi


@njit
def sx(v, size):
    """Sign-extend an element to int64."""
    s = U(64 - (8 << size))
    return I(v << s) >> I(s)


@njit
def nelem(size, q):
    """Elements in a 64-bit (q=0) or 128-bit (q=1) vector; q=2 means a scalar: one element."""
    if q == 2:
        return 1
    return (8 << q) >> size


@njit
def rep(v, size):
    """Replicate an element value across 64 bits."""
    r = v
    b = 8 << size
    while b < 64:
        r |= r << U(b)
        b <<= 1
    return r


@njit
def swar_eqz(x, size):
    """All-ones in each element of x that is zero, else zero (exact, no borrows across)."""
    if size == 3:
        return ALL_ONES if x == ZERO else ZERO
    hb = rep(ONE << U((8 << size) - 1), size)          # element sign bits
    lo7 = ~hb
    t = ((x & lo7) + lo7) | x | lo7                     # sign bit set where element != 0
    z = ~t & hb                                         # sign bit set where element == 0
    return (z << ONE) - (z >> U((8 << size) - 1))       # sign bit -> whole element


@njit
def compress(x, size):
    """Pack the low `size` halves of the 2*size lanes of x into the low 32 bits."""
    if size == 0:
        x &= U(0x00FF00FF00FF00FF)
        x = (x | (x >> U(8))) & U(0x0000FFFF0000FFFF)
        return (x | (x >> U(16))) & U(0xFFFFFFFF)
    if size == 1:
        x &= U(0x0000FFFF0000FFFF)
        return (x | (x >> U(16))) & U(0xFFFFFFFF)
    return x & U(0xFFFFFFFF)


@njit
def set_qc(c):
    poke64(c + O_FPSR, peek64(c + O_FPSR) | QC)


@njit
def write_vq(c, rd, lo, hi, q):
    """Write a vector result; 64-bit (q=0) results clear the upper half."""
    set_v(c, rd, lo, hi if q == 1 else ZERO)


@njit
def sat_s(v, size):
    """Saturate an int64 to a signed element of `size` (< 3): (value bits, saturated)."""
    hi_ = (I(1) << I((8 << size) - 1)) - I(1)
    lo_ = -hi_ - I(1)
    if v > hi_:
        return U(hi_) & emask(size), True
    if v < lo_:
        return U(lo_) & emask(size), True
    return U(v) & emask(size), False


@njit
def sat_u(v, size):
    """Saturate an int64 to an unsigned element of `size` (< 3)."""
    m = emask(size)
    if v < I(0):
        return ZERO, True
    if U(v) > m:
        return m, True
    return U(v), False


# ----- constants and moves -----
@njit
def simd_const(c, rd, lo, hi):
    """MOVI/MVNI/FMOV (vector and scalar immediate): write a decode-time 128-bit constant."""
    set_v(c, rd, U(lo), U(hi))


@njit
def simd_orrbic_imm(c, rd, imm, q, bic):
    """ORR/BIC (vector, immediate); imm is already replicated to 64 bits."""
    m = U(imm)
    lo = v_lo(c, rd)
    hi = v_hi(c, rd)
    if bic:
        lo &= ~m
        hi &= ~m
    else:
        lo |= m
        hi |= m
    write_vq(c, rd, lo, hi, q)


CP_DUP_ELEM, CP_DUP_GEN, CP_INS_GEN, CP_INS_ELEM, CP_UMOV, CP_SMOV, CP_DUP_SCALAR = range(7)


@njit
def simd_copy(c, op, rd, rn, size, i1, i2):
    """DUP (element, general), INS (general, element), UMOV, SMOV, DUP (scalar element).
    i1 = element index (destination index for INS), i2 = q (DUP), source index (INS element),
    sf (SMOV)."""
    if op == CP_DUP_ELEM or op == CP_DUP_GEN:
        if op == CP_DUP_ELEM:
            v = eget(v_lo(c, rn), v_hi(c, rn), i1, size)
        else:
            v = rx(c, rn) & emask(size)
        r = rep(v, size)
        write_vq(c, rd, r, r, i2)
    elif op == CP_INS_GEN or op == CP_INS_ELEM:
        if op == CP_INS_GEN:
            v = rx(c, rn)
        else:
            v = eget(v_lo(c, rn), v_hi(c, rn), i2, size)
        lo, hi = eput(v_lo(c, rd), v_hi(c, rd), i1, size, v)
        set_v(c, rd, lo, hi)
    elif op == CP_UMOV:
        wx(c, rd, eget(v_lo(c, rn), v_hi(c, rn), i1, size))
    elif op == CP_SMOV:
        v = U(sx(eget(v_lo(c, rn), v_hi(c, rn), i1, size), size))
        wx(c, rd, v if i2 else v & U(0xFFFFFFFF))
    else:
        set_v(c, rd, eget(v_lo(c, rn), v_hi(c, rn), i1, size), ZERO)


# ----- bitwise -----
LG_AND, LG_BIC, LG_ORR, LG_ORN, LG_EOR, LG_BSL, LG_BIT, LG_BIF = range(8)


@njit
def _logic64(op, n, m, d):
    if op == LG_AND:
        return n & m
    if op == LG_BIC:
        return n & ~m
    if op == LG_ORR:
        return n | m
    if op == LG_ORN:
        return n | ~m
    if op == LG_EOR:
        return n ^ m
    if op == LG_BSL:
        return (d & n) | (~d & m)
    if op == LG_BIT:
        return (m & n) | (~m & d)
    return (~m & n) | (m & d)


@njit
def simd_logic(c, op, rd, rn, rm, q):
    """AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF (vector)."""
    lo = _logic64(op, v_lo(c, rn), v_lo(c, rm), v_lo(c, rd))
    hi = ZERO
    if q:
        hi = _logic64(op, v_hi(c, rn), v_hi(c, rm), v_hi(c, rd))
    set_v(c, rd, lo, hi)


# ----- three-same arithmetic -----
(A_ADD, A_SUB, A_MUL, A_MLA, A_MLS, A_UMAX, A_SMAX, A_UMIN, A_SMIN, A_UABD, A_SABD, A_UABA,
 A_SABA, A_UHADD, A_SHADD, A_URHADD, A_SRHADD, A_UHSUB, A_SHSUB, A_UQADD, A_SQADD, A_UQSUB,
 A_SQSUB, A_PMUL, A_SQDMULH, A_SQRDMULH, A_SQRDMLAH, A_SQRDMLSH) = range(28)


@njit
def _pmul8(a, b):
    r = ZERO
    for i in range(8):
        if (b >> U(i)) & ONE:
            r ^= a << U(i)
    return r


@njit
def _arith(op, a, b, d, size):
    """One element: returns (result bits, saturated)."""
    m = emask(size)
    if op == A_ADD:
        return (a + b) & m, False
    if op == A_SUB:
        return (a - b) & m, False
    if op == A_MUL:
        return (a * b) & m, False
    if op == A_MLA:
        return (d + a * b) & m, False
    if op == A_MLS:
        return (d - a * b) & m, False
    if op == A_PMUL:
        return _pmul8(a, b) & m, False
    if op == A_UMAX:
        return (a if a > b else b), False
    if op == A_UMIN:
        return (a if a < b else b), False
    if op == A_UABD or op == A_UABA:
        r = a - b if a > b else b - a
        if op == A_UABA:
            r += d
        return r & m, False
    if op == A_UHADD:
        return ((a >> ONE) + (b >> ONE) + (a & b & ONE)) & m, False
    if op == A_URHADD:
        return ((a >> ONE) + (b >> ONE) + ((a | b) & ONE)) & m, False
    if op == A_UHSUB:
        return ((a >> ONE) - (b >> ONE) - (~a & b & ONE)) & m, False
    if op == A_UQADD:
        r = (a + b) & m
        if r < a:
            return m, True
        return r, False
    if op == A_UQSUB:
        if a < b:
            return ZERO, True
        return a - b, False
    sa = sx(a, size)
    sb = sx(b, size)
    if op == A_SMAX:
        return (a if sa > sb else b), False
    if op == A_SMIN:
        return (a if sa < sb else b), False
    if op == A_SABD or op == A_SABA:
        if size == 3:
            r = a - b if sa > sb else b - a
        else:
            r = U(sa - sb) if sa > sb else U(sb - sa)
        if op == A_SABA:
            r += d
        return r & m, False
    if op == A_SHADD:
        return U((sa >> I(1)) + (sb >> I(1)) + (sa & sb & I(1))) & m, False
    if op == A_SRHADD:
        return U((sa >> I(1)) + (sb >> I(1)) + ((sa | sb) & I(1))) & m, False
    if op == A_SHSUB:
        return U((sa >> I(1)) - (sb >> I(1)) - (~sa & sb & I(1))) & m, False
    if op == A_SQADD or op == A_SQSUB:
        if size == 3:
            if op == A_SQADD:
                r = a + b
                ovf = ((~(a ^ b)) & (a ^ r)) >> U(63)
            else:
                r = a - b
                ovf = ((a ^ b) & (a ^ r)) >> U(63)
            if ovf:
                return (U(0x7FFFFFFFFFFFFFFF) if sa >= I(0) else U(0x8000000000000000)), True
            return r, False
        return sat_s(sa + sb if op == A_SQADD else sa - sb, size)
    bits = I(8 << size)
    if op == A_SQRDMLAH or op == A_SQRDMLSH:
        # FEAT_RDM (size 1 or 2): the Arm ARM's accum = (d << esize) + 2*n*m + (1 << (esize-1)),
        # saturated after >> esize. accum is even, so it is halved first to stay in 64 bits
        # for 32-bit elements.
        p = sa * sb
        if op == A_SQRDMLSH:
            p = -p
        acc = (sx(d, size) << (bits - I(1))) + p + (I(1) << (bits - I(2)))
        return sat_s(acc >> (bits - I(1)), size)
    # SQDMULH / SQRDMULH (size 1 or 2)
    if sa == sb and sa == -(I(1) << (bits - I(1))):
        return m >> ONE, True
    p = sa * sb
    if op == A_SQRDMULH:
        p += I(1) << (bits - I(2))
    return U(p >> (bits - I(1))) & m, False


@njit
def simd_arith3(c, op, rd, rn, rm, size, q):
    """Three-same integer arithmetic: ADD SUB MUL MLA MLS PMUL [SU]MAX [SU]MIN [SU]ABD [SU]ABA
    [SU]HADD [SU]RHADD [SU]HSUB [SU]QADD [SU]QSUB SQDMULH SQRDMULH SQRDMLAH SQRDMLSH."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(nelem(size, q)):
        r, s = _arith(op, eget(nlo, nhi, i, size), eget(mlo, mhi, i, size),
                      eget(dlo, dhi, i, size), size)
        sat |= s
        lo, hi = eput(lo, hi, i, size, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


# ----- compares -----
(CM_EQ, CM_HS, CM_HI, CM_GE, CM_GT, CM_TST, CM_EQ0, CM_GE0, CM_GT0, CM_LE0, CM_LT0) = range(11)


@njit
def _cmp(op, a, b, size):
    if op == CM_EQ:
        return a == b
    if op == CM_HS:
        return a >= b
    if op == CM_HI:
        return a > b
    if op == CM_TST:
        return (a & b) != ZERO
    if op == CM_EQ0:
        return a == ZERO
    sa = sx(a, size)
    if op == CM_GE:
        return sa >= sx(b, size)
    if op == CM_GT:
        return sa > sx(b, size)
    if op == CM_GE0:
        return sa >= I(0)
    if op == CM_GT0:
        return sa > I(0)
    if op == CM_LE0:
        return sa <= I(0)
    return sa < I(0)


@njit
def simd_cmp(c, op, rd, rn, rm, size, q):
    """CMEQ/CMHS/CMHI/CMGE/CMGT/CMTST (register) and CMEQ/CMGE/CMGT/CMLE/CMLT (zero)."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    if op == CM_EQ or op == CM_EQ0 or op == CM_TST:
        # SWAR: no per-element loop
        if op == CM_EQ:
            xl = nlo ^ mlo
            xh = nhi ^ mhi
        elif op == CM_EQ0:
            xl = nlo
            xh = nhi
        else:
            xl = nlo & mlo
            xh = nhi & mhi
        lo = swar_eqz(xl, size)
        hi = swar_eqz(xh, size) if q == 1 else ZERO
        if op == CM_TST:
            lo = ~lo
            hi = ~hi if q == 1 else ZERO
        if q == 2:
            lo &= emask(size)
        set_v(c, rd, lo, hi)
        return
    lo = ZERO
    hi = ZERO
    m = emask(size)
    for i in range(nelem(size, q)):
        if _cmp(op, eget(nlo, nhi, i, size), eget(mlo, mhi, i, size), size):
            lo, hi = eput(lo, hi, i, size, m)
    set_v(c, rd, lo, hi)


# ----- shifts by register -----
SH_USHL, SH_SSHL, SH_URSHL, SH_SRSHL, SH_UQSHL, SH_SQSHL, SH_UQRSHL, SH_SQRSHL = range(8)


@njit
def _shl_reg(op, a, b, size):
    bits = I(8 << size)
    sh = I(np.int8(b & U(0xFF)))
    m = emask(size)
    signed = op == SH_SSHL or op == SH_SRSHL or op == SH_SQSHL or op == SH_SQRSHL
    rnd = op == SH_URSHL or op == SH_SRSHL or op == SH_UQRSHL or op == SH_SQRSHL
    sat = op >= SH_UQSHL
    if sh >= I(0):
        if not sat:
            if sh >= bits:
                return ZERO, False
            return (a << U(sh)) & m, False
        if signed:
            sa = sx(a, size)
            if sa == I(0):
                return ZERO, False
            if sh >= bits:
                return (m >> ONE) if sa > I(0) else (m >> ONE) + ONE, True
            r = (a << U(sh)) & m
            if sx(r, size) >> I(sh) != sa:
                return (m >> ONE) if sa > I(0) else (m >> ONE) + ONE, True
            return r, False
        if a == ZERO:
            return ZERO, False
        if sh >= bits:
            return m, True
        r = (a << U(sh)) & m
        if r >> U(sh) != a:
            return m, True
        return r, False
    # right shift by -sh
    s = -sh
    if signed:
        sa = sx(a, size)
        r = sa >> (s if s < I(63) else I(63))
        if rnd and s <= I(64):
            r += (sa >> (s - I(1))) & I(1)
        if rnd and s > I(64):
            r = I(0)
        return U(r) & m, False
    r = a >> U(s) if s < I(64) else ZERO
    if rnd and s <= I(64):
        r += (a >> U(s - I(1))) & ONE
    return r & m, False


@njit
def simd_shl_reg(c, op, rd, rn, rm, size, q):
    """USHL/SSHL/URSHL/SRSHL/UQSHL/SQSHL/UQRSHL/SQRSHL (vector and scalar D)."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(nelem(size, q)):
        r, s = _shl_reg(op, eget(nlo, nhi, i, size), eget(mlo, mhi, i, size), size)
        sat |= s
        lo, hi = eput(lo, hi, i, size, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


# ----- pairwise and across lanes -----
P_ADD, P_UMAX, P_SMAX, P_UMIN, P_SMIN = range(5)


@njit
def _pair(op, a, b, size):
    if op == P_ADD:
        return (a + b) & emask(size)
    if op == P_UMAX:
        return a if a > b else b
    if op == P_UMIN:
        return a if a < b else b
    if op == P_SMAX:
        return a if sx(a, size) > sx(b, size) else b
    return a if sx(a, size) < sx(b, size) else b


@njit
def _pair8(op, w):
    """Byte pairs of one 64-bit word combined by ADD/UMAX/UMIN into 4 bytes (low 32 bits)."""
    lm = U(0x00FF00FF00FF00FF)
    a = w & lm
    b = (w >> U(8)) & lm
    if op == P_ADD:
        r = a + b
    else:
        ge = (((a | U(0x0100010001000100)) - b) >> U(8)) & U(0x0001000100010001)
        mk = ge * U(0xFF)                                # 0xFF where a >= b
        if op == P_UMAX:
            r = (a & mk) | (b & ~mk)
        else:
            r = (b & mk) | (a & ~mk)
    return compress(r, 0)


@njit
def simd_pairwise(c, op, rd, rn, rm, size, q):
    """ADDP/UMAXP/SMAXP/UMINP/SMINP (vector): pairs of the concatenation Vm:Vn."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn) if q else ZERO
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm) if q else ZERO
    if size == 0 and (op == P_UMAX or op == P_UMIN or op == P_ADD):
        # SWAR on byte pairs (glibc's string routines: UMAXP/UMINP/ADDP .16b)
        if q:
            set_v(c, rd, _pair8(op, nlo) | (_pair8(op, nhi) << U(32)),
                  _pair8(op, mlo) | (_pair8(op, mhi) << U(32)))
        else:
            set_v(c, rd, _pair8(op, nlo) | (_pair8(op, mlo) << U(32)), ZERO)
        return
    n = nelem(size, q)
    half = n >> 1
    lo = ZERO
    hi = ZERO
    for i in range(half):
        r = _pair(op, eget(nlo, nhi, 2 * i, size), eget(nlo, nhi, 2 * i + 1, size), size)
        lo, hi = eput(lo, hi, i, size, r)
        r = _pair(op, eget(mlo, mhi, 2 * i, size), eget(mlo, mhi, 2 * i + 1, size), size)
        lo, hi = eput(lo, hi, i + half, size, r)
    set_v(c, rd, lo, hi)


R_ADDV, R_UMAXV, R_SMAXV, R_UMINV, R_SMINV, R_UADDLV, R_SADDLV = range(7)


@njit
def simd_reduce(c, op, rd, rn, size, q):
    """ADDV/UMAXV/SMAXV/UMINV/SMINV/UADDLV/SADDLV, and ADDP (scalar) as ADDV with size 3, q 1."""
    lo = v_lo(c, rn)
    hi = v_hi(c, rn)
    n = nelem(size, q)
    if op == R_UADDLV or op == R_SADDLV:
        acc = I(0)
        for i in range(n):
            e = eget(lo, hi, i, size)
            acc += sx(e, size) if op == R_SADDLV else I(e)
        set_v(c, rd, U(acc) & emask(size + 1), ZERO)
        return
    r = eget(lo, hi, 0, size)
    for i in range(1, n):
        r = _pair(op, r, eget(lo, hi, i, size), size)   # R_ADDV..R_SMINV == P_ADD..P_SMIN
    set_v(c, rd, r, ZERO)


# ----- shift by immediate -----
(SI_SSHR, SI_USHR, SI_SSRA, SI_USRA, SI_SRSHR, SI_URSHR, SI_SRSRA, SI_URSRA, SI_SRI, SI_SHL,
 SI_SLI, SI_SQSHL, SI_UQSHL, SI_SQSHLU) = range(14)


@njit
def _shr_u(a, sh):
    return a >> U(sh) if sh < 64 else ZERO


@njit
def _shr_s(sa, sh):
    return sa >> I(sh if sh < 63 else 63)


@njit
def _shift_imm(op, a, d, size, sh):
    m = emask(size)
    if op == SI_USHR or op == SI_USRA:
        r = _shr_u(a, sh)
        if op == SI_USRA:
            r += d
        return r & m, False
    if op == SI_URSHR or op == SI_URSRA:
        r = _shr_u(a, sh) + (_shr_u(a, sh - 1) & ONE)
        if op == SI_URSRA:
            r += d
        return r & m, False
    if op == SI_SSHR or op == SI_SSRA:
        r = U(_shr_s(sx(a, size), sh))
        if op == SI_SSRA:
            r += d
        return r & m, False
    if op == SI_SRSHR or op == SI_SRSRA:
        sa = sx(a, size)
        r = U(_shr_s(sa, sh) + (_shr_s(sa, sh - 1) & I(1)))
        if op == SI_SRSRA:
            r += d
        return r & m, False
    if op == SI_SRI:
        mk = _shr_u(m, sh)
        return (d & ~mk) | _shr_u(a, sh), False
    if op == SI_SHL:
        return (a << U(sh)) & m, False
    if op == SI_SLI:
        mk = (m << U(sh)) & m
        return (d & ~mk) | ((a << U(sh)) & m), False
    # saturating left shifts
    if op == SI_UQSHL:
        r = (a << U(sh)) & m
        if r >> U(sh) != a:
            return m, True
        return r, False
    sa = sx(a, size)
    if op == SI_SQSHLU:
        if sa < I(0):
            return ZERO, True
        r = (a << U(sh)) & m
        if r >> U(sh) != a:
            return m, True
        return r, False
    r = (a << U(sh)) & m
    if sx(r, size) >> I(sh) != sa:
        return ((m >> ONE) if sa >= I(0) else (m >> ONE) + ONE), True
    return r, False


@njit
def simd_shift_imm(c, op, rd, rn, size, sh, q):
    """SSHR USHR SSRA USRA SRSHR URSHR SRSRA URSRA SRI SHL SLI SQSHL UQSHL SQSHLU (immediate)."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(nelem(size, q)):
        r, s = _shift_imm(op, eget(nlo, nhi, i, size), eget(dlo, dhi, i, size), size, sh)
        sat |= s
        lo, hi = eput(lo, hi, i, size, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


# ----- narrowing and widening -----
(N_XTN, N_SQXTN, N_UQXTN, N_SQXTUN, N_SHRN, N_RSHRN, N_SQSHRN, N_UQSHRN, N_SQRSHRN, N_UQRSHRN,
 N_SQSHRUN, N_SQRSHRUN) = range(12)


@njit
def _narrow(op, a, size, sh):
    """a: source element of size+1; returns a `size` element and saturation."""
    ws = size + 1
    if op == N_XTN:
        return a & emask(size), False
    if op == N_SHRN or op == N_RSHRN:
        r = _shr_u(a, sh)
        if op == N_RSHRN:
            r += _shr_u(a, sh - 1) & ONE
        return r & emask(size), False
    if op == N_UQXTN or op == N_UQSHRN or op == N_UQRSHRN:
        r = _shr_u(a, sh)
        if op == N_UQRSHRN:
            r += _shr_u(a, sh - 1) & ONE
            if ws == 3 and sh == 1 and a == ALL_ONES:
                return emask(size), True
        if r > emask(size):
            return emask(size), True
        return r, False
    sa = sx(a, ws)
    r = _shr_s(sa, sh)
    if op == N_SQRSHRN or op == N_SQRSHRUN:
        r += _shr_s(sa, sh - 1) & I(1)
    if op == N_SQXTUN or op == N_SQSHRUN or op == N_SQRSHRUN:
        return sat_u(r, size)
    return sat_s(r, size)


@njit
def simd_narrow(c, op, rd, rn, size, sh, q):
    """XTN/SQXTN/UQXTN/SQXTUN and (rounding, saturating) shift right narrow, with their '2'
    forms (q=1: write the upper half, keep the lower). size is the destination element size."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    if (op == N_XTN or op == N_SHRN) and q != 2:
        # SWAR: shift both halves, keep the low half of each lane, pack
        r = compress(nlo >> U(sh), size) | (compress(nhi >> U(sh), size) << U(32))
        if q == 1:
            set_v(c, rd, v_lo(c, rd), r)
        else:
            set_v(c, rd, r, ZERO)
        return
    r = ZERO
    sat = False
    for i in range(1 if q == 2 else 8 >> size):
        e, s = _narrow(op, eget(nlo, nhi, i, size + 1), size, sh)
        sat |= s
        r |= e << U(i << (size + 3))
    if sat:
        set_qc(c)
    if q == 1:
        set_v(c, rd, v_lo(c, rd), r)
    else:
        set_v(c, rd, r, ZERO)


@njit
def simd_widen(c, rd, rn, size, sh, signed, q):
    """SSHLL/USHLL (SXTL/UXTL) and SHLL, with '2' forms: size is the source element size."""
    src = v_hi(c, rn) if q else v_lo(c, rn)
    lo = ZERO
    hi = ZERO
    for i in range(8 >> size):
        e = (src >> U(i << (size + 3))) & emask(size)
        if signed:
            e = U(sx(e, size))
        lo, hi = eput(lo, hi, i, size + 1, e << U(sh))
    set_v(c, rd, lo, hi)


# ----- three different (long, wide, narrow-high) -----
(L_ADDL, L_ADDW, L_SUBL, L_SUBW, L_ABAL, L_ABDL, L_MLAL, L_MLSL, L_MULL, L_ADDHN, L_RADDHN,
 L_SUBHN, L_RSUBHN, L_PMULL, L_SQDMULL, L_SQDMLAL, L_SQDMLSL) = range(17)


@njit
def _sqdmull(a, b, size):
    """2*a*b for signed source elements of `size` (1 or 2), saturated to size+1."""
    sa = sx(a, size)
    sb = sx(b, size)
    if sa == sb and sa == -(I(1) << I((8 << size) - 1)):
        return emask(size + 1) >> ONE, True
    return U(2 * sa * sb) & emask(size + 1), False


@njit
def simd_3diff(c, op, rd, rn, rm, size, q):
    """Three different: [SU]ADDL [SU]ADDW [SU]SUBL [SU]SUBW [SU]ABAL [SU]ABDL [SU]MLAL [SU]MLSL
    [SU]MULL (op | 32 = signed), ADDHN RADDHN SUBHN RSUBHN, PMULL (8-bit), SQDMULL SQDMLAL
    SQDMLSL (also scalar, q=2). PMULL with size 3 is the 64x64 -> 128-bit carry-less multiply.
    size is the narrow element size; q selects the upper halves (the '2' forms)."""
    signed = op >= 32
    op &= 31
    ws = size + 1
    wm = emask(ws)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    if op >= L_ADDHN and op <= L_RSUBHN:
        r = ZERO
        for i in range(8 >> size):
            a = eget(nlo, nhi, i, ws)
            b = eget(mlo, mhi, i, ws)
            s = (a + b) if op <= L_RADDHN else (a - b)
            if op == L_RADDHN or op == L_RSUBHN:
                s += ONE << U((8 << size) - 1)
            r |= (((s & wm) >> U(8 << size)) & emask(size)) << U(i << (size + 3))
        if q:
            set_v(c, rd, v_lo(c, rd), r)
        else:
            set_v(c, rd, r, ZERO)
        return
    src_n = nhi if q == 1 else nlo
    src_m = mhi if q == 1 else mlo
    if op == L_PMULL and size == 3:
        lo = ZERO
        hi = ZERO
        for i in range(64):
            if (src_m >> U(i)) & ONE:
                lo ^= src_n << U(i)
                if i:
                    hi ^= src_n >> U(64 - i)
        set_v(c, rd, lo, hi)
        return
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(1 if q == 2 else 8 >> size):
        bm = (src_m >> U(i << (size + 3))) & emask(size)
        if op == L_ADDW or op == L_SUBW:
            a = eget(nlo, nhi, i, ws)
        else:
            a = (src_n >> U(i << (size + 3))) & emask(size)
            if signed:
                a = U(sx(a, size))
        b = U(sx(bm, size)) if signed else bm
        d = eget(dlo, dhi, i, ws)
        if op == L_ADDL or op == L_ADDW:
            r = a + b
        elif op == L_SUBL or op == L_SUBW:
            r = a - b
        elif op == L_ABDL or op == L_ABAL:
            if signed:
                r = U(I(a) - I(b)) if I(a) > I(b) else U(I(b) - I(a))
            else:
                r = a - b if a > b else b - a
            if op == L_ABAL:
                r += d
        elif op == L_MULL:
            r = a * b
        elif op == L_MLAL:
            r = d + a * b
        elif op == L_MLSL:
            r = d - a * b
        elif op == L_PMULL:
            r = _pmul8(a, b) if size == 0 else ZERO
        else:
            p, s1 = _sqdmull(a, bm, size)
            sat |= s1
            if op == L_SQDMULL:
                r = p
            elif op == L_SQDMLAL:
                r, s1 = _arith(A_SQADD, d, p, ZERO, ws)
                sat |= s1
            else:
                r, s1 = _arith(A_SQSUB, d, p, ZERO, ws)
                sat |= s1
        lo, hi = eput(lo, hi, i, ws, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


# ----- two-register miscellaneous -----
(M_REV16, M_REV32, M_REV64, M_CNT, M_NOT, M_RBIT, M_CLZ, M_CLS, M_ABS, M_NEG, M_SQABS, M_SQNEG,
 M_UADDLP, M_SADDLP, M_UADALP, M_SADALP, M_SUQADD, M_USQADD) = range(18)


@njit
def _clz(v, bits):
    n = 0
    b = bits - 1
    while b >= 0 and ((v >> U(b)) & ONE) == ZERO:
        n += 1
        b -= 1
    return U(n)


@njit
def _misc(op, a, d, size):
    m = emask(size)
    bits = 8 << size
    if op == M_SUQADD:
        if size == 3:
            if a > U(0x7FFFFFFFFFFFFFFF) - d:
                return U(0x7FFFFFFFFFFFFFFF), True
            return d + a, False
        return sat_s(sx(d, size) + I(a), size)
    if op == M_USQADD:
        if size == 3:
            sa = I(a)
            if sa >= I(0):
                r = d + a
                if r < d:
                    return ALL_ONES, True
                return r, False
            if ZERO - a > d:
                return ZERO, True
            return d - (ZERO - a), False
        return sat_u(I(d) + sx(a, size), size)
    if op == M_CNT:
        r = ZERO
        for i in range(8):
            r += (a >> U(i)) & ONE
        return r, False
    if op == M_NOT:
        return ~a & m, False
    if op == M_RBIT:
        r = ZERO
        for i in range(8):
            r |= ((a >> U(i)) & ONE) << U(7 - i)
        return r, False
    if op == M_CLZ:
        return _clz(a, bits), False
    if op == M_CLS:
        sa = sx(a, size)
        x = a ^ (U(sa >> I(bits - 1)) & m)
        return _clz(x, bits) - ONE, False
    sa = sx(a, size)
    if op == M_ABS:
        return (U(-sa) if sa < I(0) else a) & m, False
    if op == M_NEG:
        return (ZERO - a) & m, False
    mn = (m >> ONE) + ONE
    if op == M_SQABS:
        if a == mn:
            return m >> ONE, True
        return (U(-sa) if sa < I(0) else a) & m, False
    # SQNEG
    if a == mn:
        return m >> ONE, True
    return (ZERO - a) & m, False


@njit
def _rev_elems(lo, hi, size, cont, q):
    """Reverse `size` elements inside containers of `cont` (log2 bytes)."""
    rlo = ZERO
    rhi = ZERO
    per = 1 << (cont - size)
    for i in range(nelem(size, q)):
        j = (i & ~(per - 1)) | (per - 1 - (i & (per - 1)))
        rlo, rhi = eput(rlo, rhi, j, size, eget(lo, hi, i, size))
    return rlo, rhi


@njit
def simd_misc(c, op, rd, rn, size, q):
    """REV16/REV32/REV64, CNT, NOT, RBIT, CLZ, CLS, ABS, NEG, SQABS, SQNEG, SUQADD, USQADD,
    [SU]ADDLP, [SU]ADALP (vector; ABS/NEG also scalar D, SQABS/SQNEG/SUQADD/USQADD scalar)."""
    lo = v_lo(c, rn)
    hi = v_hi(c, rn)
    if op <= M_REV64:
        rlo, rhi = _rev_elems(lo, hi, size, op + 1, q)
        write_vq(c, rd, rlo, rhi, q)
        return
    if op >= M_UADDLP and op <= M_SADALP:
        signed = op == M_SADDLP or op == M_SADALP
        dlo = v_lo(c, rd)
        dhi = v_hi(c, rd)
        rlo = ZERO
        rhi = ZERO
        for i in range(nelem(size + 1, q)):
            a = eget(lo, hi, 2 * i, size)
            b = eget(lo, hi, 2 * i + 1, size)
            if signed:
                r = U(sx(a, size) + sx(b, size))
            else:
                r = a + b
            if op >= M_UADALP:
                r += eget(dlo, dhi, i, size + 1)
            rlo, rhi = eput(rlo, rhi, i, size + 1, r)
        set_v(c, rd, rlo, rhi)
        return
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    rlo = ZERO
    rhi = ZERO
    sat = False
    for i in range(nelem(size, q)):
        r, s = _misc(op, eget(lo, hi, i, size), eget(dlo, dhi, i, size), size)
        sat |= s
        rlo, rhi = eput(rlo, rhi, i, size, r)
    if sat:
        set_qc(c)
    set_v(c, rd, rlo, rhi)


# ----- permutes -----
PM_UZP1, PM_TRN1, PM_ZIP1, PM_UZP2, PM_TRN2, PM_ZIP2 = range(6)


@njit
def simd_perm(c, op, rd, rn, rm, size, q):
    """UZP1/UZP2/TRN1/TRN2/ZIP1/ZIP2."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    n = nelem(size, q)
    half = n >> 1
    part = 1 if op >= PM_UZP2 else 0
    kind = op - 3 * part
    lo = ZERO
    hi = ZERO
    for i in range(n):
        if kind == PM_UZP1:
            j = 2 * i + part
            e = eget(nlo, nhi, j, size) if j < n else eget(mlo, mhi, j - n, size)
        elif kind == PM_TRN1:
            j = (i & ~1) + part
            e = eget(nlo, nhi, j, size) if (i & 1) == 0 else eget(mlo, mhi, j, size)
        else:
            j = (i >> 1) + part * half
            e = eget(nlo, nhi, j, size) if (i & 1) == 0 else eget(mlo, mhi, j, size)
        lo, hi = eput(lo, hi, i, size, e)
    set_v(c, rd, lo, hi)


@njit
def simd_ext(c, rd, rn, rm, imm, q):
    """EXT: bytes imm.. of Vm:Vn (Q=0: of the 64-bit halves)."""
    nlo = v_lo(c, rn)
    mlo = v_lo(c, rm)
    if q:
        nhi = v_hi(c, rn)
        mhi = v_hi(c, rm)
        # 256-bit value m:n shifted right by 8*imm bytes, low 128 bits
        s = imm * 8
        w0, w1, w2, w3 = nlo, nhi, mlo, mhi
        if s >= 64:
            w0, w1, w2 = w1, w2, w3
            s -= 64
        if s == 0:
            set_v(c, rd, w0, w1)
        else:
            set_v(c, rd, (w0 >> U(s)) | (w1 << U(64 - s)), (w1 >> U(s)) | (w2 << U(64 - s)))
    else:
        s = imm * 8
        if s == 0:
            set_v(c, rd, nlo, ZERO)
        else:
            set_v(c, rd, (nlo >> U(s)) | (mlo << U(64 - s)), ZERO)


@njit
def simd_tbl(c, rd, rn, rm, nregs, tbx, q):
    """TBL/TBX with a table of nregs (1-4) consecutive registers from Vn (wrapping at 31)."""
    ilo = v_lo(c, rm)
    ihi = v_hi(c, rm)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    for i in range(8 << q):
        idx = eget(ilo, ihi, i, 0)
        if idx < U(16 * nregs):
            r = (I(rn) + I(idx >> U(4))) & I(31)
            b = I(idx & U(15))
            e = eget(v_lo(c, r), v_hi(c, r), b, 0)
        elif tbx:
            e = eget(dlo, dhi, i, 0)
        else:
            e = ZERO
        lo, hi = eput(lo, hi, i, 0, e)
    set_v(c, rd, lo, hi)


# ----- by element (integer) -----
E_MUL, E_MLA, E_MLS, E_SQDMULH, E_SQRDMULH, E_SQRDMLAH, E_SQRDMLSH = range(7)


@njit
def simd_elem(c, op, rd, rn, rm, size, idxq):
    """MUL/MLA/MLS/SQDMULH/SQRDMULH/SQRDMLAH/SQRDMLSH (by element; the saturating ones also
    scalar, q=2): idxq = index << 2 | q."""
    idx = idxq >> 2
    q = idxq & 3
    b = eget(v_lo(c, rm), v_hi(c, rm), idx, size)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    aop = A_MUL
    if op == E_MLA:
        aop = A_MLA
    elif op == E_MLS:
        aop = A_MLS
    elif op == E_SQDMULH:
        aop = A_SQDMULH
    elif op == E_SQRDMULH:
        aop = A_SQRDMULH
    elif op == E_SQRDMLAH:
        aop = A_SQRDMLAH
    elif op == E_SQRDMLSH:
        aop = A_SQRDMLSH
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(nelem(size, q)):
        r, s = _arith(aop, eget(nlo, nhi, i, size), b, eget(dlo, dhi, i, size), size)
        sat |= s
        lo, hi = eput(lo, hi, i, size, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


@njit
def simd_elem_long(c, op, rd, rn, rm, size, idxq):
    """[SU]MULL/[SU]MLAL/[SU]MLSL/SQDMULL/SQDMLAL/SQDMLSL (by element), with '2' forms: op is
    an L_* selector (| 32 for signed); idxq = index << 2 | q (q=2: scalar SQDMULL/SQDMLAL/
    SQDMLSL)."""
    idx = idxq >> 2
    q = idxq & 3
    signed = op >= 32
    op &= 31
    ws = size + 1
    bm = eget(v_lo(c, rm), v_hi(c, rm), idx, size)
    b = U(sx(bm, size)) if signed else bm
    src = v_hi(c, rn) if q == 1 else v_lo(c, rn)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    sat = False
    for i in range(1 if q == 2 else 8 >> size):
        am = (src >> U(i << (size + 3))) & emask(size)
        a = U(sx(am, size)) if signed else am
        d = eget(dlo, dhi, i, ws)
        if op == L_MULL:
            r = a * b
        elif op == L_MLAL:
            r = d + a * b
        elif op == L_MLSL:
            r = d - a * b
        else:
            p, s1 = _sqdmull(am, bm, size)
            sat |= s1
            if op == L_SQDMULL:
                r = p
            elif op == L_SQDMLAL:
                r, s1 = _arith(A_SQADD, d, p, ZERO, ws)
                sat |= s1
            else:
                r, s1 = _arith(A_SQSUB, d, p, ZERO, ws)
                sat |= s1
        lo, hi = eput(lo, hi, i, ws, r)
    if sat:
        set_qc(c)
    set_v(c, rd, lo, hi)


# ----- dot product (FEAT_DotProd) and int8 matrix multiply (FEAT_I8MM) -----
@njit
def simd_dot(c, rd, rn, rm, sgn, q, idx):
    """SDOT/UDOT/USDOT/SUDOT: each 32-bit lane of Vd plus the sum of the four products of the
    bytes in the same lane of Vn and Vm (vector, idx = -1) or of 32-bit element idx of Vm (by
    element). idx = -2 is SMMLA/UMMLA/USMMLA: Vd is a 2x2 matrix (lane 2i+j) plus Vn's 2x8 rows
    times Vm's 8x2 columns (lane 2i+j sums bytes 8i+k of Vn times bytes 8j+k of Vm). sgn bit 0:
    Vn's bytes are signed, bit 1: Vm's."""
    dlo, dhi, nlo, nhi, mlo, mhi = v_three(c, rd, rn, rm)
    lo = ZERO
    hi = ZERO
    for e in range(4 if q else 2):
        if idx == -2:
            nb, mb, k = 8 * (e >> 1), 8 * (e & 1), 8
        else:
            nb, mb, k = 4 * e, 4 * (e if idx < 0 else idx), 4
        acc = I(eget(dlo, dhi, e, 2))
        for b in range(k):
            x = eget(nlo, nhi, nb + b, 0)
            y = eget(mlo, mhi, mb + b, 0)
            xv = sx(x, 0) if sgn & 1 else I(x)
            yv = sx(y, 0) if sgn & 2 else I(y)
            acc += xv * yv
        lo, hi = eput(lo, hi, e, 2, U(acc) & U(0xFFFFFFFF))
    set_v(c, rd, lo, hi)
