"""FEAT_BTI: the branch-target check of an indirect branch (Arm ARM D8.3 "BTI", the BTYPE rules).

Architecturally an indirect branch sets PSTATE.BTYPE and the *next* instruction, if it is in a
guarded page, is checked against it (a Branch Target exception on that instruction, with the
branch completed: PC and X30 hold its results); every other instruction clears BTYPE. The next
instruction after an indirect branch is always the one at its target, so nbemu checks it as
part of the branch: the helper looks at the target's page and first instruction and, when they
are not compatible, requests EXIT_BTI with the PC already at the target. BTYPE is therefore
never nonzero between two instructions, no TB, region or chained successor needs to know it,
and both tiers get the check from the one helper the branch semantics call.

BTYPE of the branches (the decoder passes it as a constant; 0 = the branch sets none):
BLR/BLRAA/BLRAB 10; BR/BRAA/BRAB via X16 or X17 01; via another register 11 from a guarded
page, 01 from a non-guarded one (the pc's page is looked up when the target is guarded);
RET/RETAA/RETAB 00.

Compatible landing pads for BTYPE != 00 (BTypeCompatible): BTI c (01, 10), BTI j (01, 11),
BTI jc (all), BTI with no target (none); PACIASP/PACIBSP as an implicit BTI c for 01 and 10, and
for 11 only when SCTLR_EL1.BT0 is 0, which Linux (and qemu-aarch64's user mode) leave set, so
not then; BRK and HLT (all). Anything else faults.
"""
from numba import njit

from nbemu.core import cpu
from nbemu.core.memdefs import PTE_GUARDED, PTE_VALID, PTE_X
from nbemu.core.native import peek32, peek64
from nbemu.core.tlb import page_walk

from .common import U, request_exit

BTYPE_NONE, BTYPE_J_X1617, BTYPE_C, BTYPE_J = 0, 1, 2, 3

_GUARDED_X = U(PTE_VALID | PTE_X | PTE_GUARDED)
_PTE_GUARDED = U(PTE_GUARDED)
_HI = U(0xFFFFFFFFFFFFF000)
_OFF = U(0xFFF)
_O_ARENA = U(cpu.OFF_ARENA)


def branch_btype(model, feature, rn, link):
    """The decode-time BTYPE constant of BR (link=0) or BLR (link=1) via Xrn under CpuModel
    `model`: BTYPE_NONE when the model lacks FEAT_BTI (`feature`), so no check is emitted."""
    if not model.has(feature):
        return BTYPE_NONE
    if link:
        return BTYPE_C
    return BTYPE_J_X1617 if rn in (16, 17) else BTYPE_J


@njit
def compatible(word, btype):
    """The instruction `word` may be the target of a branch that set `btype` (1..3)."""
    if word & U(0xFFFFFF3F) == U(0xD503241F):             # BTI {c|j|jc}: targets in bits 7:6
        targets = (word >> U(6)) & U(3)
        if targets == U(3):
            return True
        if targets == U(1):
            return btype != 3
        if targets == U(2):
            return btype != 2
        return False
    if word & U(0xFFFFFFBF) == U(0xD503233F):             # PACIASP, PACIBSP (SCTLR_EL1.BT0 = 1)
        return btype != 3
    if word & U(0xFFE0001F) == U(0xD4200000) or word & U(0xFFE0001F) == U(0xD4400000):
        return True                                        # BRK, HLT
    return False


@njit
def check_target(c, target, btype, next_pc):
    """After an indirect branch to `target` (PC already set) from the instruction before
    `next_pc`: request EXIT_BTI when the target is in a guarded executable page and its
    instruction is no landing pad for `btype`. A target that cannot be fetched is left to the
    fetch, whose fault comes first."""
    pte = page_walk(c, target)
    if pte & _GUARDED_X != _GUARDED_X:
        return
    # BR via X0-X15, X18-X30 sets 11 only from a guarded page, else 01
    if btype == BTYPE_J and not (page_walk(c, U(next_pc) - U(4)) & _PTE_GUARDED):
        btype = BTYPE_J_X1617
    word = U(peek32(peek64(c + _O_ARENA) + (pte & _HI) + (target & _OFF)))
    if not compatible(word, btype):
        request_exit(c, cpu.EXIT_BTI, word)
