"""Scalar FP and AdvSIMD FP semantics on host IEEE arithmetic, corrected to AArch64 rules.

Values are bit patterns (uint64) with a format `ft` as in the A64 `ftype` field: 0 = single,
1 = double, 3 = half. Each core operation returns (result bits, FPSR flags) and the helpers OR
the flags into FPSR. How the host result becomes the AArch64 result:

- NaNs are processed in software (first signalling NaN quieted, else first quiet NaN, in operand
  order; FPCR.DN gives the default NaN), and invalid operations give the positive default NaN
  (x86 would produce a negative one).
- The host computes the round-to-nearest-even result r. We then compute the sign of the error
  (exact - r) exactly: TwoSum for additions, TwoProd plus a 4-term exact expansion (Shewchuk's
  grow-expansion) for products, quotients, square roots and fused multiply-adds, with power-of-two
  scaling so that no error term underflows. Singles are checked in double, where products are
  exact. From that sign we derive IXC, the directed rounding modes (FPCR.RMode RP/RM/RZ step r by
  one ulp), tininess before rounding (AArch64 detects underflow before rounding), UFC, and
  flush-to-zero of tiny results (FPCR.FZ, which also flushes denormal inputs and sets IDC).
- Known approximations: with RZ/RP/RM an exact result in [MAX + ulp/2, MAX + ulp) reports OFC
  (the host RN result overflowed) although the architecture would not; FPCR trap enables are
  ignored (AArch64 Linux runs with them off).
- Half precision: FPCR.FZ16, not FZ, flushes half denormal inputs (without IDC, as FPUnpack does)
  and tiny half results (UFC); the conversions between precisions ignore FZ16 (FPUnpackCV,
  FPRoundCV) and honour FPCR.AHP, which affects nothing else.
"""
import numpy as np
from numba import njit

from .common import ONE, O_FPCR, O_FPSR, U, ZERO, cond_holds, rx, set_nzcv_bits, set_v, v_hi, \
    v_lo, wreg
from .fpbits import b32, b64, ceil32, ceil64, f32, f64, floor32, floor64, fma32, fma64, rint32, \
    rint64, round32, round64, sqrt32, sqrt64, trunc32, trunc64
from nbemu.core.native import peek64, poke64
from .simd import emask, eget, eput, nelem

I = np.int64
F64 = np.float64
F32 = np.float32

IOC = U(1)
DZC = U(2)
OFC = U(4)
UFC = U(8)
IXC = U(16)
IDC = U(128)

FT_S = 0
FT_D = 1
FT_H = 3

RM_N, RM_P, RM_M, RM_Z, RM_A = 0, 1, 2, 3, 4      # FPRounding: nearest, +inf, -inf, zero, away


# ----- format properties -----
@njit
def nbits(ft):
    if ft == FT_D:
        return 64
    if ft == FT_S:
        return 32
    return 16


@njit
def fbits_(ft):
    if ft == FT_D:
        return 52
    if ft == FT_S:
        return 23
    return 10


@njit
def fmask(ft):
    return U(0xFFFFFFFFFFFFFFFF) >> U(64 - nbits(ft))


@njit
def sign_bit(ft):
    return ONE << U(nbits(ft) - 1)


@njit
def inf_bits(ft):
    """Magnitude bits of infinity."""
    return (fmask(ft) >> ONE) & ~((ONE << U(fbits_(ft))) - ONE)


@njit
def qbit(ft):
    return ONE << U(fbits_(ft) - 1)


@njit
def default_nan(ft):
    return inf_bits(ft) | qbit(ft)


@njit
def is_nan(b, ft):
    return (b & (fmask(ft) >> ONE)) > inf_bits(ft)


@njit
def is_snan(b, ft):
    return is_nan(b, ft) and (b & qbit(ft)) == ZERO


@njit
def is_inf(b, ft):
    return (b & (fmask(ft) >> ONE)) == inf_bits(ft)


@njit
def is_zero(b, ft):
    return (b & (fmask(ft) >> ONE)) == ZERO


@njit
def is_denorm(b, ft):
    m = b & (fmask(ft) >> ONE)
    return m != ZERO and m < (ONE << U(fbits_(ft)))


@njit
def fpcr_of(c):
    return peek64(c + O_FPCR)


@njit
def fpcr_mode(fpcr):
    return I((fpcr >> U(22)) & U(3))


@njit
def add_flags(c, fl):
    if fl != ZERO:
        poke64(c + O_FPSR, peek64(c + O_FPSR) | fl)


@njit
def flushing(fpcr, ft):
    """Flush-to-zero in force for format ft: FPCR.FZ16 for halves, FPCR.FZ otherwise."""
    if ft == FT_H:
        return (fpcr >> U(19)) & ONE != ZERO
    return (fpcr >> U(24)) & ONE != ZERO


@njit
def flush_in(b, ft, fpcr):
    """FPUnpack's flush of denormal inputs: (bits, flags); a half flushed by FZ16 raises no
    IDC."""
    if flushing(fpcr, ft) and is_denorm(b, ft):
        return b & sign_bit(ft), (ZERO if ft == FT_H else IDC)
    return b, ZERO


@njit
def nan_result(b, ft, fpcr):
    """A propagated NaN: quieted, or the default NaN under FPCR.DN."""
    if (fpcr >> U(25)) & ONE:
        return default_nan(ft)
    return b | qbit(ft)


@njit
def process_nans2(a, b, ft, fpcr):
    """FPProcessNaNs: (is_nan_result, bits, flags)."""
    if is_snan(a, ft):
        return True, nan_result(a, ft, fpcr), IOC
    if is_snan(b, ft):
        return True, nan_result(b, ft, fpcr), IOC
    if is_nan(a, ft):
        return True, nan_result(a, ft, fpcr), ZERO
    if is_nan(b, ft):
        return True, nan_result(b, ft, fpcr), ZERO
    return False, ZERO, ZERO


@njit
def process_nans3(a, b, c3, ft, fpcr):
    if is_snan(a, ft):
        return True, nan_result(a, ft, fpcr), IOC
    if is_snan(b, ft):
        return True, nan_result(b, ft, fpcr), IOC
    if is_snan(c3, ft):
        return True, nan_result(c3, ft, fpcr), IOC
    if is_nan(a, ft):
        return True, nan_result(a, ft, fpcr), ZERO
    if is_nan(b, ft):
        return True, nan_result(b, ft, fpcr), ZERO
    if is_nan(c3, ft):
        return True, nan_result(c3, ft, fpcr), ZERO
    return False, ZERO, ZERO


# ----- exact error signs -----
@njit
def _two_sum(x, y):
    s = x + y
    bb = s - x
    return s, (x - (s - bb)) + (y - bb)


@njit
def _sgn(x):
    if x > 0.0:
        return I(1)
    if x < 0.0:
        return I(-1)
    return I(0)


@njit
def sign_sum4(x1, x2, x3, x4):
    """Exact sign of x1 + x2 + x3 + x4 (no overflow), by growing a nonoverlapping expansion."""
    q, e1 = _two_sum(x2, x1)
    e2 = q
    q, g1 = _two_sum(x3, e1)
    q, g2 = _two_sum(q, e2)
    e1, e2, e3 = g1, g2, q
    q, g1 = _two_sum(x4, e1)
    q, g2 = _two_sum(q, e2)
    q, g3 = _two_sum(q, e3)
    if q != 0.0:
        return _sgn(q)
    if g3 != 0.0:
        return _sgn(g3)
    if g2 != 0.0:
        return _sgn(g2)
    return _sgn(g1)


@njit
def _exp64(x):
    """floor(log2(|x|)) of a finite nonzero double."""
    b = b64(x)
    e = I((b >> U(52)) & U(0x7FF))
    if e == 0:
        y = b64(x * 18446744073709551616.0)
        return I((y >> U(52)) & U(0x7FF)) - I(1023 + 64)
    return e - I(1023)


@njit
def _ldexp(x, n):
    """x * 2**n for scalings that are exact (no overflow, no precision loss)."""
    while n > 1000:
        x *= f64(U(2023) << U(52))
        n -= 1000
    while n < -1000:
        x *= f64(U(23) << U(52))
        n += 1000
    return x * f64(U(n + 1023) << U(52))


@njit
def es_fma64(a, b, c, r):
    """Exact sign of a*b + c - r for finite doubles."""
    if a == 0.0 or b == 0.0:
        return sign_sum4(c, -r, 0.0, 0.0)
    ea = _exp64(a)
    eb = _exp64(b)
    k = ea + eb
    csign = I(0)
    if k > 1000:
        # huge product: scale everything by 2**-k; addends that scaling would make inexact are
        # negligible except as a tie-breaker
        fb = I(0)
        if c != 0.0 and _exp64(c) - k < -1000:
            fb = _sgn(c)
            c = 0.0
        if r != 0.0 and _exp64(r) - k < -1000:
            fb = -_sgn(r)
            r = 0.0
        csign = fb
        a = _ldexp(a, -ea)
        b = _ldexp(b, -eb)
        c = _ldexp(c, -k)
        r = _ldexp(r, -k)
    elif k < -960:
        kk = -k
        if (c != 0.0 and _exp64(c) + kk > 1000) or (r != 0.0 and _exp64(r) + kk > 1000):
            s = sign_sum4(c, -r, 0.0, 0.0)
            if s != 0:
                return s
            return _sgn(a) * _sgn(b)
        a = _ldexp(a, -ea)
        b = _ldexp(b, -eb)
        c = _ldexp(c, kk)
        r = _ldexp(r, kk)
    u1 = a * b
    u2 = fma64(a, b, -u1)
    s = sign_sum4(u1, u2, c, -r)
    if s == 0:
        return csign
    return s


# ----- rounding fix-up -----
@njit
def finish(rb, es, ft, fpcr, ovf):
    """Turn a host round-to-nearest result into the AArch64 result under FPCR.
    rb: result bits (finite, or infinity when the host overflowed: ovf); es: sign of
    (exact - r). Returns (bits, flags)."""
    sb = sign_bit(ft)
    neg = (rb & sb) != ZERO
    mag = rb & ~sb & fmask(ft)
    sgn = I(-1) if neg else I(1)
    if ovf:
        es = -sgn
    minn = ONE << U(fbits_(ft))
    fz = flushing(fpcr, ft)
    if es == 0:
        if mag != ZERO and mag < minn and fz:
            return rb & sb, UFC
        return rb, ZERO
    tiny = mag < minn or (mag == minn and es * sgn < 0)
    if tiny and fz:
        return rb & sb, UFC
    mode = fpcr_mode(fpcr)
    if mode != RM_N:
        away = es * sgn > 0
        if mode == RM_Z:
            if not away:
                mag -= ONE
        elif mode == RM_P:
            if es > 0:
                mag = mag - ONE if neg else mag + ONE
        else:
            if es < 0:
                mag = mag + ONE if neg else mag - ONE
    fl = IXC
    if ovf or mag >= inf_bits(ft):
        fl |= OFC
    if tiny:
        fl |= UFC
    return (rb & sb) | mag, fl


@njit
def finish_ovf(rb, es, ft, fpcr, ovf, below):
    """finish() for a result that may have overflowed in round-to-nearest: `below` tells that
    the exact magnitude is under 2**(emax+1) (= MAX + ulp), where the directed modes that round
    toward zero give MAX without overflow."""
    if ovf and below and fpcr_mode(fpcr) != RM_N:
        sb = sign_bit(ft)
        neg = (rb & sb) != ZERO
        return finish((rb & sb) | (inf_bits(ft) - ONE), I(-1) if neg else I(1), ft, fpcr, False)
    return finish(rb, es, ft, fpcr, ovf)


TWO1023 = 8.98846567431158e+307        # 2**1023
TWO128 = 3.402823669209385e+38         # 2**128


@njit
def _below_sum(s, err, lim):
    """|s + err| < lim, for s = RN(s + err)."""
    a = abs(s)
    if a < lim:
        return True
    if a > lim:
        return False
    return (err < 0.0) if s > 0.0 else (err > 0.0)


# ----- conversions between host floats and bits -----
@njit
def h_to_f64(h):
    """An IEEE half (not NaN) as a double (exact)."""
    s = F64(-1.0) if (h >> U(15)) & ONE else F64(1.0)
    e = I((h >> U(10)) & U(31))
    m = F64(h & U(0x3FF))
    if e == 31:
        return s * np.inf
    if e == 0:
        return s * m * F64(5.960464477539063e-08)          # 2**-24
    return s * (1024.0 + m) * _ldexp(1.0, e - 25)


@njit
def to_f64(b, ft):
    """Non-NaN value of any format as a double (exact)."""
    if ft == FT_D:
        return f64(b)
    if ft == FT_S:
        return F64(f32(b))
    return h_to_f64(b)


@njit
def from_f64(x, ft, fpcr):
    """Round a double to format ft under FPCR (for non-NaN x): (bits, flags)."""
    if ft == FT_D:
        return b64(x), ZERO
    if ft == FT_S:
        r = F32(x)
        rb = b32(r)
        if np.isinf(r) and not np.isinf(x):
            return finish_ovf(rb, I(0), ft, fpcr, True, abs(x) < TWO128)
        return finish(rb, _sgn(x - F64(r)), ft, fpcr, False)
    # half: round to nearest even by hand
    sgnb = U(0x8000) if (b64(x) >> U(63)) else ZERO
    ax = abs(x)
    if np.isinf(ax):
        return sgnb | U(0x7C00), ZERO
    if ax < 6.103515625e-05:                      # below 2**-14: quantum 2**-24
        q = rint64(ax * 16777216.0)
        v = q * 5.960464477539063e-08
        mag = U(I(q))
    else:
        e = _exp64(ax)
        q = rint64(_ldexp(ax, 10 - e))           # 1024 <= q <= 2048
        v = _ldexp(q, e - 10)
        if q >= 2048.0:
            e += 1
            q = 1024.0
        if e + 15 >= 31:
            mag = U(0x7C00)
        else:
            mag = (U(e + 15) << U(10)) | (U(I(q)) - U(1024))
    es = _sgn(ax - v)
    if sgnb:
        es = -es
    return finish_ovf(sgnb | mag, es, ft, fpcr, mag == U(0x7C00), ax < 65536.0)


# ----- arithmetic -----
(OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_MAXNM, OP_MINNM, OP_NMUL, OP_MULX,
 OP_ABD) = range(11)


@njit
def _minmax(op, a, b, ft):
    """FPMax/FPMin on non-NaN operands (bit patterns)."""
    xa = to_f64(a, ft)
    xb = to_f64(b, ft)
    is_max = op == OP_MAX or op == OP_MAXNM
    if xa == xb:
        # equal values: zeros of different signs; max takes +0, min takes -0
        if is_max:
            return a & b
        return a | b
    if (xa > xb) == is_max:
        return a
    return b


@njit
def arith2(op, a, b, ft, fpcr):
    """Two-operand FP op on bit patterns: (result bits, flags)."""
    a, f1 = flush_in(a, ft, fpcr)
    b, f2 = flush_in(b, ft, fpcr)
    fl = f1 | f2
    if op == OP_SUB:
        b ^= sign_bit(ft) if not is_nan(b, ft) else ZERO
    if op == OP_MAXNM or op == OP_MINNM:
        qa = is_nan(a, ft) and not is_snan(a, ft)
        qb = is_nan(b, ft) and not is_snan(b, ft)
        if qa and not is_nan(b, ft):
            return b, fl
        if qb and not is_nan(a, ft):
            return a, fl
    isn, nb, nf = process_nans2(a, b, ft, fpcr)
    if isn:
        if op == OP_NMUL:
            nb ^= sign_bit(ft)
        elif op == OP_ABD:
            nb &= ~sign_bit(ft)
        return nb, fl | nf
    if op >= OP_MAX and op <= OP_MINNM:
        return _minmax(op, a, b, ft), fl
    sb = sign_bit(ft)
    ia = is_inf(a, ft)
    ib = is_inf(b, ft)
    za = is_zero(a, ft)
    zb = is_zero(b, ft)
    rsign = (a ^ b) & sb
    if op == OP_MUL or op == OP_NMUL or op == OP_MULX:
        if (ia and zb) or (za and ib):
            if op == OP_MULX:
                return rsign | (ONE << U(nbits(ft) - 2)), fl      # +-2.0
            r = default_nan(ft)
            if op == OP_NMUL:
                r ^= sb
            return r, fl | IOC
        if ia or ib or za or zb:
            r = rsign | (inf_bits(ft) if (ia or ib) else ZERO)
            if op == OP_NMUL:
                r ^= sb
            return r, fl
    elif op == OP_DIV:
        if (ia and ib) or (za and zb):
            return default_nan(ft), fl | IOC
        if ia or zb:
            return rsign | inf_bits(ft), fl | (DZC if zb and not ia else ZERO)
        if ib or za:
            return rsign, fl
    else:   # ADD, SUB (b negated), ABD
        if op == OP_ABD:
            b ^= sb
        if ia and ib and ((a ^ b) & sb) != ZERO:
            return default_nan(ft), fl | IOC
        if ia or ib:
            r = a if ia else b
            if op == OP_ABD:
                r &= ~sb
            return r, fl
        if za and zb:
            if (a & sb) == (b & sb):
                r = a
            else:
                r = sb if fpcr_mode(fpcr) == RM_M else ZERO
            if op == OP_ABD:
                r &= ~sb
            return r, fl
    # finite nonzero (mul/div) or finite (add) operands: host arithmetic + error sign
    if ft == FT_D:
        x = f64(a)
        y = f64(b)
        if op == OP_DIV:
            r = x / y
        elif op == OP_ADD or op == OP_SUB or op == OP_ABD:
            r = x + y
        else:
            r = x * y
        ovf = np.isinf(r)
        es = I(0)
        below = False
        if op == OP_ADD or op == OP_SUB or op == OP_ABD:
            if ovf:
                s, err = _two_sum(x * 0.5, y * 0.5)
                below = _below_sum(s, err, TWO1023)
            else:
                s, err = _two_sum(x, y)
                es = _sgn(err)
        else:
            # one exact-sign evaluation of p*q + 0 - rr, chosen per case
            if ovf:
                if op == OP_DIV:      # |x/y| < 2**1024  <=>  2**1023*|y| - |x|/2 > 0
                    p, q, rr, mul = TWO1023, abs(y), abs(x) * 0.5, I(1)
                else:                 # |x*y| < 2**1024  <=>  |x|/2*|y| - 2**1023 < 0
                    p, q, rr, mul = abs(x) * 0.5, abs(y), TWO1023, I(-1)
            else:
                if op == OP_DIV:      # sign(x/y - r) = -sign(r*y - x) * sign(y)
                    p, q, rr, mul = r, y, x, -_sgn(y)
                else:
                    p, q, rr, mul = x, y, r, I(1)
            t = es_fma64(p, q, 0.0, rr) * mul
            if ovf:
                below = t > 0
            else:
                es = t
        rb = b64(r)
    elif ft == FT_S:
        xs = f32(a)
        ys = f32(b)
        xd = F64(xs)
        yd = F64(ys)
        if op == OP_DIV:
            rs = xs / ys
        elif op == OP_ADD or op == OP_SUB or op == OP_ABD:
            rs = xs + ys
        else:
            rs = xs * ys
        rd = F64(rs)
        ovf = np.isinf(rs)
        es = I(0)
        below = False
        if ovf:
            if op == OP_DIV:
                qd = xd / yd
                below = _below_sum(qd, F64(_sgn(xd - qd * yd) * _sgn(yd)), TWO128)
            elif op == OP_ADD or op == OP_SUB or op == OP_ABD:
                s, err = _two_sum(xd, yd)
                below = _below_sum(s, err, TWO128)
            else:
                below = abs(xd * yd) < TWO128
        else:
            if op == OP_DIV:
                es = _sgn(xd - rd * yd) * _sgn(yd)
            elif op == OP_ADD or op == OP_SUB or op == OP_ABD:
                s, err = _two_sum(xd, yd)
                es = sign_sum4(s, err, -rd, 0.0)
            else:
                es = _sgn(xd * yd - rd)
        rb = b32(rs)
    else:
        # half precision: exact double arithmetic, one rounding to half
        xd = h_to_f64(a)
        yd = h_to_f64(b)
        # (a double quotient of halves is a half only when the exact quotient is one)
        if op == OP_DIV:
            vd = xd / yd
        elif op == OP_ADD or op == OP_SUB or op == OP_ABD:
            vd = xd + yd
        else:
            vd = xd * yd
        rb, f3 = from_f64(vd, ft, fpcr)
        if vd == 0.0 and op != OP_DIV and op != OP_MUL and op != OP_NMUL and op != OP_MULX \
                and fpcr_mode(fpcr) == RM_M:
            rb = sb
        if op == OP_ABD:
            rb &= ~sb
        if op == OP_NMUL:
            rb ^= sb
        return rb, fl | f3
    if op == OP_ADD or op == OP_SUB or op == OP_ABD:
        if es == 0 and is_zero(rb, ft) and fpcr_mode(fpcr) == RM_M:
            rb = sb
    r2, f3 = finish_ovf(rb, es, ft, fpcr, ovf, below)
    if op == OP_ABD:
        r2 &= ~sb
    if op == OP_NMUL:
        r2 ^= sb
    return r2, fl | f3


FAST_FPCR = U(0xF << 22)    # RMode, FZ, DN: all clear for the fast paths


@njit
def _mid_exp(b, ft):
    """The operand is normal with an exponent well inside the range (|x| in [2**-255, 2**256)
    for doubles, [2**-47, 2**48) for singles), so that +, -, *, / of two such operands can
    neither overflow nor underflow and their error terms are exact."""
    if ft == FT_D:
        e = (b >> U(52)) & U(0x7FF)
        return e >= U(1023 - 255) and e < U(1023 + 256)
    e = (b >> U(23)) & U(0xFF)
    return e >= U(127 - 47) and e < U(127 + 48)


@njit
def fast2(op, a, b, ft):
    """ADD/SUB/MUL/DIV of mid-range singles or doubles in round-to-nearest: (bits, inexact)."""
    if ft == FT_D:
        x = f64(a)
        y = f64(b)
        if op == OP_ADD or op == OP_SUB:
            if op == OP_SUB:
                y = -y
            r = x + y
            bb = r - x
            err = (x - (r - bb)) + (y - bb)
        elif op == OP_MUL:
            r = x * y
            err = fma64(x, y, -r)
        else:
            r = x / y
            err = fma64(r, y, -x)
        return b64(r), err != 0.0
    xs = f32(a)
    ys = f32(b)
    if op == OP_ADD or op == OP_SUB:
        if op == OP_SUB:
            ys = -ys
        rs = xs + ys
        bs = rs - xs
        es = (xs - (rs - bs)) + (ys - bs)
    elif op == OP_MUL:
        rs = xs * ys
        es = fma32(xs, ys, -rs)
    else:
        rs = xs / ys
        es = fma32(rs, ys, -xs)
    return b32(rs), es != F32(0.0)


@njit
def fast_fma(a, b, cc, ft):
    """a + b*cc fused for mid-range singles/doubles in round-to-nearest: (bits, inexact, ok);
    ok is False when the result is too small for the exact error test (take the slow path)."""
    if ft == FT_D:
        x = f64(b)
        y = f64(cc)
        z = f64(a)
        r = fma64(x, y, z)
        rb = b64(r)
        if r != 0.0 and ((rb >> U(52)) & U(0x7FF)) < U(1023 - 800):
            return rb, False, False
        u1 = x * y
        u2 = fma64(x, y, -u1)
        return rb, sign_sum4(u1, u2, z, -r) != 0, True
    xs = f32(b)
    ys = f32(cc)
    zs = f32(a)
    rs = fma32(xs, ys, zs)
    rb = b32(rs)
    if rs != F32(0.0) and ((rb >> U(23)) & U(0xFF)) < U(127 - 100):
        return rb, False, False
    return rb, sign_sum4(F64(xs) * F64(ys), F64(zs), -F64(rs), 0.0) != 0, True


@njit
def muladd(a, b, cc, ft, fpcr):
    """FPMulAdd(addend=a, b*cc) with all negations already applied: (bits, flags)."""
    if ft != FT_H and (fpcr & FAST_FPCR) == ZERO and _mid_exp(a, ft) and _mid_exp(b, ft) \
            and _mid_exp(cc, ft):
        r, ix, ok = fast_fma(a, b, cc, ft)
        if ok:
            return r, (IXC if ix else ZERO)
    a, f1 = flush_in(a, ft, fpcr)
    b, f2 = flush_in(b, ft, fpcr)
    cc, f3 = flush_in(cc, ft, fpcr)
    fl = f1 | f2 | f3
    sb = sign_bit(ft)
    i1 = is_inf(b, ft)
    i2 = is_inf(cc, ft)
    z1 = is_zero(b, ft)
    z2 = is_zero(cc, ft)
    isn, nb, nf = process_nans3(a, b, cc, ft, fpcr)
    if is_nan(a, ft) and not is_snan(a, ft) and ((i1 and z2) or (z1 and i2)):
        return default_nan(ft), fl | IOC
    if isn:
        return nb, fl | nf
    ia = is_inf(a, ft)
    za = is_zero(a, ft)
    sp = (b ^ cc) & sb
    ip = i1 or i2
    zp = z1 or z2
    if (i1 and z2) or (z1 and i2) or (ia and ip and (a & sb) != sp):
        return default_nan(ft), fl | IOC
    if ia:
        return a, fl
    if ip:
        return sp | inf_bits(ft), fl
    if za and zp:
        if (a & sb) == sp:
            return a, fl
        return (sb if fpcr_mode(fpcr) == RM_M else ZERO), fl
    if ft == FT_D:
        x = f64(b)
        y = f64(cc)
        z = f64(a)
        r = fma64(x, y, z)
        ovf = np.isinf(r)
        below = False
        if ovf:
            es = I(0)
            sr = 1.0 if r > 0.0 else -1.0
            below = es_fma64(x * 0.5, y, z * 0.5, sr * TWO1023) * I(sr) < 0
        else:
            es = es_fma64(x, y, z, r)
        rb = b64(r)
    elif ft == FT_S:
        xs = f32(b)
        ys = f32(cc)
        zs = f32(a)
        rs = fma32(xs, ys, zs)
        ovf = np.isinf(rs)
        es = I(0)
        below = False
        if ovf:
            s, err = _two_sum(F64(xs) * F64(ys), F64(zs))
            below = _below_sum(s, err, TWO128)
        else:
            es = sign_sum4(F64(xs) * F64(ys), F64(zs), -F64(rs), 0.0)
        rb = b32(rs)
    else:
        p = h_to_f64(b) * h_to_f64(cc)       # exact
        s, err = _two_sum(p, h_to_f64(a))
        rb, f4 = from_f64(s, ft, fpcr)
        if s == 0.0 and err == 0.0:
            rb = sb if fpcr_mode(fpcr) == RM_M else ZERO
        if err != 0.0 and (f4 & IXC) == ZERO:
            rb, f4 = finish(rb, _sgn(err), ft, fpcr, False)
        return rb, fl | f4
    if es == 0 and is_zero(rb, ft):
        rb = sb if fpcr_mode(fpcr) == RM_M else ZERO
    r2, f5 = finish_ovf(rb, es, ft, fpcr, ovf, below)
    return r2, fl | f5


@njit
def fsqrt(a, ft, fpcr):
    a, fl = flush_in(a, ft, fpcr)
    if is_nan(a, ft):
        return nan_result(a, ft, fpcr), fl | (IOC if is_snan(a, ft) else ZERO)
    if is_zero(a, ft):
        return a, fl
    if a & sign_bit(ft):
        return default_nan(ft), fl | IOC
    if is_inf(a, ft):
        return a, fl
    if ft == FT_D:
        x = f64(a)
        r = sqrt64(x)
        rb = b64(r)
        es = -es_fma64(r, r, 0.0, x)
    elif ft == FT_S:
        xs = f32(a)
        rs = sqrt32(xs)
        rb = b32(rs)
        es = _sgn(F64(xs) - F64(rs) * F64(rs))
    else:
        xd = h_to_f64(a)
        rd = sqrt64(xd)
        rb, f2 = from_f64(rd, ft, fpcr)
        if (f2 & IXC) == ZERO:
            v = h_to_f64(rb)
            es2 = _sgn(xd - v * v)
            if es2 != 0:
                rb, f2 = finish(rb, es2, ft, fpcr, False)
        return rb, fl | f2
    r2, f3 = finish(rb, es, ft, fpcr, False)
    return r2, fl | f3


@njit
def round_int(a, ft, fpcr, mode, exact):
    """FPRoundInt: round to an integral value in `mode` (RM_* ; -1 = FPCR); exact: IXC."""
    a, fl = flush_in(a, ft, fpcr)
    if is_nan(a, ft):
        return nan_result(a, ft, fpcr), fl | (IOC if is_snan(a, ft) else ZERO)
    if is_inf(a, ft) or is_zero(a, ft):
        return a, fl
    if mode < 0:
        mode = fpcr_mode(fpcr)
    if ft == FT_S:
        xs = f32(a)
        if mode == RM_N:
            rs = rint32(xs)
        elif mode == RM_P:
            rs = ceil32(xs)
        elif mode == RM_M:
            rs = floor32(xs)
        elif mode == RM_Z:
            rs = trunc32(xs)
        else:
            rs = round32(xs)
        rb = b32(rs)
        if exact and rs != xs:
            fl |= IXC
        return rb, fl
    x = to_f64(a, ft)
    if mode == RM_N:
        r = rint64(x)
    elif mode == RM_P:
        r = ceil64(x)
    elif mode == RM_M:
        r = floor64(x)
    elif mode == RM_Z:
        r = trunc64(x)
    else:
        r = round64(x)
    if exact and r != x:
        fl |= IXC
    if ft == FT_D:
        return b64(r), fl
    rb, f2 = from_f64(r, ft, fpcr)     # exact for halves
    if r == 0.0:
        rb = a & sign_bit(ft)
    return rb, fl


@njit
def round_int_n(a, ft, fpcr, mode, intsize):
    """FRINT32Z/X, FRINT64Z/X: round to an integral value that fits an intsize-bit integer;
    NaN, infinity and out-of-range values give -2**(intsize-1) and IOC."""
    a, fl = flush_in(a, ft, fpcr)
    lim = 2147483648.0 if intsize == 32 else 9223372036854775808.0
    if is_zero(a, ft):
        return a, fl
    if not (is_nan(a, ft) or is_inf(a, ft)):
        r2, f2 = round_int(a, ft, fpcr, mode, True)
        r = to_f64(r2, ft)
        if r < lim and r >= -lim:
            return r2, fl | f2
    if ft == FT_D:
        return b64(-lim), fl | IOC
    return b32(F32(-lim)), fl | IOC


@njit
def convert(a, ft_from, ft_to, fpcr):
    """FCVT between precisions: (bits, flags). FPCR.AHP selects the alternative half-precision
    format (no infinities or NaNs, exponent 31 is a normal binade) for half operands; FZ16 does
    not apply (FPConvert's FPUnpackCV and FPRoundCV clear it)."""
    fpcr &= ~U(1 << 19)
    ahp = (fpcr >> U(26)) & ONE
    if ahp and ft_from == FT_H:
        # alternative half: every encoding is a number
        e = I((a >> U(10)) & U(31))
        if e == 31:
            x = (1024.0 + F64(a & U(0x3FF))) * 64.0
            if a & U(0x8000):
                x = -x
            r, f2 = from_f64(x, ft_to, fpcr)
            return r, f2
        a = a & U(0xFFFF)
        if is_zero(a, ft_from):
            return (sign_bit(ft_to) if a & U(0x8000) else ZERO), ZERO
        r, f2 = from_f64(h_to_f64(a), ft_to, fpcr)
        return r, f2
    a, fl = flush_in(a, ft_from, fpcr)
    if ahp and ft_to == FT_H:
        sgn = U(0x8000) if a & sign_bit(ft_from) else ZERO
        if is_nan(a, ft_from):
            return sgn, fl | IOC
        if is_inf(a, ft_from):
            return sgn | U(0x7FFF), fl | IOC
        x = to_f64(a, ft_from)
        ax = abs(x)
        if ax >= 65536.0:
            # rounds into the top binade (AHP exponent 31) or beyond
            e = _exp64(ax)
            q = ax
            mode = fpcr_mode(fpcr)
            scaled = _ldexp(ax, 10 - e)
            if mode == RM_N:
                q = rint64(scaled)
            elif mode == RM_Z or (mode == RM_P and sgn) or (mode == RM_M and not sgn):
                q = trunc64(scaled)
            else:
                q = ceil64(scaled)
            if q >= 2048.0:
                e += 1
                q = 1024.0
            if e >= 17:
                return sgn | U(0x7FFF), fl | IOC
            mag = U(0x7C00) | (U(I(q)) - U(1024))
            f3 = IXC if q != scaled else ZERO
            return sgn | mag, fl | f3
        r, f2 = from_f64(x, ft_to, fpcr & ~U(1 << 26))
        if (r & U(0x7FFF)) == U(0x7C00):
            # rounded up to 2**16: still a number in the alternative format
            return r, fl | (f2 & ~OFC)
        return r, fl | f2
    if is_nan(a, ft_from):
        if (fpcr >> U(25)) & ONE:
            return default_nan(ft_to), fl | (IOC if is_snan(a, ft_from) else ZERO)
        # FPConvertNaN: keep sign and the top fraction bits, set the quiet bit
        sgn = sign_bit(ft_to) if a & sign_bit(ft_from) else ZERO
        ff = fbits_(ft_from)
        ft_ = fbits_(ft_to)
        frac = a & ((ONE << U(ff)) - ONE)
        if ff > ft_:
            frac >>= U(ff - ft_)
        else:
            frac <<= U(ft_ - ff)
        r = sgn | inf_bits(ft_to) | frac | qbit(ft_to)
        return r, fl | (IOC if is_snan(a, ft_from) else ZERO)
    x = to_f64(a, ft_from)
    r, f2 = from_f64(x, ft_to, fpcr)
    return r, fl | f2


@njit
def to_int(a, ft, fpcr, mode, unsigned, bits, fbits):
    """FPToFixed: round a * 2**fbits in `mode` to a `bits`-wide (32/64) integer, saturating:
    (uint64 result, flags)."""
    a, fl = flush_in(a, ft, fpcr)
    if is_nan(a, ft):
        return ZERO, fl | IOC
    x = to_f64(a, ft)
    if fbits:
        x = _ldexp(x, fbits) if not np.isinf(x) else x
    if mode == RM_N:
        r = rint64(x)
    elif mode == RM_P:
        r = ceil64(x)
    elif mode == RM_M:
        r = floor64(x)
    elif mode == RM_Z:
        r = trunc64(x)
    else:
        r = round64(x)
    if unsigned:
        lim = 18446744073709551616.0 if bits == 64 else 4294967296.0
        if r >= lim:
            return (U(0xFFFFFFFFFFFFFFFF) >> U(64 - bits)), fl | IOC
        if r < 0.0:
            return ZERO, fl | IOC
        if r >= 9223372036854775808.0:
            v = U(I(r - 9223372036854775808.0)) | U(0x8000000000000000)
        else:
            v = U(I(r))
    else:
        lim = 9223372036854775808.0 if bits == 64 else 2147483648.0
        if r >= lim:
            return U(I(lim - 1.0)) if bits == 32 else U(0x7FFFFFFFFFFFFFFF), fl | IOC
        if r < -lim:
            return (U(0x8000000000000000) if bits == 64 else U(0x80000000)), fl | IOC
        v = U(I(r))
        if bits == 32:
            v &= U(0xFFFFFFFF)
    if r != x:
        fl |= IXC
    return v, fl


@njit
def from_int(v, signed, bits, ft, fpcr, fbits):
    """FixedToFP: the `bits`-wide integer v (uint64 bits) / 2**fbits rounded to format ft."""
    if bits == 32:
        v &= U(0xFFFFFFFF)
        if signed and (v >> U(31)):
            v |= U(0xFFFFFFFF00000000)
    neg = signed and (v >> U(63)) == ONE
    mag = (ZERO - v) if neg else v          # |v| as uint64 (2**63 for INT64_MIN)
    if ft == FT_D:
        r = F64(mag)
        # exact sign of mag - r
        if r >= 18446744073709551616.0:
            es = I(-1)
        else:
            rv = U(r)
            es = I(1) if mag > rv else (I(-1) if mag < rv else I(0))
        if fbits:
            r = _ldexp(r, -fbits)
        if neg:
            r = -r
            es = -es
        return finish(b64(r), es, ft, fpcr, False)
    if ft == FT_S:
        rs = F32(mag)
        rsd = F64(rs)
        if rsd >= 18446744073709551616.0:
            es = I(-1)
        else:
            rv = U(rsd)
            es = I(1) if mag > rv else (I(-1) if mag < rv else I(0))
        if fbits:
            rs = F32(_ldexp(rsd, -fbits))
        if neg:
            rs = -rs
            es = -es
        return finish(b32(rs), es, ft, fpcr, False)
    # half: through a double (exact when mag < 2**53, else via sticky bit)
    m2 = mag
    if m2 >> U(53):
        sh = U(64 - 53)
        m2 = (mag >> sh) << sh
        if mag & ((ONE << sh) - ONE):
            m2 |= ONE << sh       # sticky below the half's precision
    xd = _ldexp(F64(m2), -fbits)
    if neg:
        xd = -xd
    return from_f64(xd, ft, fpcr)


@njit
def compare(a, b, ft, fpcr, signal):
    """FPCompare: (nzcv 4-bit, flags)."""
    a, f1 = flush_in(a, ft, fpcr)
    b, f2 = flush_in(b, ft, fpcr)
    fl = f1 | f2
    if is_nan(a, ft) or is_nan(b, ft):
        if signal or is_snan(a, ft) or is_snan(b, ft):
            fl |= IOC
        return U(3), fl
    x = to_f64(a, ft)
    y = to_f64(b, ft)
    if x == y:
        return U(6), fl
    if x < y:
        return U(8), fl
    return U(2), fl


# ----- register access for scalar FP -----
@njit
def rf(c, n, ft):
    return v_lo(c, n) & fmask(ft)


@njit
def wf(c, n, v):
    set_v(c, n, v, ZERO)


# ----- scalar FP helpers -----
@njit
def fp_dp2(c, op, rd, rn, rm, ft):
    """FADD FSUB FMUL FDIV FMAX FMIN FMAXNM FMINNM FNMUL (scalar)."""
    fpcr = fpcr_of(c)
    a = rf(c, rn, ft)
    b = rf(c, rm, ft)
    if op <= OP_DIV and ft != FT_H and (fpcr & FAST_FPCR) == ZERO and _mid_exp(a, ft) \
            and _mid_exp(b, ft):
        r, ix = fast2(op, a, b, ft)
        if ix:
            add_flags(c, IXC)
        wf(c, rd, r)
        return
    r, fl = arith2(op, a, b, ft, fpcr)
    add_flags(c, fl)
    wf(c, rd, r)


@njit
def fp_dp3(c, rd, rn, rm, ra, ft, o1o0):
    """FMADD (0), FMSUB (1), FNMADD (2), FNMSUB (3)."""
    sb = sign_bit(ft)
    a = rf(c, ra, ft)
    n = rf(c, rn, ft)
    if o1o0 == 1 or o1o0 == 2:
        n ^= sb
    if o1o0 >= 2:
        a ^= sb
    r, fl = muladd(a, n, rf(c, rm, ft), ft, fpcr_of(c))
    add_flags(c, fl)
    wf(c, rd, r)


(U_MOV, U_ABS, U_NEG, U_SQRT, U_CVT, U_RINTN, U_RINTP, U_RINTM, U_RINTZ, U_RINTA, U_RINTX,
 U_RINTI, U_RINT32Z, U_RINT32X, U_RINT64Z, U_RINT64X) = range(16)


@njit
def fp_dp1(c, op, rd, rn, ft, ft2):
    """FMOV/FABS/FNEG/FSQRT/FCVT (to ft2)/FRINTN/P/M/Z/A/X/I (scalar)."""
    a = rf(c, rn, ft)
    fl = ZERO
    if op == U_MOV:
        r = a
    elif op == U_ABS:
        r = a & ~sign_bit(ft)
    elif op == U_NEG:
        r = a ^ sign_bit(ft)
    elif op == U_SQRT:
        r, fl = fsqrt(a, ft, fpcr_of(c))
    elif op == U_CVT:
        r, fl = convert(a, ft, ft2, fpcr_of(c))
    elif op >= U_RINT32Z:
        r, fl = round_int_n(a, ft, fpcr_of(c), RM_Z if (op & 1) == 0 else I(-1),
                            32 if op <= U_RINT32X else 64)
    else:
        r, fl = round_int(a, ft, fpcr_of(c), I(-1) if op >= U_RINTX else I(op - U_RINTN),
                          op == U_RINTX)
    add_flags(c, fl)
    wf(c, rd, r)


@njit
def fp_cmp(c, rn, rm, ft, zero, signal):
    """FCMP/FCMPE (register or #0.0)."""
    b = ZERO if zero else rf(c, rm, ft)
    nzcv, fl = compare(rf(c, rn, ft), b, ft, fpcr_of(c), signal)
    add_flags(c, fl)
    set_nzcv_bits(c, nzcv)


@njit
def fp_ccmp(c, rn, rm, ft, nzcv, cond, signal):
    """FCCMP/FCCMPE."""
    if cond_holds(c, cond):
        f, fl = compare(rf(c, rn, ft), rf(c, rm, ft), ft, fpcr_of(c), signal)
        add_flags(c, fl)
        set_nzcv_bits(c, f)
    else:
        set_nzcv_bits(c, nzcv)


@njit
def fp_csel(c, rd, rn, rm, cond, ft):
    if cond_holds(c, cond):
        wf(c, rd, rf(c, rn, ft))
    else:
        wf(c, rd, rf(c, rm, ft))


@njit
def fp_to_int(c, rd, rn, ft, sf, mode_u, fbits):
    """FCVT[NPMZA][SU] (scalar, to a general register) and FCVTZ[SU] (fixed-point):
    mode_u = rounding mode (RM_*) | unsigned << 3."""
    v, fl = to_int(rf(c, rn, ft), ft, fpcr_of(c), mode_u & 7, (mode_u >> 3) & 1,
                   64 if sf else 32, fbits)
    add_flags(c, fl)
    wreg(c, rd, v, sf)


@njit
def int_to_fp(c, rd, rn, ft, sf, unsigned, fbits):
    """SCVTF/UCVTF (scalar, from a general register; fixed-point with fbits)."""
    r, fl = from_int(rx(c, rn), not unsigned, 64 if sf else 32, ft, fpcr_of(c), fbits)
    add_flags(c, fl)
    wf(c, rd, r)


@njit
def fp_jcvt(c, rd, rn):
    """FJCVTZS: double -> int32 toward zero, modulo 2**32; Z set when exact and in range."""
    fpcr = fpcr_of(c)
    a0 = v_lo(c, rn)
    a, fl = flush_in(a0, FT_D, fpcr)
    z = 1
    res = ZERO
    if is_nan(a, FT_D) or is_inf(a, FT_D):
        fl |= IOC
        z = 0
    else:
        x = f64(a)
        t = trunc64(x)
        at = abs(t)
        e = _exp64(at) if at != 0.0 else I(0)
        if at < 9223372036854775808.0:
            m = U(I(at))
        elif e >= 84:
            m = ZERO
        else:
            m = ((a & U(0xFFFFFFFFFFFFF)) | U(0x10000000000000)) << U(e - 52)
        if t < 0.0:
            m = ZERO - m
        res = m & U(0xFFFFFFFF)
        if t >= 2147483648.0 or t < -2147483648.0:
            fl |= IOC
            z = 0
        elif t != x:
            fl |= IXC
            z = 0
        elif x == 0.0 and a >> U(63):
            z = 0
        elif x == 0.0 and (a0 & U(0xFFFFFFFFFFFFF)) != ZERO:
            z = 0
    add_flags(c, fl)
    wreg(c, rd, res, 0)
    set_nzcv_bits(c, U(z << 2))


FM_TO_GEN, FM_FROM_GEN, FM_TO_GEN_HI, FM_FROM_GEN_HI = range(4)


@njit
def fmov_gen(c, rd, rn, ft, sf, kind):
    """FMOV between general and FP registers (incl. Vn.D[1])."""
    if kind == FM_TO_GEN:
        wreg(c, rd, v_lo(c, rn) & fmask(ft), sf)
    elif kind == FM_FROM_GEN:
        set_v(c, rd, rx(c, rn) & fmask(ft), ZERO)
    elif kind == FM_TO_GEN_HI:
        wreg(c, rd, v_hi(c, rn), 1)
    else:
        set_v(c, rd, v_lo(c, rd), rx(c, rn))


# ===== AdvSIMD floating point (vector, and scalar forms with q=2) =====
@njit
def _esize(ft):
    """AdvSIMD element size code of an FP format: S -> 2, D -> 3, H -> 1."""
    if ft == FT_D:
        return 3
    if ft == FT_S:
        return 2
    return 1


VOP_FMLA, VOP_FMLS, VOP_RECPS, VOP_RSQRTS = 16, 17, 18, 19


@njit
def _half_exact(r, ft):
    """r / 2 for FRSQRTS (exact outside the subnormal range)."""
    if is_nan(r, ft) or is_inf(r, ft) or is_zero(r, ft):
        return r
    e = (r >> U(fbits_(ft))) & (inf_bits(ft) >> U(fbits_(ft)))
    if e > ONE:
        return r - (ONE << U(fbits_(ft)))
    x = to_f64(r, ft) * 0.5
    rb, f = from_f64(x, ft, U(0))
    return rb


@njit
def fp3_elem(op, a, b, d, ft, fpcr):
    """One element of an AdvSIMD FP three-same operation: (bits, flags)."""
    if op <= OP_DIV and ft != FT_H and (fpcr & FAST_FPCR) == ZERO and _mid_exp(a, ft) \
            and _mid_exp(b, ft):
        r, ix = fast2(op, a, b, ft)
        return r, (IXC if ix else ZERO)
    if op < VOP_FMLA:
        return arith2(op, a, b, ft, fpcr)
    sb = sign_bit(ft)
    if op == VOP_FMLA:
        return muladd(d, a, b, ft, fpcr)
    if op == VOP_FMLS:
        return muladd(d, a ^ sb, b, ft, fpcr)
    # FRECPS / FRSQRTS: 2 - a*b, (3 - a*b) / 2, fused
    a, f1 = flush_in(a, ft, fpcr)
    b, f2 = flush_in(b, ft, fpcr)
    na = a ^ sb
    isn, nb, nf = process_nans2(na, b, ft, fpcr)
    if isn:
        return nb, f1 | f2 | nf
    if (is_inf(a, ft) and is_zero(b, ft)) or (is_zero(a, ft) and is_inf(b, ft)):
        if op == VOP_RECPS:
            return from_f64(2.0, ft, fpcr)[0], f1 | f2
        return from_f64(1.5, ft, fpcr)[0], f1 | f2
    if op == VOP_RECPS:
        k, fk = from_f64(2.0, ft, fpcr)
        r, fl = muladd(k, na, b, ft, fpcr)
        return r, fl | f1 | f2
    # (3 - a*b) / 2 = 1.5 - (a/2)*b with one rounding: halve an operand exactly
    fb = U(fbits_(ft))
    emask_ = inf_bits(ft)
    if (na & emask_) > (ONE << fb) and not is_inf(na, ft):
        k, fk = from_f64(1.5, ft, fpcr)
        r, fl = muladd(k, na - (ONE << fb), b, ft, fpcr)
    elif (b & emask_) > (ONE << fb) and not is_inf(b, ft):
        k, fk = from_f64(1.5, ft, fpcr)
        r, fl = muladd(k, na, b - (ONE << fb), ft, fpcr)
    else:
        k, fk = from_f64(3.0, ft, fpcr)
        r, fl = muladd(k, na, b, ft, fpcr)
        r = _half_exact(r, ft)
    return r, fl | f1 | f2


@njit
def simd_fp3(c, op, rd, rn, rm, ft, q):
    """FADD FSUB FMUL FDIV FMAX FMIN FMAXNM FMINNM FMULX FABD FMLA FMLS FRECPS FRSQRTS
    (vector, and scalar with q=2)."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for i in range(nelem(size, q)):
        r, f = fp3_elem(op, eget(nlo, nhi, i, size), eget(mlo, mhi, i, size),
                        eget(dlo, dhi, i, size), ft, fpcr)
        fl |= f
        lo, hi = eput(lo, hi, i, size, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)


FC_EQ, FC_GE, FC_GT, FAC_GE, FAC_GT, FC_EQ0, FC_GE0, FC_GT0, FC_LE0, FC_LT0 = range(10)


@njit
def fpcmp_elem(op, a, b, ft, fpcr):
    """One element of an FP compare: (true, flags)."""
    a, f1 = flush_in(a, ft, fpcr)
    b, f2 = flush_in(b, ft, fpcr)
    fl = f1 | f2
    if op >= FC_EQ0:
        b = ZERO
    if op == FAC_GE or op == FAC_GT:
        a &= ~sign_bit(ft)
        b &= ~sign_bit(ft)
    if op == FC_LE0 or op == FC_LT0:
        a, b = b, a
    if is_nan(a, ft) or is_nan(b, ft):
        if op == FC_EQ or op == FC_EQ0:
            if is_snan(a, ft) or is_snan(b, ft):
                fl |= IOC
        else:
            fl |= IOC
        return False, fl
    x = to_f64(a, ft)
    y = to_f64(b, ft)
    if op == FC_EQ or op == FC_EQ0:
        return x == y, fl
    if op == FC_GE or op == FAC_GE or op == FC_GE0 or op == FC_LE0:
        return x >= y, fl
    return x > y, fl


@njit
def simd_fpcmp(c, op, rd, rn, rm, ft, q):
    """FCMEQ FCMGE FCMGT FACGE FACGT (register) and FCMEQ/GE/GT/LE/LT (zero)."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    mlo = v_lo(c, rm)
    mhi = v_hi(c, rm)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for i in range(nelem(size, q)):
        t, f = fpcmp_elem(op, eget(nlo, nhi, i, size), eget(mlo, mhi, i, size), ft, fpcr)
        fl |= f
        if t:
            lo, hi = eput(lo, hi, i, size, emask(size))
    add_flags(c, fl)
    set_v(c, rd, lo, hi)


@njit
def simd_fppair(c, op, rd, rn, rm, ft, q):
    """FADDP FMAXP FMINP FMAXNMP FMINNMP (vector q=0/1; scalar pairwise q=2: the two elements
    of Vn) and FMAXV FMINV FMAXNMV FMINNMV (q=3: across Vn, q=4: across its low half)."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    alo = v_lo(c, rn)
    ahi = v_hi(c, rn)
    blo = v_lo(c, rm)
    bhi = v_hi(c, rm)
    if q <= 1:              # pairs of the concatenation Vm:Vn, one level
        nn = nelem(size, q)
        total = 2 * nn
        once = True
    elif q == 2:            # the two low elements of Vn
        nn = 2
        total = 2
        once = True
    else:                   # pairwise tree over Vn (q=3) or its low half (q=4)
        nn = nelem(size, 1 if q == 3 else 0)
        total = nn
        once = False
    fl = ZERO
    while True:
        lo = ZERO
        hi = ZERO
        for i in range(total >> 1):
            j = 2 * i
            if j < nn:
                x = eget(alo, ahi, j, size)
                y = eget(alo, ahi, j + 1, size)
            else:
                x = eget(blo, bhi, j - nn, size)
                y = eget(blo, bhi, j - nn + 1, size)
            r, f = arith2(op, x, y, ft, fpcr)
            fl |= f
            lo, hi = eput(lo, hi, i, size, r)
        total >>= 1
        if once or total <= 1:
            break
        alo = lo
        ahi = hi
        nn = total
    add_flags(c, fl)
    set_v(c, rd, lo, hi)


U_RECPX, U_RECPE, U_RSQRTE, U_URECPE, U_URSQRTE = 16, 17, 18, 19, 20


@njit
def recip_estimate(a):
    """RecipEstimate: a in 256..511 (0.5 <= x < 1 in 1/512 steps) -> 256..511."""
    a = a * 2 + 1
    b = (1 << 19) // a
    return (b + 1) // 2


@njit
def rsqrt_estimate(a):
    """RecipSqrtEstimate: a in 128..511 (0.25 <= x < 1) -> 256..511."""
    if a < 256:
        a = a * 2 + 1
    else:
        a = (a >> 1) << 1
        a = (a + 1) * 2
    # b = the largest integer with a * b * b < 2**28 (then b >= 512)
    b = I(np.sqrt(F64(1 << 28) / F64(a))) + 1
    while a * b * b >= (1 << 28):
        b -= 1
    while a * (b + 1) * (b + 1) < (1 << 28):
        b += 1
    if b < 512:
        b = 512
    return (b + 1) // 2


@njit
def _recpe(a, ft, fpcr):
    """FRECPE (FPRecipEstimate)."""
    a, fl = flush_in(a, ft, fpcr)
    sb = a & sign_bit(ft)
    if is_nan(a, ft):
        return nan_result(a, ft, fpcr), fl | (IOC if is_snan(a, ft) else ZERO)
    if is_inf(a, ft):
        return sb, fl
    if is_zero(a, ft):
        return sb | inf_bits(ft), fl | DZC
    n = nbits(ft)
    fb = fbits_(ft)
    x = abs(to_f64(a, ft))
    small = 1.52587890625e-05 if n == 16 else (2.938735877055719e-39 if n == 32 else
                                              5.562684646268003e-309)
    if x < small:
        mode = fpcr_mode(fpcr)
        to_inf = mode == RM_N or (mode == RM_P and sb == ZERO) or (mode == RM_M and sb != ZERO)
        r = sb | (inf_bits(ft) if to_inf else inf_bits(ft) - ONE)
        return r, fl | OFC | IXC
    big = 16384.0 if n == 16 else (8.507059173023462e+37 if n == 32 else 4.49423283715579e+307)
    if flushing(fpcr, ft) and x >= big:
        return sb, fl | UFC
    frac = (a & ((ONE << U(fb)) - ONE)) << U(52 - fb)
    exp = I((a >> U(fb)) & (inf_bits(ft) >> U(fb)))
    if exp == 0:
        if (frac >> U(51)) & ONE == ZERO:
            exp = I(-1)
            frac = (frac << U(2)) & U(0xFFFFFFFFFFFFF)
        else:
            frac = (frac << ONE) & U(0xFFFFFFFFFFFFF)
    scaled = I(U(256) | (frac >> U(44)))
    if n == 16:
        rexp = 29 - exp
    elif n == 32:
        rexp = 253 - exp
    else:
        rexp = 2045 - exp
    est = recip_estimate(scaled)
    frac = (U(est) & U(0xFF)) << U(44)
    if rexp == 0:
        frac = (ONE << U(51)) | (frac >> ONE)
    elif rexp == -1:
        frac = (ONE << U(50)) | (frac >> U(2))
        rexp = 0
    return sb | (U(rexp) << U(fb)) | (frac >> U(52 - fb)), fl


@njit
def _rsqrte(a, ft, fpcr):
    """FRSQRTE (FPRSqrtEstimate)."""
    a, fl = flush_in(a, ft, fpcr)
    sb = a & sign_bit(ft)
    if is_nan(a, ft):
        return nan_result(a, ft, fpcr), fl | (IOC if is_snan(a, ft) else ZERO)
    if is_zero(a, ft):
        return sb | inf_bits(ft), fl | DZC
    if sb:
        return default_nan(ft), fl | IOC
    if is_inf(a, ft):
        return ZERO, fl
    n = nbits(ft)
    fb = fbits_(ft)
    frac = (a & ((ONE << U(fb)) - ONE)) << U(52 - fb)
    exp = I((a >> U(fb)) & (inf_bits(ft) >> U(fb)))
    if exp == 0:
        while (frac >> U(51)) & ONE == ZERO:
            frac = (frac << ONE) & U(0xFFFFFFFFFFFFF)
            exp -= 1
        frac = (frac << ONE) & U(0xFFFFFFFFFFFFF)
    if exp & 1 == 0:
        scaled = I(U(256) | (frac >> U(44)))
    else:
        scaled = I(U(128) | (frac >> U(45)))
    if n == 16:
        rexp = (44 - exp) // 2
    elif n == 32:
        rexp = (380 - exp) // 2
    else:
        rexp = (3068 - exp) // 2
    est = rsqrt_estimate(scaled)
    return (U(rexp) << U(fb)) | ((U(est) & U(0xFF)) << U(fb - 8)), fl


@njit
def _urecpe(a, sqrt):
    """URECPE / URSQRTE on a 32-bit element."""
    if sqrt:
        if (a >> U(30)) == ZERO:
            return U(0xFFFFFFFF)
        return U(rsqrt_estimate(I(a >> U(23)))) << U(23)
    if (a >> U(31)) == ZERO:
        return U(0xFFFFFFFF)
    return U(recip_estimate(I(a >> U(23)))) << U(23)


@njit
def _recpx(a, ft, fpcr):
    """FRECPX: exponent-only reciprocal estimate."""
    a, fl = flush_in(a, ft, fpcr)
    if is_nan(a, ft):
        return nan_result(a, ft, fpcr), fl | (IOC if is_snan(a, ft) else ZERO)
    sb = a & sign_bit(ft)
    fb = U(fbits_(ft))
    emax = inf_bits(ft) >> fb
    e = (a >> fb) & emax
    if e == ZERO:
        return sb | ((emax - ONE) << fb), fl
    return sb | ((~e & emax) << fb), fl


@njit
def fpmisc_elem(op, a, ft, fpcr):
    if op == U_ABS:
        return a & ~sign_bit(ft), ZERO
    if op == U_NEG:
        return a ^ sign_bit(ft), ZERO
    if op == U_SQRT:
        return fsqrt(a, ft, fpcr)
    if op == U_RECPX:
        return _recpx(a, ft, fpcr)
    if op == U_RECPE:
        return _recpe(a, ft, fpcr)
    if op == U_RSQRTE:
        return _rsqrte(a, ft, fpcr)
    if op == U_URECPE or op == U_URSQRTE:
        return _urecpe(a, op == U_URSQRTE), ZERO
    if op >= U_RINT32Z:
        return round_int_n(a, ft, fpcr, RM_Z if (op & 1) == 0 else I(-1),
                           32 if op <= U_RINT32X else 64)
    return round_int(a, ft, fpcr, I(-1) if op >= U_RINTX else I(op - U_RINTN), op == U_RINTX)


@njit
def simd_fpmisc(c, op, rd, rn, ft, q):
    """FABS FNEG FSQRT FRINTN/P/M/Z/A/X/I FRINT32/64Z/X (vector), FRECPE FRSQRTE (vector and
    scalar), URECPE URSQRTE (vector, 32-bit), FRECPX (scalar)."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for i in range(nelem(size, q)):
        r, f = fpmisc_elem(op, eget(nlo, nhi, i, size), ft, fpcr)
        fl |= f
        lo, hi = eput(lo, hi, i, size, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)


CV_SCVTF, CV_UCVTF = 16, 17


@njit
def simd_fpcvt(c, op, rd, rn, ft, q, fbits):
    """FCVT[NPMZA][SU] (op = mode | unsigned << 3), SCVTF (16), UCVTF (17), vector or scalar
    (q=2), with fbits for the fixed-point forms. Integers are as wide as the FP elements."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    bits = 8 << size
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for i in range(nelem(size, q)):
        e = eget(nlo, nhi, i, size)
        if op >= CV_SCVTF:
            if bits == 16:
                v = e
                if op == CV_SCVTF and (v >> U(15)):
                    v |= U(0xFFFFFFFFFFFF0000)
                r, f = from_int(v, op == CV_SCVTF, 64, ft, fpcr, fbits)
            else:
                r, f = from_int(e, op == CV_SCVTF, bits, ft, fpcr, fbits)
        else:
            if bits == 16:
                r, f = to_int(e, ft, fpcr, op & 7, (op >> 3) & 1, 32, fbits)
                # saturate the 32-bit result to 16 bits
                if (op >> 3) & 1:
                    if r > U(0xFFFF):
                        r = U(0xFFFF)
                        f = (f & ~IXC) | IOC
                else:
                    sr = I(r << U(32)) >> I(32)
                    if sr > I(32767):
                        r = U(0x7FFF)
                        f = (f & ~IXC) | IOC
                    elif sr < I(-32768):
                        r = U(0x8000)
                        f = (f & ~IXC) | IOC
            else:
                r, f = to_int(e, ft, fpcr, op & 7, (op >> 3) & 1, bits, fbits)
        fl |= f
        lo, hi = eput(lo, hi, i, size, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)


@njit
def convert_bf(a, fpcr):
    """FPConvertBF: single bits -> BFloat16 bits in FPCR's rounding mode: (bits, flags)."""
    a, fl = flush_in(a, FT_S, fpcr)
    if is_nan(a, FT_S):
        if is_snan(a, FT_S):
            fl |= IOC
        return nan_result(a, FT_S, fpcr) >> U(16), fl
    t = a >> U(16)
    low = a & U(0xFFFF)
    if (a & U(0x7F800000)) == U(0x7F800000) or low == ZERO:
        return t, fl                # infinities, zeros and exact values
    # the BFloat16 grid is the single's bit pattern cut at bit 16, across denormals, binades
    # and the step to infinity alike
    mode = fpcr_mode(fpcr)
    neg = a >> U(31)
    if mode == RM_N:
        up = low > U(0x8000) or (low == U(0x8000) and t & ONE)
    elif mode == RM_P:
        up = neg == ZERO
    elif mode == RM_M:
        up = neg != ZERO
    else:
        up = False
    fl |= IXC
    if (a & U(0x7F800000)) == ZERO:
        fl |= UFC                   # tiny before rounding
    if up:
        t += ONE
        if (t & U(0x7FFF)) == U(0x7F80):
            fl |= OFC
    return t, fl


CL_FCVTL, CL_FCVTN, CL_FCVTXN, CL_BFCVTN = 0, 1, 2, 3


@njit
def simd_fpcvt_len(c, op, rd, rn, sz, q):
    """FCVTL/FCVTL2 (widen: sz 0 = H->S, 1 = S->D), FCVTN/FCVTN2 (narrow: sz 0 = S->H,
    1 = D->S), FCVTXN/FCVTXN2 (D->S round to odd), BFCVTN/BFCVTN2 (S->BFloat16, sz 0);
    q=2: the scalar FCVTXN or BFCVT."""
    fpcr = fpcr_of(c)
    small = FT_H if sz == 0 else FT_S
    big = FT_S if sz == 0 else FT_D
    ssz = 1 if sz == 0 else 2
    n = 4 if sz == 0 else 2
    fl = ZERO
    if op == CL_FCVTL:
        src = v_hi(c, rn) if q else v_lo(c, rn)
        lo = ZERO
        hi = ZERO
        for i in range(n):
            e = eget(src, ZERO, i, ssz)
            r, f = convert(e, small, big, fpcr)
            fl |= f
            lo, hi = eput(lo, hi, i, ssz + 1, r)
        add_flags(c, fl)
        set_v(c, rd, lo, hi)
        return
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    res = ZERO
    cnt = 1 if q == 2 else n
    for i in range(cnt):
        e = eget(nlo, nhi, i, ssz + 1)
        if op == CL_FCVTXN:
            r, f = convert(e, big, small, (fpcr & ~U(3 << 22)) | U(RM_Z << 22))
            if f & IXC:
                r |= ONE
        elif op == CL_BFCVTN:
            r, f = convert_bf(e, fpcr)
        else:
            r, f = convert(e, big, small, fpcr)
        fl |= f
        res, dummy = eput(res, ZERO, i, ssz, r)
    add_flags(c, fl)
    if q == 1:
        set_v(c, rd, v_lo(c, rd), res)
    else:
        set_v(c, rd, res, ZERO)


FE_MUL, FE_MLA, FE_MLS, FE_MULX = range(4)


@njit
def simd_fp_elem(c, op, rd, rn, rm, ft, idxq):
    """FMUL FMLA FMLS FMULX (by element; vector q=0/1 or scalar q=2): idxq = index << 2 | q."""
    fpcr = fpcr_of(c)
    size = _esize(ft)
    q = idxq & 3
    b = eget(v_lo(c, rm), v_hi(c, rm), idxq >> 2, size)
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    dlo = v_lo(c, rd)
    dhi = v_hi(c, rd)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    sb = sign_bit(ft)
    aop = OP_MULX if op == FE_MULX else OP_MUL
    neg = sb if op == FE_MLS else ZERO
    for i in range(nelem(size, q)):
        a = eget(nlo, nhi, i, size)
        if op == FE_MUL or op == FE_MULX:
            r, f = arith2(aop, a, b, ft, fpcr)
        else:
            r, f = muladd(eget(dlo, dhi, i, size), a ^ neg, b, ft, fpcr)
        fl |= f
        lo, hi = eput(lo, hi, i, size, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)
