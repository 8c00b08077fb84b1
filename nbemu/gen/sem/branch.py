"""Branch semantics. The PC already holds the fall-through address when these run."""
from numba import njit

from .common import U, cond_holds, rx, set_pc, wx


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
