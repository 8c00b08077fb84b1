"""BFloat16 semantics (FEAT_BF16): BFDOT, BFMMLA, BFMLALB/BFMLALT. The conversions BFCVT and
BFCVTN/BFCVTN2 are with the other precision conversions in fp.py (convert_bf).

A BFloat16 value is the top half of a single: widening is a 16-bit shift. Two kinds of
arithmetic, as the Arm ARM defines them without FEAT_EBF16:

- BFDOT and BFMMLA are BFDotAdd: BFAdd(addend, BFAdd(BFMul(a0, b0), BFMul(a1, b1))), which
  ignores FPCR altogether: every step rounds to odd, denormal inputs and results below 2^-126
  (before rounding) are signed zeros, an overflow is an infinity, any NaN gives the default NaN,
  an exact zero sum is +0, and FPSR is never written (QEMU 7.2's bfdotadd runs on a private
  float_status set the same way, whose flags it drops).
- BFMLALB/T are FPMulAdd in single precision on the widened halves: it follows FPCR (rounding
  mode, FZ, DN) and raises FPSR flags like any FP op.

The exact values are built in double: a product of two BFloat16 is exact there, and the sum of
two singles is exact as the double sum plus its TwoSum error, from which round-to-odd needs only
the error's sign (rounding to odd at 53 bits and then at 24 equals rounding to odd at 24).
"""
import numpy as np
from numba import njit

from .common import ONE, U, ZERO, set_v, v_three
from .fp import FT_S, _two_sum, add_flags, fpcr_of, muladd
from .fpbits import b64, f32
from .simd import eget, eput

I = np.int64
F64 = np.float64
DN32 = U(0x7FC00000)
INF32 = U(0x7F800000)
SIGN32 = U(0x80000000)
BF_DOT, BF_MMLA, BF_MLAL = 0, 1, 2
_ZERO_, _NORMAL, _INF, _NAN = 0, 1, 2, 3


@njit
def _kind(b):
    """BFUnpack's class of single b: denormals are zeros and both NaN kinds one NaN."""
    e = (b >> U(23)) & U(0xFF)
    if e == ZERO:
        return _ZERO_
    if e == U(0xFF):
        return _NAN if b & U(0x7FFFFF) else _INF
    return _NORMAL


@njit
def round_odd(hi, lo):
    """BFRound of the exact value hi + lo (doubles, hi != 0, |lo| at most half an ulp of hi):
    single bits, rounded to odd, flushed to zero below 2^-126, infinite above the range."""
    d = b64(hi)
    s = (d >> U(32)) & SIGN32
    m = d & U(0x7FFFFFFFFFFFFFFF)
    if lo != 0.0:
        if (lo < 0.0) != (hi < 0.0):
            m -= ONE                # the exact value is just below |hi|
        m |= ONE                    # rounded to odd at 53 bits
    e = I(m >> U(52)) - I(1023)
    if e < -126:
        return s
    if e > 127:
        return s | INF32
    frac = m & U(0xFFFFFFFFFFFFF)
    r = s | (U(e + 127) << U(23)) | (frac >> U(29))
    if frac & U(0x1FFFFFFF):
        r |= ONE
    return r


@njit
def bf_mul(a, b):
    """BFMul of two singles (widened BFloat16)."""
    ka, kb = _kind(a), _kind(b)
    s = (a ^ b) & SIGN32
    if ka == _NAN or kb == _NAN:
        return DN32
    if (ka == _INF and kb == _ZERO_) or (ka == _ZERO_ and kb == _INF):
        return DN32
    if ka == _INF or kb == _INF:
        return s | INF32
    if ka == _ZERO_ or kb == _ZERO_:
        return s
    return round_odd(F64(f32(a)) * F64(f32(b)), 0.0)


@njit
def bf_add(a, b):
    """BFAdd of two singles."""
    ka, kb = _kind(a), _kind(b)
    if ka == _NAN or kb == _NAN:
        return DN32
    sa, sb = a & SIGN32, b & SIGN32
    if ka == _INF and kb == _INF and sa != sb:
        return DN32
    if ka == _INF:
        return sa | INF32
    if kb == _INF:
        return sb | INF32
    if ka == _ZERO_ and kb == _ZERO_:
        return sa if sa == sb else ZERO
    x = 0.0 if ka == _ZERO_ else F64(f32(a))
    y = 0.0 if kb == _ZERO_ else F64(f32(b))
    s, err = _two_sum(x, y)
    if s == 0.0:
        return ZERO                 # the round-to-odd zero is positive
    return round_odd(s, err)


@njit
def bf_dot_add(acc, n2, m2):
    """BFDotAdd: acc + (low halves' product + high halves' product), n2 and m2 each a pair of
    BFloat16 in 32 bits."""
    p0 = bf_mul((n2 & U(0xFFFF)) << U(16), (m2 & U(0xFFFF)) << U(16))
    p1 = bf_mul(n2 & U(0xFFFF0000), m2 & U(0xFFFF0000))
    return bf_add(acc, bf_add(p0, p1))


@njit
def bf16_dot(c, op, rd, rn, rm, q, idx):
    """BFDOT (vector: idx = -1, or 32-bit element idx of Vm), BFMMLA (Vd a 2x2 matrix, lane 2i+j
    plus row i of Vn times column j of Vm, pairs 2i+k and 2j+k) and BFMLALB/T (q = 0/1: the even
    or odd halves of Vn times those of Vm, or half idx of Vm, added to each single of Vd)."""
    dlo, dhi, nlo, nhi, mlo, mhi = v_three(c, rd, rn, rm)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    fpcr = fpcr_of(c) if op == BF_MLAL else ZERO
    for e in range(4 if q or op != BF_DOT else 2):
        acc = eget(dlo, dhi, e, 2)
        if op == BF_DOT:
            me = e if idx < 0 else idx
            r = bf_dot_add(acc, eget(nlo, nhi, e, 2), eget(mlo, mhi, me, 2))
        elif op == BF_MMLA:
            i, j = e >> 1, e & 1
            r = bf_dot_add(acc, eget(nlo, nhi, 2 * i, 2), eget(mlo, mhi, 2 * j, 2))
            r = bf_dot_add(r, eget(nlo, nhi, 2 * i + 1, 2), eget(mlo, mhi, 2 * j + 1, 2))
        else:
            me = 2 * e + q if idx < 0 else idx
            r, f = muladd(acc, eget(nlo, nhi, 2 * e + q, 1) << U(16),
                          eget(mlo, mhi, me, 1) << U(16), FT_S, fpcr)
            fl |= f
        lo, hi = eput(lo, hi, e, 2, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)
