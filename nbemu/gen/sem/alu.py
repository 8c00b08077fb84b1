"""Integer data-processing semantics (immediate and register forms)."""
from numba import njit

from .common import ONE, U, ZERO, add_with_carry, rreg, rx, rxsp, set_nzcv, wreg, wregsp


@njit
def add_sub_imm(c, rd, rn, imm, sf, sub, setflags):
    """ADD/ADDS/SUB/SUBS (immediate): Rn and (without S) Rd may be SP."""
    x = rxsp(c, rn)
    y = U(imm)
    if sub:
        r, n, z, cf, v = add_with_carry(x, ~y, ONE, sf)
    else:
        r, n, z, cf, v = add_with_carry(x, y, ZERO, sf)
    if setflags:
        set_nzcv(c, n, z, cf, v)
        wreg(c, rd, r, sf)
    else:
        wregsp(c, rd, r, sf)


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
