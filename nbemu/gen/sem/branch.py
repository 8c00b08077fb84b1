"""Branch semantics. The PC already holds the fall-through address when these run, so a helper
writes PC only when it transfers control. Targets of PC-relative branches are decode-time
constants."""
from numba import njit

from .bti import check_target
from .common import U, ZERO, cond_holds, rx, set_pc, wx


@njit
def b(c, target):
    set_pc(c, U(target))


@njit
def bl(c, target, link):
    wx(c, 30, U(link))
    set_pc(c, U(target))


@njit
def b_cond(c, cond, target):
    if cond_holds(c, cond):
        set_pc(c, U(target))


@njit
def test_branch(c, rt, mask, nonzero, target):
    """CBZ/CBNZ (mask = 0xFFFFFFFF for W, all ones for X) and TBZ/TBNZ (mask = 1 << bit):
    branch when (Rt & mask) is zero (nonzero=0) or nonzero (nonzero=1). Rt 31 reads as ZR."""
    bits = rx(c, rt) & U(mask)
    if (bits != ZERO) == (nonzero != 0):
        set_pc(c, U(target))


@njit
def br_reg(c, rn, link, next_pc, btype):
    """BR, BLR (link=1: X30 = next_pc, the address after the branch) and RET. The target is read
    before X30 is written, so BLR X30 jumps to the old X30. Rn 31 reads as XZR. btype: the
    PSTATE.BTYPE the branch sets (bti.py; 0: none, or a model without FEAT_BTI)."""
    target = rx(c, rn)
    if link:
        wx(c, 30, U(next_pc))
    set_pc(c, target)
    if btype:
        check_target(c, target, btype, next_pc)
