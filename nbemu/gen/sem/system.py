"""System instructions, traps, system registers and the undefined-instruction handler.

What a Linux EL0 process sees is modelled, not a bare core: the kernel lets EL0 read CTR_EL0,
DCZID_EL0, CNTVCT_EL0, CNTFRQ_EL0 and use DC ZVA and the EL0 cache-maintenance operations; it
traps and emulates MRS of the ID registers (op0=3, op1=0, CRn=0, CRm=0 or 2..7) with sanitised,
user-visible values; everything else privileged (DAIF, CNTPCT, SCTLR_EL1, ...) raises SIGILL.

MIDR_EL1, CTR_EL0 and the ID registers are those of the selected CPU model (nbemu.gen.features),
which also gives AT_HWCAP/AT_HWCAP2; the decoder puts the model's value into the MRS record, so
the registers a program reads, its auxv and the instructions that decode always agree.
"""
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from nbemu.core import cpu
from nbemu.core import cbtable
from nbemu.core.native import call_v_u64x5, peek64, poke64
from nbemu.core.tlb import mem_st

from .common import (FIRST_FAULT, O_EXIT, O_FPCR, O_FPSR, O_NZCV, O_TPIDR, U, ZERO, get_nzcv,
                     request_exit, rx, wx)

# ----- register values a Linux EL0 process reads (the model-specific ones: nbemu.gen.features) -----
MPIDR_EL1 = 0x80000000          # Linux's SYS_MPIDR_SAFE_VAL (bit 31 RES1, affinity hidden)
REVIDR_EL1 = 0                  # Linux: IMPLEMENTATION DEFINED, emulated as 0
DCZID_EL0 = 4                   # DZP=0, BS=4: DC ZVA zeroes 2**4 words = 64 bytes
DCZ_BLOCK = 4 << DCZID_EL0
CNTFRQ_EL0 = 62500000           # 62.5 MHz, as QEMU (7.x) linux-user and Unicorn report
CNT_SHIFT = 4                   # CNTVCT = host CLOCK_MONOTONIC ns >> 4 (exactly 62.5 MHz)

# constant EL0-readable registers besides MIDR_EL1, CTR_EL0 and the ID space
CONST_REGS = {
    (3, 0, 0, 0, 5): MPIDR_EL1,
    (3, 0, 0, 0, 6): REVIDR_EL1,
    (3, 3, 0, 0, 7): DCZID_EL0,
    (3, 3, 13, 0, 3): 0,            # TPIDRRO_EL0: Linux keeps it 0 for AArch64 tasks
    (3, 3, 14, 0, 0): CNTFRQ_EL0,
}
MIDR_KEY = (3, 0, 0, 0, 0)
CTR_KEY = (3, 3, 0, 0, 1)

# Writable bits. FPCR: AHP, DN, FZ, RMode, Stride, Len (bits 26:20, 18:16; FZ16, bit 19, only
# with FEAT_FP16: RES0 without it; the trap enables read as zero, no trapped FP exceptions), as
# QEMU stores it. FPSR: NZCV, QC and the cumulative flags IDC, IXC, UFC, OFC, DZC, IOC, as QEMU
# stores it.
FPCR_MASK = 0x07F70000
FPCR_MASK_FP16 = FPCR_MASK | 1 << 19
FPSR_MASK = 0xF800009F
NZCV_MASK = 0xF0000000

# register selectors for mrs()/msr()
SR_CONST, SR_NZCV, SR_FPCR, SR_FPSR, SR_TPIDR, SR_CNTVCT, SR_FPCR_FP16, SR_RNDR, SR_DIT, \
    SR_SSBS, SR_TCO = range(11)
# FEAT_RNG: RNDR and RNDRRS (the reseeded form; the host's getrandom serves both, as in QEMU)
RNDR_KEYS = ((3, 3, 2, 4, 0), (3, 3, 2, 4, 1))
# FEAT_DIT, FEAT_SSBS and FEAT_MTE's TCO: PSTATE fields EL0 reads and writes as registers
DIT_KEY, SSBS_KEY, TCO_KEY = (3, 3, 4, 2, 5), (3, 3, 4, 2, 6), (3, 3, 4, 2, 7)
RW_REGS = {
    (3, 3, 4, 2, 0): SR_NZCV,
    (3, 3, 4, 4, 0): SR_FPCR,
    (3, 3, 4, 4, 1): SR_FPSR,
    (3, 3, 13, 0, 2): SR_TPIDR,
}


def mrs_source(op0, op1, crn, crm, op2, model):
    """(selector, constant) for a register readable under CpuModel `model`, or None (SIGILL)."""
    key = (op0, op1, crn, crm, op2)
    if key in RW_REGS:
        return RW_REGS[key], 0
    if key == (3, 3, 14, 0, 2):
        return SR_CNTVCT, 0
    if key == MIDR_KEY:
        return SR_CONST, model.midr
    if key == CTR_KEY:
        return SR_CONST, model.ctr
    if key in CONST_REGS:
        return SR_CONST, CONST_REGS[key]
    if op0 == 3 and op1 == 0 and crn == 0 and 2 <= crm <= 7:
        # unlisted ID registers read as zero, as Linux reads untracked ones
        return SR_CONST, model.id_space().get(key, 0)
    return None


def msr_dest(op0, op1, crn, crm, op2):
    """Selector for a register EL0 may write, or None (SIGILL). The decoder turns SR_FPCR into
    SR_FPCR_FP16 (FZ16 writable) for models with FEAT_FP16."""
    return RW_REGS.get((op0, op1, crn, crm, op2))


# ----- host time for CNTVCT_EL0 -----
@intrinsic
def host_monotonic_ns(typingctx):
    """Host CLOCK_MONOTONIC in ns, from nopython code: calls libc `clock_gettime` by symbol name
    (resolved when numba links the code, also when it is loaded from the disk cache), so no
    process-specific address is baked into cached code. Linux hosts (CLOCK_MONOTONIC = 1,
    64-bit time_t and long)."""
    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        i64 = ir.IntType(64)
        ts_t = ir.ArrayType(i64, 2)
        fnty = ir.FunctionType(i32, [i32, ts_t.as_pointer()])
        fn = cgutils.get_or_insert_function(builder.module, fnty, 'clock_gettime')
        ts = cgutils.alloca_once(builder, ts_t)
        builder.call(fn, [ir.Constant(i32, 1), ts])
        zero = ir.Constant(i32, 0)
        sec = builder.load(builder.gep(ts, [zero, zero]))
        nsec = builder.load(builder.gep(ts, [zero, ir.Constant(i32, 1)]))
        return builder.add(builder.mul(sec, ir.Constant(i64, 1000000000)), nsec)
    return types.uint64(), codegen


@intrinsic
def host_random64(typingctx):
    """(ok, 64 random bits) from the host's getrandom(2), called by libc symbol name from
    nopython code like host_monotonic_ns. ok is 0 when the host returned fewer than 8 bytes."""
    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [i64.as_pointer(), i64, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, 'getrandom')
        buf = cgutils.alloca_once_value(builder, ir.Constant(i64, 0))
        got = builder.call(fn, [buf, ir.Constant(i64, 8), ir.Constant(i32, 0)])
        ok = builder.zext(builder.icmp_signed('==', got, ir.Constant(i64, 8)), i64)
        return context.make_tuple(builder, sig.return_type, [ok, builder.load(buf)])
    return types.UniTuple(types.uint64, 2)(), codegen


# ----- handlers -----
_FPCR_MASK = U(FPCR_MASK)
_FPCR_MASK_FP16 = U(FPCR_MASK_FP16)
_FPSR_MASK = U(FPSR_MASK)
_NZCV_MASK = U(NZCV_MASK)
_CNT_SHIFT = U(CNT_SHIFT)
_ZVA_MASK = U(~(DCZ_BLOCK - 1) & (2**64 - 1))
_FIRST_FAULT = U(FIRST_FAULT)
_O_MEMCB_REF = U(cpu.OFF_MEMCB_REF)
_O_PSTATE_BITS = U(cpu.OFF_PSTATE_BITS)
_DIT = U(cpu.PSTATE_DIT)
_SSBS = U(cpu.PSTATE_SSBS)
_TCO = U(cpu.PSTATE_TCO)
_O_MEM_REPORT = U(cpu.OFF_MEM_REPORT)
_ZVA_INFO = U((DCZ_BLOCK.bit_length() - 1) | cbtable.INFO_STORE)


@njit
def nop(c):
    """NOP and the whole hint space (YIELD, WFE, WFI, SEV, SEVL, BTI, PAuth hints without
    PAuth, ...), barriers (DSB, DMB, ISB, SB) and cache maintenance that needs no work."""
    pass


@njit
def svc(c, imm):
    request_exit(c, cpu.EXIT_SYSCALL, imm)


@njit
def brk(c, imm):
    request_exit(c, cpu.EXIT_BRK, imm)


@njit
def undefined(c, insn):
    """Unallocated or unimplemented encoding: the guest gets SIGILL."""
    request_exit(c, cpu.EXIT_SIGILL, insn)


@njit
def mrs(c, rt, src, value):
    """MRS Xt, <reg>: src is an SR_* selector; SR_CONST returns the decode-time `value`."""
    if src == SR_NZCV:
        v = get_nzcv(c) & _NZCV_MASK
    elif src == SR_FPCR or src == SR_FPCR_FP16:
        v = peek64(c + O_FPCR)
    elif src == SR_FPSR:
        v = peek64(c + O_FPSR)
    elif src == SR_TPIDR:
        v = peek64(c + O_TPIDR)
    elif src == SR_CNTVCT:
        v = host_monotonic_ns() >> _CNT_SHIFT
    elif src == SR_DIT:
        v = peek64(c + _O_PSTATE_BITS) & _DIT
    elif src == SR_SSBS:
        v = peek64(c + _O_PSTATE_BITS) & _SSBS
    elif src == SR_TCO:
        v = peek64(c + _O_PSTATE_BITS) & _TCO
    elif src == SR_RNDR:
        # Arm ARM RNDR: NZCV 0000 with a random number, or 0100 and zero when none is available
        ok, v = host_random64()
        if ok:
            poke64(c + O_NZCV, ZERO)
        else:
            v = ZERO
            poke64(c + O_NZCV, U(0x40000000))
    else:
        v = U(value)
    wx(c, rt, v)


@njit
def msr(c, rt, dst):
    """MSR <reg>, Xt for the EL0-writable registers (dst an SR_* selector)."""
    v = rx(c, rt)
    if dst == SR_NZCV:
        poke64(c + O_NZCV, v & _NZCV_MASK)
    elif dst == SR_FPCR:
        poke64(c + O_FPCR, v & _FPCR_MASK)
    elif dst == SR_FPCR_FP16:
        poke64(c + O_FPCR, v & _FPCR_MASK_FP16)
    elif dst == SR_FPSR:
        poke64(c + O_FPSR, v & _FPSR_MASK)
    elif dst == SR_DIT:
        set_pstate_bit(c, _DIT, v & _DIT)
    elif dst == SR_SSBS:
        set_pstate_bit(c, _SSBS, v & _SSBS)
    elif dst == SR_TCO:
        set_pstate_bit(c, _TCO, v & _TCO)
    else:
        poke64(c + O_TPIDR, v)


@njit
def set_pstate_bit(c, bit, on):
    """MSR DIT/SSBS/TCO, #imm and the register forms: that PSTATE bit (`bit`) set when `on`."""
    b = peek64(c + _O_PSTATE_BITS) & ~U(bit)
    if on:
        b |= U(bit)
    poke64(c + _O_PSTATE_BITS, b)


@njit
def dc_zva(c, rt):
    """DC ZVA, Xt: zero the DCZ_BLOCK-byte aligned block holding Xt through the softmmu, so
    permissions, faults and stores to translated code behave as for STR. A one-byte store at Xt
    goes first so that a fault reports Xt itself (the architected FAR for DC ZVA); the block lies
    in one page, so nothing is written when it faults. A plugin sees one store of the whole
    block (size shift 6), not the stores it is made of."""
    ref = peek64(c + _O_MEMCB_REF)
    poke64(c + _O_MEMCB_REF, ZERO)
    va = rx(c, rt)
    mem_st(c, va, 1, ZERO)
    if peek64(c + O_EXIT) >= _FIRST_FAULT:
        return
    base = va & _ZVA_MASK
    for i in range(DCZ_BLOCK // 8):
        mem_st(c, base + U(8 * i), 8, ZERO)
    poke64(c + _O_MEMCB_REF, ref)
    if ref != ZERO:
        call_v_u64x5(peek64(c + _O_MEM_REPORT), c, base, _ZVA_INFO, ZERO, ZERO)
