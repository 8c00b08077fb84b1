"""FEAT_FlagM and FEAT_FlagM2: direct manipulation of NZCV (Arm ARM C6.2 CFINV, RMIF, SETF8,
SETF16, AXFLAG, XAFLAG). NZCV is held as the architectural register (N = bit 31 ... V = bit 28).
"""
from numba import njit

from .common import ONE, O_NZCV, U, get_nzcv, rx, set_nzcv
from nbemu.core.native import poke64

FL_CFINV, FL_AXFLAG, FL_XAFLAG = range(3)


@njit
def flag_op(c, op):
    """CFINV (C = NOT C); AXFLAG and XAFLAG convert between the Arm and the "external" FP
    comparison flag formats."""
    f = get_nzcv(c)
    z = (f >> U(30)) & ONE
    cf = (f >> U(29)) & ONE
    v = (f >> U(28)) & ONE
    if op == FL_CFINV:
        poke64(c + O_NZCV, f ^ (ONE << U(29)))
    elif op == FL_AXFLAG:
        set_nzcv(c, 0, z | v, cf & (v ^ ONE), 0)
    else:
        nc = cf ^ ONE
        set_nzcv(c, nc & (z ^ ONE), z & cf, cf | z, nc & z)


@njit
def rmif(c, rn, shift, mask):
    """RMIF: the flags named in mask (N, Z, C, V = bits 3..0) from bits 3..0 of Xn ROR shift."""
    x = rx(c, rn)
    if shift:
        x = (x >> U(shift)) | (x << U(64 - shift))
    m = U(mask) << U(28)
    f = get_nzcv(c)
    poke64(c + O_NZCV, (f & ~m) | ((x << U(28)) & m))


@njit
def setf(c, rn, bits):
    """SETF8 (bits 8) / SETF16 (bits 16): N = Wn<bits-1>, Z = (Wn<bits-1:0> == 0),
    V = Wn<bits> XOR Wn<bits-1>; C unchanged."""
    x = rx(c, rn)
    n = (x >> U(bits - 1)) & ONE
    z = U((x & ((ONE << U(bits)) - ONE)) == U(0))
    v = ((x >> U(bits)) & ONE) ^ n
    set_nzcv(c, n, z, (get_nzcv(c) >> U(29)) & ONE, v)
