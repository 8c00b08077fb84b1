"""Widening half-precision multiply-add (FEAT_FHM): FMLAL, FMLSL, FMLAL2, FMLSL2, vector and by
element. A module of its own because its arithmetic is neither half nor single: the Arm ARM's
FPMulAddH takes half operands and a single addend and result.

Each single element e of Vd becomes FPMulAddH(Vd[e], Vn.H[base + e], Vm.H[base + e or index]):
the halves are widened exactly to single (every half, denormals included, is a normal single;
FPUnpack flushes a half denormal to a signed zero under FPCR.FZ16 without raising IDC, and a
NaN keeps its payload and signalling bit, which the fused single multiply-add then quiets or
replaces under DN, raising IOC for a signalling one), then one fused single multiply-add under
FPCR as FMLA .4S. FMLSL negates the Vn half with FPNeg first (a sign flip, NaNs too). base is 0
for FMLAL/FMLSL and half the halves used (2 for .2S, 4 for .4S) for the "2" forms, as QEMU 7.2's
do_fmlal/do_fmlal_idx load them.
"""
from numba import njit

from .common import U, ZERO, set_v, v_three
from .fp import FT_S, add_flags, fpcr_of, muladd
from .simd import eget, eput


@njit
def widen_half(h, fz16):
    """Half bits -> the single with the same value (FZ16: a denormal is a signed zero)."""
    sign = (h & U(0x8000)) << U(16)
    e = (h >> U(10)) & U(0x1F)
    frac = h & U(0x3FF)
    if e == U(0x1F):                # infinity or NaN, payload kept
        return sign | U(0x7F800000) | (frac << U(13))
    if e == ZERO:
        if frac == ZERO or fz16:
            return sign
        # a denormal: normalise; value frac * 2^-24
        ex = U(127 - 14)
        while frac & U(0x400) == ZERO:
            frac <<= U(1)
            ex -= U(1)
        return sign | (ex << U(23)) | ((frac & U(0x3FF)) << U(13))
    return sign | ((e + U(127 - 15)) << U(23)) | (frac << U(13))


@njit
def simd_fhm(c, rd, rn, rm, flags):
    """flags: bit 0 FMLSL (negate Vn), bit 1 the "2" form (upper halves), bit 2 Q,
    bits 7:3 one more than Vm's half index for the by-element form (0: the vector form)."""
    sub = flags & 1
    upper = (flags >> 1) & 1
    q = (flags >> 2) & 1
    idx = (flags >> 3) - 1
    fpcr = fpcr_of(c)
    fz16 = (fpcr >> U(19)) & U(1) != ZERO
    n = 2 << q                      # single elements of Vd
    base = n if upper else 0
    dlo, dhi, nlo, nhi, mlo, mhi = v_three(c, rd, rn, rm)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for e in range(n):
        hn = eget(nlo, nhi, base + e, 1)
        hm = eget(mlo, mhi, base + e if idx < 0 else idx, 1)
        if sub:
            hn ^= U(0x8000)
        r, f = muladd(eget(dlo, dhi, e, 2), widen_half(hn, fz16), widen_half(hm, fz16), FT_S,
                      fpcr)
        fl |= f
        lo, hi = eput(lo, hi, e, 2, r)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)
