"""Complex-number arithmetic (FEAT_FCMA): FCMLA (vector and by element) and FCADD.

Even elements are real parts, odd elements imaginary parts. Each step is the Arm ARM's: the
operand of Vm is negated with FPNeg (a sign flip, NaNs included, so a propagated NaN of Vm keeps
the flipped sign) and then FPMulAdd(addend = Vd, Vn's element, Vm's) or FPAdd(Vn's element,
Vm's), with FPCR and FPSR as for FMLA and FADD.
"""
from numba import njit

from .common import ZERO, set_v, v_three
from .fp import OP_ADD, _esize, add_flags, arith2, fpcr_of, muladd, sign_bit
from .simd import eget, eput, nelem

FC_MLA, FC_ADD = 0, 1


@njit
def simd_fcma(c, op, rd, rn, rm, ft, rqi):
    """FCMLA (FC_MLA) and FCADD (FC_ADD). rqi: bits 1:0 the rotation (FCMLA: 0, 90, 180, 270
    degrees; FCADD: 0 = 90, 1 = 270), bit 2 Q, bits 7:3 one more than the index of Vm's
    complex pair for FCMLA by element (0: the vector form)."""
    rot = rqi & 3
    q = (rqi >> 2) & 1
    idx = (rqi >> 3) - 1
    fpcr = fpcr_of(c)
    size = _esize(ft)
    sb = sign_bit(ft)
    dlo, dhi, nlo, nhi, mlo, mhi = v_three(c, rd, rn, rm)
    lo = ZERO
    hi = ZERO
    fl = ZERO
    for e in range(nelem(size, q) >> 1):
        me = e if idx < 0 else idx
        nr = eget(nlo, nhi, 2 * e, size)
        ni = eget(nlo, nhi, 2 * e + 1, size)
        mr = eget(mlo, mhi, 2 * me, size)
        mi = eget(mlo, mhi, 2 * me + 1, size)
        if op == FC_ADD:
            if rot == 0:
                r0, f0 = arith2(OP_ADD, nr, mi ^ sb, ft, fpcr)
                r1, f1 = arith2(OP_ADD, ni, mr, ft, fpcr)
            else:
                r0, f0 = arith2(OP_ADD, nr, mi, ft, fpcr)
                r1, f1 = arith2(OP_ADD, ni, mr ^ sb, ft, fpcr)
        else:
            dr = eget(dlo, dhi, 2 * e, size)
            di = eget(dlo, dhi, 2 * e + 1, size)
            if rot == 0:            # d + n.re * m
                r0, f0 = muladd(dr, nr, mr, ft, fpcr)
                r1, f1 = muladd(di, nr, mi, ft, fpcr)
            elif rot == 1:          # d + n.im * i*m
                r0, f0 = muladd(dr, ni, mi ^ sb, ft, fpcr)
                r1, f1 = muladd(di, ni, mr, ft, fpcr)
            elif rot == 2:          # d - n.re * m
                r0, f0 = muladd(dr, nr, mr ^ sb, ft, fpcr)
                r1, f1 = muladd(di, nr, mi ^ sb, ft, fpcr)
            else:                   # d - n.im * i*m
                r0, f0 = muladd(dr, ni, mi, ft, fpcr)
                r1, f1 = muladd(di, ni, mr ^ sb, ft, fpcr)
        fl |= f0 | f1
        lo, hi = eput(lo, hi, 2 * e, size, r0)
        lo, hi = eput(lo, hi, 2 * e + 1, size, r1)
    add_flags(c, fl)
    set_v(c, rd, lo, hi)
