"""The plugin callback table as nopython code sees it: row layout, kinds and memory-info bits.

Instrumentation in a TB never holds a Python object or a raw callback pointer: it holds a row
number of this table and the generation the row was filled in. The plugin core (runtime/plugin)
fills rows; the helpers that run instrumentation (gen/sem/plugin.py, the memory report below)
check the row's generation before they follow anything in it, so a row that was recycled by a
reset, an uninstall or a flush is skipped, never called.

Rows are int64[CB_WIDTH]; the vCPU record holds the table's address and row count.
"""
import numpy as np
from numba import njit, types

from . import cpu
from .cfunc_cache import cached_cfunc
from .native import call_v_u64x2, call_v_u64x4, peek64, poke64

CB_KIND, CB_GEN, CB_FN, CB_UDATA, CB_IMM, CB_COND, CB_ENTRY, CB_STRIDE, CB_FLAGS = range(9)
CB_WIDTH = 9

# CB_FN: the callback's native address (calls) or the scoreboard entry's address for vCPU 0
# (inline ops; vCPU i's entry is at CB_FN + i * CB_STRIDE). Conditional callbacks compare the
# entry at CB_ENTRY (+ i * CB_STRIDE) with CB_IMM using CB_COND.
KIND_FREE = 0
KIND_CALL = 1          # fn(vcpu_index, udata)
KIND_COND_CALL = 2     # fn(vcpu_index, udata) when cond(entry, imm)
KIND_INLINE_ADD = 3    # *entry += imm
KIND_INLINE_STORE = 4  # *entry = imm
KIND_MEM_CALL = 5      # fn(vcpu_index, info, vaddr, udata) after a memory access
KIND_MEM_INLINE_ADD = 6
KIND_MEM_INLINE_STORE = 7

# conditions, numbered as QEMU's enum qemu_plugin_cond
COND_NEVER, COND_ALWAYS, COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE = range(8)

# CB_FLAGS: bit 0-1 the register access (QEMU's CB_NO_REGS 0, CB_R_REGS 1, CB_RW_REGS 2);
# for memory rows bits 4-5 the accesses reported (MEM_R 1, MEM_W 2)
FLAG_REGS_MASK = 3
MEM_RW_SHIFT = 4

# memory-access info, as QEMU packs its qemu_plugin_meminfo_t: size shift in bits 0-3,
# sign-extended (bit 4), big-endian (bit 5), store (bit 6)
INFO_SHIFT_MASK = 0xF
INFO_SIGN = 1 << 4
INFO_BE = 1 << 5
INFO_STORE = 1 << 6

# -d plugin-check violations (the vCPU record's pcheck_what): a memory-callback reference left
# set past its instruction, a row followed in a generation that is not the table's current one
# (a stale slot fired), a TB instrumented in an earlier generation run
CHECK_NONE, CHECK_MEMCB_LEFT, CHECK_STALE_SLOT, CHECK_STALE_TB = range(4)

U = np.uint64
I = np.int64
_O_CB_TABLE = U(cpu.OFF_CB_TABLE)
_O_CB_ROWS = U(cpu.OFF_CB_ROWS)
_O_VCPU = U(cpu.OFF_VCPU_INDEX)
_O_MEMCB_REF = U(cpu.OFF_MEMCB_REF)
_O_MEMCB_GEN = U(cpu.OFF_MEMCB_GEN)
_O_MEMVAL_LO = U(cpu.OFF_MEMVAL_LO)
_O_MEMVAL_HI = U(cpu.OFF_MEMVAL_HI)
_O_EXIT = U(cpu.OFF_EXIT)
_O_PCHECK = U(cpu.OFF_PCHECK)
_O_CB_GEN = U(cpu.OFF_CB_GEN)
_O_PCHECK_TB = U(cpu.OFF_PCHECK_TB)
_O_PCHECK_WHAT = U(cpu.OFF_PCHECK_WHAT)
_O_PCHECK_SLOT = U(cpu.OFF_PCHECK_SLOT)
_O_PCHECK_GEN = U(cpu.OFF_PCHECK_GEN)
_O_PCHECK_PC = U(cpu.OFF_PCHECK_PC)
_O_PLUGIN_REQ = U(cpu.OFF_PLUGIN_REQ)
_FIRST_FAULT = U(cpu.FIRST_FAULT)
_ROW_BYTES = U(8 * CB_WIDTH)


@njit
def check_violation(c, what, slot, gen, pc):
    """-d plugin-check: keep the first violation and have the loop stop at the TB end (the
    plugin core reports it)."""
    if peek64(c + _O_PCHECK_WHAT) == U(0):
        poke64(c + _O_PCHECK_WHAT, U(what))
        poke64(c + _O_PCHECK_SLOT, U(slot))
        poke64(c + _O_PCHECK_GEN, U(gen))
        poke64(c + _O_PCHECK_PC, U(pc))
    poke64(c + _O_PLUGIN_REQ, U(1))


@njit
def cb_row(c, slot, gen):
    """Host address of row `slot` if it exists and still belongs to generation `gen`, else 0."""
    if U(slot) >= peek64(c + _O_CB_ROWS):
        return U(0)
    row = peek64(c + _O_CB_TABLE) + U(slot) * _ROW_BYTES
    if peek64(row + U(8 * CB_GEN)) != U(gen):
        return U(0)
    if peek64(c + _O_PCHECK) != U(0) and U(gen) != peek64(c + _O_CB_GEN):
        # the row matches a reference of an older generation: it must not fire
        check_violation(c, CHECK_STALE_SLOT, slot, gen, peek64(c + _O_PCHECK_TB))
        return U(0)
    return row


@njit
def cond_holds(cond, a, b):
    if cond == COND_ALWAYS:
        return True
    if cond == COND_EQ:
        return a == b
    if cond == COND_NE:
        return a != b
    if cond == COND_LT:
        return a < b
    if cond == COND_LE:
        return a <= b
    if cond == COND_GT:
        return a > b
    if cond == COND_GE:
        return a >= b
    return False


@njit
def entry_addr(row, col, vcpu):
    return peek64(row + U(8 * col)) + vcpu * peek64(row + U(8 * CB_STRIDE))


@njit
def run_exec_row(c, row):
    """One TB or instruction instrumentation row: a call, a conditional call or an inline op."""
    kind = I(peek64(row + U(8 * CB_KIND)))
    vcpu = peek64(c + _O_VCPU)
    if kind == KIND_INLINE_ADD:
        e = entry_addr(row, CB_FN, vcpu)
        poke64(e, peek64(e) + peek64(row + U(8 * CB_IMM)))
    elif kind == KIND_INLINE_STORE:
        poke64(entry_addr(row, CB_FN, vcpu), peek64(row + U(8 * CB_IMM)))
    elif kind == KIND_CALL:
        call_v_u64x2(peek64(row + U(8 * CB_FN)), vcpu, peek64(row + U(8 * CB_UDATA)))
    elif kind == KIND_COND_CALL:
        v = peek64(entry_addr(row, CB_ENTRY, vcpu))
        if cond_holds(I(peek64(row + U(8 * CB_COND))), v, peek64(row + U(8 * CB_IMM))):
            call_v_u64x2(peek64(row + U(8 * CB_FN)), vcpu, peek64(row + U(8 * CB_UDATA)))


def _mem_report(c, va, info, lo, hi):
    """After a successful guest access while an instrumented instruction runs: every memory row
    of the instruction's reference whose generation still matches and whose R/W filter takes
    the access. The value is left in the vCPU record for mem_get_value."""
    if peek64(c + _O_EXIT) >= _FIRST_FAULT:
        return
    ref = peek64(c + _O_MEMCB_REF)
    if ref == U(0):
        return
    first = (ref & U(0xFFFFFFFF)) - U(1)
    count = ref >> U(32)
    gen = peek64(c + _O_MEMCB_GEN)
    rw = U(2) if info & U(INFO_STORE) else U(1)
    poke64(c + _O_MEMVAL_LO, lo)
    poke64(c + _O_MEMVAL_HI, hi)
    vcpu = peek64(c + _O_VCPU)
    for k in range(count):
        row = cb_row(c, first + U(k), gen)
        if row == U(0):
            continue
        if not ((peek64(row + U(8 * CB_FLAGS)) >> U(MEM_RW_SHIFT)) & rw):
            continue
        kind = I(peek64(row + U(8 * CB_KIND)))
        if kind == KIND_MEM_CALL:
            call_v_u64x4(peek64(row + U(8 * CB_FN)), vcpu, info, va, peek64(row + U(8 * CB_UDATA)))
        elif kind == KIND_MEM_INLINE_ADD:
            e = entry_addr(row, CB_FN, vcpu)
            poke64(e, peek64(e) + peek64(row + U(8 * CB_IMM)))
        elif kind == KIND_MEM_INLINE_STORE:
            poke64(entry_addr(row, CB_FN, vcpu), peek64(row + U(8 * CB_IMM)))


_report = []


def mem_report():
    """The memory-report cfunc `void(c, vaddr, info, value_lo, value_hi)`, compiled (or loaded from
    numba's disk cache) on first use: only runs with plugins pay for it."""
    if not _report:
        _report.append(cached_cfunc(types.void(types.uint64, types.uint64, types.uint64,
                                               types.uint64, types.uint64), _mem_report))
    return _report[0]
