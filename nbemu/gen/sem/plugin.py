"""Plugin instrumentation ops: what a TB runs for the callbacks and inline ops a plugin attached.

The translator puts these between a TB's instructions (as interpreter records and as calls in
generated code), with a callback-table row and its generation as constants: see
nbemu.core.cbtable. A plugin's requests (reset, uninstall, a callback that raised) are taken by
the execution loop at the next TB boundary; the one op that may leave a TB at once is
plugin_exec_rw, whose callback may call set_pc (MAY_EXIT).
"""
from numba import njit

from nbemu.core import cbtable, cpu
from nbemu.core.native import peek64, poke64

from .common import O_EXIT, O_PC, U

_O_MEMCB_REF = U(cpu.OFF_MEMCB_REF)
_O_MEMCB_GEN = U(cpu.OFF_MEMCB_GEN)
_O_CB_GEN = U(cpu.OFF_CB_GEN)
_O_PCHECK_TB = U(cpu.OFF_PCHECK_TB)
_FLAGS = U(8 * cbtable.CB_FLAGS)
_REGS_MASK = U(cbtable.FLAG_REGS_MASK)
_O_PLUGIN_CTX = U(cpu.OFF_PLUGIN_CTX)
_EXIT_SETPC = U(cpu.EXIT_SETPC)


@njit
def plugin_exec(c, slot, gen, pc):
    """Run row `slot` (a TB or instruction callback, conditional callback or inline op) before the
    instruction at pc. A callback that reads registers sees pc as the PC (QEMU's CB_R_REGS);
    the TB's fall-through PC is put back afterwards."""
    row = cbtable.cb_row(c, slot, gen)
    if row == U(0):
        return
    if peek64(row + _FLAGS) & _REGS_MASK:
        after = peek64(c + O_PC)
        poke64(c + O_PC, U(pc))
        cbtable.run_exec_row(c, row)
        poke64(c + O_PC, after)
    else:
        cbtable.run_exec_row(c, row)


@njit
def plugin_exec_rw(c, slot, gen, pc):
    """plugin_exec for a callback registered with CB_RW_REGS, which may also call set_pc: that
    leaves pc at its target and requests EXIT_SETPC, and the TB is left before the instruction
    (exit_mid_tb), the instruction's other callbacks not run."""
    row = cbtable.cb_row(c, slot, gen)
    if row == U(0):
        return
    after = peek64(c + O_PC)
    poke64(c + O_PC, U(pc))
    poke64(c + _O_PLUGIN_CTX, U(1))
    cbtable.run_exec_row(c, row)
    poke64(c + _O_PLUGIN_CTX, U(0))
    if peek64(c + O_EXIT) != _EXIT_SETPC:
        poke64(c + O_PC, after)


@njit
def plugin_mem_begin(c, first, count, gen):
    """The next instruction's memory accesses report to rows first..first+count-1."""
    poke64(c + _O_MEMCB_REF, (U(first) + U(1)) | (U(count) << U(32)))
    poke64(c + _O_MEMCB_GEN, U(gen))


@njit
def plugin_mem_end(c):
    poke64(c + _O_MEMCB_REF, U(0))


@njit
def plugin_check(c, pc, gen, at_start):
    """-d plugin-check, at the start of every TB (at_start 1: pc is the TB's, gen the
    generation it was instrumented in) and after its last instruction (0): no memory-callback
    reference may be left from an earlier instruction, and no TB of an older generation may
    run. A violation is recorded (cbtable.check_violation), not acted on here."""
    ref = peek64(c + _O_MEMCB_REF)
    if ref != U(0):
        cbtable.check_violation(c, cbtable.CHECK_MEMCB_LEFT, (ref & U(0xFFFFFFFF)) - U(1),
                                peek64(c + _O_MEMCB_GEN), pc)
    if at_start:
        poke64(c + _O_PCHECK_TB, U(pc))
        if U(gen) != peek64(c + _O_CB_GEN):
            cbtable.check_violation(c, cbtable.CHECK_STALE_TB, U(0), gen, pc)


HANDLERS = (plugin_exec, plugin_exec_rw, plugin_mem_begin, plugin_mem_end, plugin_check)
MAY_EXIT = (plugin_exec_rw,)
