"""A64 system, exception-generating and hint encodings (C4.1.4), as EL0 under Linux sees them.

Encodings without a row are unallocated for a Linux process and raise SIGILL: HVC, SMC, HLT,
DCPS*, UDF, MSR (immediate) other than CFINV/XAFLAG/AXFLAG, SSBS, DIT and TCO (DAIFSet/DAIFClr trap
at EL0; SPSel, PAN, UAO need EL1), WFET/WFIT, TCOMMIT,
DSB nXS, every other SYS/SYSL operation (TLBI, AT, DC IVAC/ISW..., MTE DC G*), and MRS/MSR of any
register not listed in nbemu.gen.sem.system. CLREX is a load/store-exclusive row (ldst).
"""
from nbemu.core import cpu

from .. import features
from ..decode import Pattern
from ..sem import flags, system


def _barrier(f):
    """DSB (op2 100), DMB (101), ISB (110) with any option. CLREX (010) is left to the ldst rows,
    SB (111, CRm 0) has its own row."""
    if f.op2 in (4, 5, 6):
        return ()
    return None


# DC CVAC (CRm 10), DC CVAU (11), DC CIVAC (14), IC IVAU (5): op1=3, CRn=7, op2=1; DC CVAP (12)
# and DC CVADP (13) have their own rows (FEAT_DPB, FEAT_DPB2). No-ops, as in QEMU linux-user: nbemu's memory is coherent and
# stores to translated code are caught through write-protected code pages.
_CACHE_NOPS = (5, 10, 11, 14)


# registers of later features: key -> (selector, feature)
_FEATURE_REGS = {system.RNDR_KEYS[0]: (system.SR_RNDR, features.RNG),
                 system.RNDR_KEYS[1]: (system.SR_RNDR, features.RNG),
                 system.DIT_KEY: (system.SR_DIT, features.DIT),
                 system.SSBS_KEY: (system.SR_SSBS, features.SSBS),
                 system.TCO_KEY: (system.SR_TCO, features.MTE2)}
_WRITABLE_FEATURE_REGS = (system.DIT_KEY, system.SSBS_KEY, system.TCO_KEY)


def _feature_reg(f):
    key = (2 + f.o0, f.op1, f.crn, f.crm, f.op2)
    if key not in _FEATURE_REGS:
        return None, None
    sel, feature = _FEATURE_REGS[key]
    return key, (sel if f.cpu.has(feature) else None)


def _mrs(f):
    key, sel = _feature_reg(f)
    if key is not None:
        return None if sel is None else (f.rt, sel, 0)
    s = system.mrs_source(2 + f.o0, f.op1, f.crn, f.crm, f.op2, f.cpu)
    return None if s is None else (f.rt,) + s


def _msr(f):
    key, sel = _feature_reg(f)
    if key is not None:
        return None
    d = system.msr_dest(2 + f.o0, f.op1, f.crn, f.crm, f.op2)
    if d == system.SR_FPCR and f.cpu.has(features.FP16):
        d = system.SR_FPCR_FP16
    return None if d is None else (f.rt, d)


def _msr_pstate_reg(f):
    """MSR DIT/SSBS/TCO, Xt of a model with the feature."""
    key, sel = _feature_reg(f)
    return (f.rt, sel) if key in _WRITABLE_FEATURE_REGS and sel is not None else None


PATTERNS = [
    Pattern('SVC', '11010100 000 imm16:16 000 01', system.svc, lambda f: (f.imm16,), ends_tb=True),
    Pattern('BRK', '11010100 001 imm16:16 000 00', system.brk, lambda f: (f.imm16,), ends_tb=True),
    # hints: NOP, YIELD, WFE, WFI, SEV, SEVL, DGH, XPACLRI, PAC*/AUT* (hint space, no PAuth),
    # ESB, PSB, TSB, CSDB, CLRBHB, BTI, CHKFEAT, and every unnamed HINT #imm
    Pattern('HINT', '11010101 00000011 0010 crm:4 op2:3 11111', system.nop, pure=True),
    # SB, ISB and a write of TPIDR_EL0 end the TB, as in QEMU (so TB counts, which plugins see,
    # are the same)
    Pattern('SB', '11010101 00000011 0011 0000 111 11111', system.nop, pure=True,
            feature=features.SB, ends_tb=True),
    Pattern('ISB', '11010101 00000011 0011 crm:4 110 11111', system.nop, pure=True, ends_tb=True),
    # MSR (immediate) op1=000 CRn=0100 CRm=0000: CFINV (op2 000, FEAT_FlagM), XAFLAG (001) and
    # AXFLAG (010, FEAT_FlagM2)
    Pattern('CFINV', '11010101 00000 000 0100 0000 000 11111', flags.flag_op,
            lambda f: (flags.FL_CFINV,), pure=True, feature=features.FLAGM),
    Pattern('XAFLAG', '11010101 00000 000 0100 0000 001 11111', flags.flag_op,
            lambda f: (flags.FL_XAFLAG,), pure=True, feature=features.FLAGM2),
    Pattern('AXFLAG', '11010101 00000 000 0100 0000 010 11111', flags.flag_op,
            lambda f: (flags.FL_AXFLAG,), pure=True, feature=features.FLAGM2),
    # MSR (immediate) op1=011 CRn=0100: SSBS (op2 001, FEAT_SSBS) and DIT (010, FEAT_DIT), the
    # value in CRm<0>; QEMU does not end the TB for these
    Pattern('MSR SSBS, #imm', '11010101 00000 011 0100 crm:4 001 11111', system.set_pstate_bit,
            lambda f: (cpu.PSTATE_SSBS, f.crm & 1), pure=True, feature=features.SSBS),
    Pattern('MSR DIT, #imm', '11010101 00000 011 0100 crm:4 010 11111', system.set_pstate_bit,
            lambda f: (cpu.PSTATE_DIT, f.crm & 1), pure=True, feature=features.DIT),
    # TCO (op2 100) changes which accesses are tag checked: QEMU ends the TB
    Pattern('MSR TCO, #imm', '11010101 00000 011 0100 crm:4 100 11111', system.set_pstate_bit,
            lambda f: (cpu.PSTATE_TCO, f.crm & 1), pure=True, feature=features.MTE2,
            ends_tb=True),
    Pattern('DSB/DMB/ISB', '11010101 00000011 0011 crm:4 op2:3 11111', system.nop, _barrier,
            pure=True),
    Pattern('DC ZVA', '1101010100 0 01 011 0111 0100 001 rt:5', system.dc_zva,
            lambda f: (f.rt,)),
    Pattern('DC CVAP', '1101010100 0 01 011 0111 1100 001 rt:5', system.nop, pure=True,
            feature=features.DPB),
    Pattern('DC CVADP', '1101010100 0 01 011 0111 1101 001 rt:5', system.nop, pure=True,
            feature=features.DPB2),
    Pattern('DC/IC (no-op)', '1101010100 0 01 011 0111 crm:4 001 rt:5', system.nop,
            lambda f: () if f.crm in _CACHE_NOPS else None, pure=True),
    Pattern('MRS', '1101010100 1 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5', system.mrs, _mrs,
            pure=True),
    Pattern('MSR TPIDR_EL0', '1101010100 0 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5', system.msr,
            lambda f: _msr(f) if (f.o0, f.op1, f.crn, f.crm, f.op2) == (1, 3, 13, 0, 2) else None,
            pure=True, ends_tb=True),
    # a write of DIT, SSBS or TCO ends the TB as any system register write without
    # ARM_CP_SUPPRESS_TB_END does in QEMU
    Pattern('MSR DIT/SSBS/TCO', '1101010100 0 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5', system.msr,
            _msr_pstate_reg, pure=True, ends_tb=True),
    Pattern('MSR (register)', '1101010100 0 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5', system.msr,
            _msr, pure=True),
]

# Not a table row: the translator emits it for encodings no row matches.
UNDEFINED = system.undefined
