"""Building blocks every semantics helper uses: registers, flags, conditions, exits.

Conventions for all semantics (nbemu/gen/sem/*.py):
- A helper is `@njit` and takes `c` (uint64 host address of the vCPU record) then up to six
  int64 decoded fields. The interpreter passes fields read from the decoded record; generated
  code passes typed constants, so LLVM folds the variant tests away.
- Guest values are uint64. Never mix int64 and uint64 in one expression (numba promotes to
  float64): convert fields with U(...) and write constants as U(k) or module-level U globals.
- A helper that can fault (memory), trap or stop the TB sets the exit reason; the caller checks
  `exit_requested(c)` after it. The PC is already the fall-through address when a TB's
  instructions run, so a branch helper only writes PC when it changes control flow.
"""
import numpy as np
from numba import njit

from nbemu.core import cpu
from nbemu.core.native import peek64, poke64

U = np.uint64
I = np.int64
MASK32 = U(0xFFFFFFFF)
ZERO = U(0)
ONE = U(1)
ALL_ONES = U(0xFFFFFFFFFFFFFFFF)

O_X = U(cpu.OFF_X)
O_SP = U(cpu.OFF_SP)
O_PC = U(cpu.OFF_PC)
O_NZCV = U(cpu.OFF_NZCV)
O_FPCR = U(cpu.OFF_FPCR)
O_FPSR = U(cpu.OFF_FPSR)
O_TPIDR = U(cpu.OFF_TPIDR)
O_EXCL_ADDR = U(cpu.OFF_EXCL_ADDR)
O_EXCL_SIZE = U(cpu.OFF_EXCL_SIZE)
O_EXCL_VAL = U(cpu.OFF_EXCL_VAL)
O_EXCL_VAL2 = U(cpu.OFF_EXCL_VAL2)
O_ICOUNT = U(cpu.OFF_ICOUNT)
O_EXIT = U(cpu.OFF_EXIT)
O_FAULT_ADDR = U(cpu.OFF_FAULT_ADDR)
O_EXIT_INFO = U(cpu.OFF_EXIT_INFO)
O_MEMCB_REF = U(cpu.OFF_MEMCB_REF)
O_NATIVE_EXECS = U(cpu.OFF_NATIVE_EXECS)
O_V = U(cpu.OFF_V)
FIRST_FAULT = U(cpu.FIRST_FAULT)
_EXIT_BTI = U(cpu.EXIT_BTI)
_EXIT_SETPC = U(cpu.EXIT_SETPC)


# ----- general-purpose registers -----
@njit
def rx(c, n):
    """Xn, with register 31 reading as XZR."""
    if n == 31:
        return ZERO
    return peek64(c + O_X + U(n) * U(8))


@njit
def rxsp(c, n):
    """Xn, with register 31 reading as SP."""
    return peek64(c + O_X + U(n) * U(8))


@njit
def wx(c, n, v):
    """Write Xn (register 31 is XZR: the write is discarded)."""
    if n != 31:
        poke64(c + O_X + U(n) * U(8), v)


@njit
def wxsp(c, n, v):
    """Write Xn, with register 31 meaning SP."""
    poke64(c + O_X + U(n) * U(8), v)


@njit
def rreg(c, n, sf):
    """Xn (sf=1) or Wn zero-extended (sf=0), 31 = ZR."""
    v = rx(c, n)
    return v if sf else v & MASK32


@njit
def wreg(c, n, v, sf):
    """Write Xn (sf=1) or Wn zero-extending into Xn (sf=0), 31 = ZR."""
    wx(c, n, v if sf else v & MASK32)


@njit
def wregsp(c, n, v, sf):
    wxsp(c, n, v if sf else v & MASK32)


@njit
def get_pc(c):
    return peek64(c + O_PC)


@njit
def set_pc(c, v):
    poke64(c + O_PC, v)


# ----- flags: NZCV held as in the architectural register, bits 31..28 -----
@njit
def get_nzcv(c):
    return peek64(c + O_NZCV)


@njit
def set_nzcv(c, n, z, c_, v):
    poke64(c + O_NZCV, (U(n) << U(31)) | (U(z) << U(30)) | (U(c_) << U(29)) | (U(v) << U(28)))


@njit
def set_nzcv_bits(c, nzcv4):
    """Set flags from a 4-bit NZCV value (CCMP's immediate form, MSR NZCV >> 28)."""
    poke64(c + O_NZCV, (U(nzcv4) & U(0xF)) << U(28))


@njit
def add_with_carry(x, y, carry_in, sf):
    """AArch64 AddWithCarry: returns (result, n, z, c, v) for a 64- or 32-bit addition."""
    if sf:
        r = x + y + carry_in
        # carry out: unsigned overflow of the 65-bit sum
        cout = (r < x) or (carry_in and r == x)
        v = ((~(x ^ y)) & (x ^ r)) >> U(63)
        return r, r >> U(63), U(r == ZERO), U(cout), v & ONE
    x &= MASK32
    y &= MASK32
    full = x + y + carry_in
    r = full & MASK32
    v = ((~(x ^ y)) & (x ^ r)) >> U(31)
    return r, r >> U(31), U(r == ZERO), full >> U(32), v & ONE


@njit
def cond_holds(c, cond):
    """ConditionHolds(cond) on the current NZCV (cond 14 and 15 are 'always')."""
    f = get_nzcv(c)
    n = (f >> U(31)) & ONE
    z = (f >> U(30)) & ONE
    cf = (f >> U(29)) & ONE
    v = (f >> U(28)) & ONE
    base = cond >> 1
    if base == 0:
        r = z == ONE
    elif base == 1:
        r = cf == ONE
    elif base == 2:
        r = n == ONE
    elif base == 3:
        r = v == ONE
    elif base == 4:
        r = cf == ONE and z == ZERO
    elif base == 5:
        r = n == v
    elif base == 6:
        r = n == v and z == ZERO
    else:
        return True
    if cond & 1:
        return not r
    return r


# ----- exits -----
@njit
def exit_requested(c):
    return peek64(c + O_EXIT) != ZERO


@njit
def request_exit(c, reason, info):
    poke64(c + O_EXIT, U(reason))
    poke64(c + O_EXIT_INFO, U(info))


@njit
def exit_mid_tb(c, pc, index):
    """Leave a TB at instruction `index` (address pc) after it requested an exit. Faults leave pc
    on the instruction and do not count it; other exits count it and continue after it; a
    Branch Target exception counts the branch and leaves pc at its target; a plugin's set_pc
    before the instruction does not count it and leaves pc at the plugin's target."""
    poke64(c + O_MEMCB_REF, ZERO)
    if peek64(c + O_EXIT) == _EXIT_SETPC:
        poke64(c + O_ICOUNT, peek64(c + O_ICOUNT) + U(index))
    elif peek64(c + O_EXIT) == _EXIT_BTI:
        # the branch completed (PC holds its target); the fault is the target's
        poke64(c + O_ICOUNT, peek64(c + O_ICOUNT) + U(index) + ONE)
    elif peek64(c + O_EXIT) >= FIRST_FAULT:
        poke64(c + O_PC, U(pc))
        poke64(c + O_ICOUNT, peek64(c + O_ICOUNT) + U(index))
    else:
        poke64(c + O_PC, U(pc) + U(4))
        poke64(c + O_ICOUNT, peek64(c + O_ICOUNT) + U(index) + ONE)
    return I(index)


@njit
def tb_done(c, n):
    poke64(c + O_ICOUNT, peek64(c + O_ICOUNT) + U(n))
    return I(n)


# ----- SIMD&FP registers: V[n] as two 64-bit halves -----
@njit
def v_lo(c, n):
    return peek64(c + O_V + U(n) * U(16))


@njit
def v_hi(c, n):
    return peek64(c + O_V + U(n) * U(16) + U(8))


@njit
def v_three(c, rd, rn, rm):
    """(dlo, dhi, nlo, nhi, mlo, mhi): Vd, Vn and Vm read before an element is written, as a
    lane-wise op whose destination is also a source (an accumulator) needs them."""
    return v_lo(c, rd), v_hi(c, rd), v_lo(c, rn), v_hi(c, rn), v_lo(c, rm), v_hi(c, rm)


@njit
def set_v(c, n, lo, hi):
    poke64(c + O_V + U(n) * U(16), lo)
    poke64(c + O_V + U(n) * U(16) + U(8), hi)
