"""Run instructions in nbemu and in Unicorn from the same starting state and compare.

Layout shared by both: code at CODE (one page), data at DATA (two pages, RW). Tests give register
values, flags, vector registers and data bytes, then compare every register, NZCV, FPCR, FPSR and
the data pages after the instructions ran.

Every run ends in one of these outcomes, on each side:
- RAN: the instructions ran to the end (an SVC also ends a run normally, as SVC);
- SIGILL, SIGSEGV (with the faulting address), SIGBUS, SIGTRAP: a fault, named by the signal a
  Linux process would get.
Unicorn's UcError codes and CPU exception numbers are mapped to these (see `_uc_outcome`); an
error this harness does not recognise is an outcome of its own ('unicorn:...') that never equals
nbemu's, so it fails. When the outcomes differ the example fails, except where nbemu raises SIGILL
for an instruction of a feature it deliberately does not implement yet (`NOT_IMPLEMENTED`, matched
by encoding masks from the Arm ARM, never by asking nbemu's decoder).

Differential classes go through `run_class`, which draws (words, start) examples from one
strategy, counts per class the examples, distinct encodings, both-executed examples and
mismatches (`STATS`, printed by tests/isa/conftest.py at the end of the session), and fails a
class whose share of both-executed examples is below `FLOOR[mode]`.
"""
import os
import struct

import numpy as np

CODE = 0x10000
DATA = 0x20000
DATA_SIZE = 0x2000
STACK_TOP = DATA + DATA_SIZE

M64 = 2**64 - 1

RAN, SVC, SIGILL, SIGSEGV, SIGBUS, SIGTRAP = 'ran', 'svc', 'SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGTRAP'
EXECUTED = (RAN, SVC)


class Start:
    def __init__(self, x=None, sp=STACK_TOP - 0x100, nzcv=0, v=None, data=None, fpcr=0, fpsr=0,
                 tpidr=0, pauth=False):
        """pauth: run Unicorn with pointer authentication set up as Linux has it for EL0 (see
        `_enable_pauth`), as it is for any sequence holding a PAuth encoding; nbemu always has
        PAC_KEYS."""
        self.x = list(x or [0] * 31)
        self.x += [0] * (31 - len(self.x))
        self.sp = sp
        self.nzcv = nzcv
        self.v = list(v or [0] * 32)          # 128-bit ints
        self.v += [0] * (32 - len(self.v))
        self.data = data if data is not None else bytes(DATA_SIZE)
        self.fpcr = fpcr
        self.fpsr = fpsr
        self.tpidr = tpidr
        self.pauth = pauth

    def __repr__(self):
        nz = {f'x{i}': hex(v) for i, v in enumerate(self.x) if v}
        return (f'Start(nzcv={self.nzcv:#x}, fpcr={self.fpcr:#x}, fpsr={self.fpsr:#x}, '
                f'sp={self.sp:#x}, {len(nz)} nonzero x)')


def _result(x, sp, pc, nzcv, v, data, fpcr, fpsr):
    return {'x': [int(a) for a in x], 'sp': int(sp), 'pc': int(pc), 'nzcv': int(nzcv),
            'v': [int(a) for a in v], 'data': bytes(data), 'fpcr': int(fpcr), 'fpsr': int(fpsr)}


_MACHINES = {}      # jit mode -> (Machine, pristine state): one per mode, reused by every run


def _machine(jit, cache_dir, cpu_model=None):
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    key = (jit, cache_dir, cpu_model)
    if key not in _MACHINES:
        # building a Memory and a TB cache costs ~0.15 s (large zeroed tables), ~100x the run
        mem = Memory(1 << 22)
        mem.map(CODE, 0x1000, 5)
        mem.map(DATA, DATA_SIZE, 3)
        m = Machine(mem, jit=jit, cache_dir=cache_dir, max_tb_insns=1, cpu_model=cpu_model)
        _MACHINES[key] = (m, m.state.copy())
    return _MACHINES[key]


def run_nbemu(words, start, jit='off', cache_dir=None, cpu_model=None):
    """cpu_model: the nbemu CPU model's name (None: the default, max, as Unicorn's)."""
    from nbemu.core import cpu
    m, pristine = _machine(jit, cache_dir or CACHE, cpu_model)
    mem = m.mem
    m.flush()                       # no TB of an earlier run survives
    mem.write(CODE, bytes(0x1000), need=0)
    mem.write(CODE, b''.join(struct.pack('<I', w) for w in words), need=0)
    mem.write(DATA, start.data, need=0)
    m.max_tb_insns = len(words)
    st = m.state
    st[:] = pristine                # a fresh vCPU record (exclusive monitor clear, exit data 0)
    st['x'][0] = start.x
    st['sp'] = start.sp
    st['pc'] = CODE
    st['nzcv'] = start.nzcv
    st['fpcr'] = start.fpcr
    st['fpsr'] = start.fpsr
    st['tpidr'] = start.tpidr
    st['pac_keys'][0] = PAC_KEYS
    vv = st['v'][0]
    for i, q in enumerate(start.v):
        vv[2 * i] = q & M64
        vv[2 * i + 1] = q >> 64
    st['v'][0] = vv
    reason = m.run_one_tb()
    # an instruction that ends a TB (ISB, SB, MSR TPIDR_EL0, as in QEMU) leaves the rest of the
    # sequence to the next TB
    n = len(words)
    while (reason == cpu.EXIT_NONE and int(st['icount'][0]) < n and
           CODE <= int(st['pc'][0]) < CODE + 4 * n):
        m.max_tb_insns = n - int(st['icount'][0])
        reason = m.run_one_tb()
    vv = st['v'][0]
    v = [int(vv[2 * i]) | int(vv[2 * i + 1]) << 64 for i in range(32)]
    res = _result(st['x'][0], st['sp'][0], st['pc'][0], st['nzcv'][0], v,
                  mem.read(DATA, DATA_SIZE), st['fpcr'][0], st['fpsr'][0])
    res['fault'] = reason >= cpu.FIRST_FAULT
    res['reason'] = reason
    res['outcome'] = {cpu.EXIT_NONE: RAN, cpu.EXIT_SYSCALL: SVC, cpu.EXIT_SEGV: SIGSEGV,
                      cpu.EXIT_SIGILL: SIGILL, cpu.EXIT_BRK: SIGTRAP,
                      cpu.EXIT_BUS: SIGBUS}.get(reason, f'nbemu:exit{reason}')
    res['addr'] = int(st['fault_addr'][0]) if reason == cpu.EXIT_SEGV else None
    return res


def exit_under(word, model, jit):
    """One instruction from a zeroed state under CPU model `model`: (exit reason, pc)."""
    r = run_nbemu([word], Start(), jit=jit, cpu_model=model)
    return r['reason'], r['pc']


# QEMU's target/arm exception numbers (cpu.h), as Unicorn's interrupt hook reports them
_EXCP_UDEF, _EXCP_SWI, _EXCP_PREFETCH_ABORT, _EXCP_DATA_ABORT, _EXCP_BKPT = 1, 2, 3, 4, 7
_EXCP_HVC, _EXCP_SMC = 11, 13


def _uc_outcome(errno, intr, mem_event):
    """The outcome of a Unicorn run as a Linux process would see it: (outcome, fault address)."""
    from unicorn import unicorn_const as U
    if errno is None and intr is None:
        return RAN, None
    if errno is None:
        if intr == _EXCP_SWI:
            return SVC, None
        if intr == _EXCP_BKPT:
            return SIGTRAP, None
        if intr in (_EXCP_UDEF, _EXCP_HVC, _EXCP_SMC):    # HVC/SMC are UNDEFINED at EL0
            return SIGILL, None
        if intr in (_EXCP_DATA_ABORT, _EXCP_PREFETCH_ABORT):
            # Unicorn calls the hook before the exception is taken, so ESR/FAR are not written
            # yet. Translation and permission faults on this harness's memory come back as
            # UC_ERR_* errors with a memory event instead; an abort without one is an alignment
            # fault (data: an exclusive/ordered access; prefetch: a misaligned PC): SIGBUS.
            if mem_event is not None:
                return SIGSEGV, mem_event
            return SIGBUS, None
        return f'unicorn:exception{intr}', None
    if errno == U.UC_ERR_INSN_INVALID:
        return SIGILL, None
    if errno in (U.UC_ERR_READ_UNMAPPED, U.UC_ERR_WRITE_UNMAPPED, U.UC_ERR_FETCH_UNMAPPED,
                 U.UC_ERR_READ_PROT, U.UC_ERR_WRITE_PROT, U.UC_ERR_FETCH_PROT):
        return SIGSEGV, mem_event
    if errno in (U.UC_ERR_READ_UNALIGNED, U.UC_ERR_WRITE_UNALIGNED, U.UC_ERR_FETCH_UNALIGNED):
        return SIGBUS, None
    return f'unicorn:error{errno}', None


_UC = []          # one reusable Unicorn instance and its event record


# load/store exclusive (Arm ARM C4.1.66: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt): these leave
# Unicorn's exclusive monitor set, which no register write can clear, so they get a fresh
# instance (as does anything after them)
def _needs_fresh_uc(words):
    return any(w & 0x3F000000 == 0x08000000 for w in words)


# fixed keys (IA, IB, DA, DB, GA; lo, hi) for both sides; IA and GA are the QARMA paper's test
# vector keys (k0 as the low word, w0 as the high word)
PAC_KEYS = [0xEC2802D4E0A488E9, 0x84BE85CE9804E94B, 0x0123456789ABCDEF, 0xFEDCBA9876543210,
            0x1111222233334444, 0x5555666677778888, 0x9999AAAABBBBCCCC, 0xDDDDEEEEFFFF0000,
            0xEC2802D4E0A488E9, 0x84BE85CE9804E94B]


def _enable_pauth(uc):
    """Unicorn runs at EL1 of a CPU with EL2 and EL3: PAuth instructions there trap unless
    SCR_EL3.API/APK and HCR_EL2.API/APK are set, and HCR_EL2 only counts in the non-secure state
    (SCR_EL3.NS). Then the keys, SCTLR_EL1.EnIA/EnIB/EnDA/EnDB, and TCR_EL1 as qemu-aarch64 sets
    it for a Linux process: 48-bit VAs, TBI0 on, TBI1 off."""
    from unicorn import arm64_const as A

    def cp(op0, op1, crn, crm, op2, val=None):
        if val is None:
            return uc.reg_read(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2))
        uc.reg_write(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2, val))
    cp(3, 6, 1, 1, 0, cp(3, 6, 1, 1, 0) | 3 << 16 | 1 << 10 | 1)       # SCR_EL3: API APK RW NS
    cp(3, 4, 1, 1, 0, cp(3, 4, 1, 1, 0) | 3 << 40 | 1 << 31)           # HCR_EL2: API APK RW
    cp(3, 0, 1, 0, 0, cp(3, 0, 1, 0, 0) | 1 << 31 | 1 << 30 | 1 << 27 | 1 << 13)   # SCTLR_EL1
    cp(3, 0, 2, 0, 2, 16 | 16 << 16 | 1 << 37)                         # TCR_EL1
    for k in range(5):                  # APIAKeyLo_EL1 is S3_0_C2_C1_0, then Hi, IB, DA, DB, GA
        for half in range(2):
            crm, op2 = 1 + (2 * k + half) // 4, (2 * k + half) % 4
            cp(3, 0, 2, crm, op2, PAC_KEYS[2 * k + half])


# FEAT_PAuth encodings (Arm ARM C4.1 masks): a sequence holding one runs in a Unicorn instance
# with PAuth enabled (`_enable_pauth`), whatever its class
PAUTH_ENCODINGS = [
    (0xFFE0FC00, 0x9AC03000),   # PACGA: 1 0 0 11010110 Rm 001100
    (0xFFFF8000, 0xDAC10000),   # PAC*/AUT*/XPAC*: 1 1 0 11010110 00001 0xxxxx
    (0xFE00F800, 0xD6000800),   # BRAA/BLRAA/RETAA/ERETAA..: 1101011 Z op 11111 00001 M
    (0xFF200400, 0xF8200400),   # LDRAA/LDRAB: 11 111 0 00 M S 1 imm9 W 1
    (0xFFFFFFFF, 0xD50320FF),   # XPACLRI
    (0xFFFFFF3F, 0xD503211F),   # PACIA1716, PACIB1716, AUTIA1716, AUTIB1716 (CRm 0001, op2 xx0)
    (0xFFFFFF1F, 0xD503231F),   # PACIAZ .. AUTIBSP (CRm 0011)
]


def uses_pauth(words):
    return any(w & m == v for w in words for m, v in PAUTH_ENCODINGS)


def _new_uc(pauth=False):
    from unicorn import Uc, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_INTR, UC_HOOK_MEM_INVALID
    from unicorn import arm64_const as A
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
    uc.mem_map(CODE, 0x1000, 5)
    uc.mem_map(DATA, DATA_SIZE, 3)
    uc.reg_write(A.UC_ARM64_REG_CPACR_EL1, uc.reg_read(A.UC_ARM64_REG_CPACR_EL1) | (3 << 20))
    ev = {}

    def on_mem(uc_, access, address, size, value, user):
        ev.setdefault('mem', address)
        return False

    def on_intr(uc_, intno, user):
        ev.setdefault('intr', intno)
        uc_.emu_stop()

    uc.hook_add(UC_HOOK_MEM_INVALID, on_mem)
    uc.hook_add(UC_HOOK_INTR, on_intr)
    if pauth:
        _enable_pauth(uc)
    return uc, ev


# Unicorn 2.1 (QEMU 5 translate-a64.c) aborts the whole process (g_assert_not_reached) on
# unallocated (U, a, opcode) combinations of the FP16 "three same" and "two-register misc"
# groups. The Arm ARM (C4.1.95, tables "Advanced SIMD three same (FP16)" and "two-register
# miscellaneous (FP16)") lists the allocated ones below; for the rest the architectural outcome,
# UNDEFINED (SIGILL), stands in for Unicorn's.
_FP16_3SAME = {(0, 0): {0, 1, 2, 3, 4, 6, 7}, (0, 1): {0, 1, 2, 6, 7},
               (1, 0): {0, 2, 3, 4, 5, 6, 7}, (1, 1): {0, 2, 4, 5, 6}}
_FP16_2MISC = {(0, 0): {24, 25, 26, 27, 28, 29}, (0, 1): {12, 13, 14, 15, 24, 25, 26, 27, 29},
               (1, 0): {24, 25, 26, 27, 28, 29}, (1, 1): {12, 13, 15, 25, 26, 27, 29, 31}}
_FP16_2MISC_SCALAR = {(0, 0): {26, 27, 28, 29}, (0, 1): {12, 13, 14, 26, 27, 29, 31},
                      (1, 0): {26, 27, 28, 29}, (1, 1): {12, 13, 26, 27, 29}}


def unicorn_would_abort(w):
    u, a = (w >> 29) & 1, (w >> 23) & 1
    if w & 0x9F60C400 == 0x0E400400:          # 0 Q U 01110 a 10 Rm 00 opcode 1 (vector)
        return ((w >> 11) & 7) not in _FP16_3SAME[u, a]
    if w & 0x9F7E0C00 == 0x0E780800:          # 0 Q U 01110 a 1111 00 opcode 10 (vector)
        return ((w >> 12) & 31) not in _FP16_2MISC[u, a]
    if w & 0xDF7E0C00 == 0x5E780800:          # 01 U 11110 a 1111 00 opcode 10 (scalar)
        return ((w >> 12) & 31) not in _FP16_2MISC_SCALAR[u, a]
    return False


def run_unicorn(words, start):
    from unicorn import UcError
    from unicorn import arm64_const as A
    for i, w in enumerate(words):
        if unicorn_would_abort(w):
            if i:
                raise ValueError(f'{w:08x} (would abort Unicorn) after other instructions')
            return dict(_result(start.x, start.sp, CODE, start.nzcv, start.v, start.data,
                                start.fpcr, start.fpsr), outcome=SIGILL, addr=None, fault=True,
                        uc_error='guard: unallocated FP16 encoding that aborts Unicorn')
    pauth = start.pauth or uses_pauth(words)
    if not _UC or _needs_fresh_uc(words) or _UC[0][2] or _UC[0][3] != pauth:
        _UC[:] = [list(_new_uc(pauth)) + [False, pauth]]
    uc, ev, _, _ = _UC[0]
    _UC[0][2] = _needs_fresh_uc(words)
    ev.clear()
    code = b''.join(struct.pack('<I', w) for w in words)
    uc.mem_write(CODE, code + bytes(0x1000 - len(code)))
    uc.ctl_remove_cache(CODE, CODE + 0x1000)
    uc.mem_write(DATA, start.data)
    for i in range(29):
        uc.reg_write(A.UC_ARM64_REG_X0 + i, start.x[i])
    uc.reg_write(A.UC_ARM64_REG_X29, start.x[29])
    uc.reg_write(A.UC_ARM64_REG_X30, start.x[30])
    uc.reg_write(A.UC_ARM64_REG_SP, start.sp)
    uc.reg_write(A.UC_ARM64_REG_NZCV, start.nzcv)
    uc.reg_write(A.UC_ARM64_REG_FPCR, start.fpcr)
    uc.reg_write(A.UC_ARM64_REG_FPSR, start.fpsr)
    uc.reg_write(A.UC_ARM64_REG_TPIDR_EL0, start.tpidr)
    for i in range(32):
        uc.reg_write(A.UC_ARM64_REG_Q0 + i, start.v[i])
    errno = None
    try:
        uc.emu_start(CODE, CODE + 4 * len(words), count=len(words))
    except UcError as e:
        errno = e.errno
    x = [uc.reg_read(A.UC_ARM64_REG_X0 + i) for i in range(29)]
    x += [uc.reg_read(A.UC_ARM64_REG_X29), uc.reg_read(A.UC_ARM64_REG_X30)]
    v = [uc.reg_read(A.UC_ARM64_REG_Q0 + i) for i in range(32)]
    res = _result(x, uc.reg_read(A.UC_ARM64_REG_SP), uc.reg_read(A.UC_ARM64_REG_PC),
                  uc.reg_read(A.UC_ARM64_REG_NZCV), v, uc.mem_read(DATA, DATA_SIZE),
                  uc.reg_read(A.UC_ARM64_REG_FPCR), uc.reg_read(A.UC_ARM64_REG_FPSR))
    res['outcome'], res['addr'] = _uc_outcome(errno, ev.get('intr'), ev.get('mem'))
    res['fault'] = res['outcome'] not in EXECUTED
    res['uc_error'] = errno
    return res


# ----- features nbemu deliberately does not implement yet (issue 6) -----
# (mask, value, feature): an instruction matching one of these may be SIGILL in nbemu while
# Unicorn ('max' CPU) executes it. Masks and values are the fixed bits of the encodings in the
# Arm ARM (DDI 0487, C4.1 "A64 instruction set encoding" and the per-instruction pages).
NOT_IMPLEMENTED = [
    # FEAT_FRINTTS: FRINT32Z/32X/64Z/64X
    (0xFFBE7C00, 0x1E284000, 'FRINTTS (scalar): 000 11110 0 x 1 0100 0x 10000'),
    (0x9FBFEC00, 0x0E21E800, 'FRINTTS (vector): 0 Q U 01110 0 sz 10000 1111 x 10'),
    # FEAT_PAuth ERETAA/ERETAB: EL1 only (UNDEFINED at EL0), but Unicorn runs at EL1
    (0xFFFFFBFF, 0xD69F0BFF, 'PAuth ERETAA/ERETAB: 1101011 0 100 11111 00001 M 11111 11111'),
    # FEAT_MTE
    (0xFFE0F800, 0x9AC01000, 'MTE IRG/GMI: 1 0 0 11010110 Xm 00010x'),
    (0xDFE0FC00, 0x9AC00000, 'MTE SUBP/SUBPS: 1 0 S 11010110 Xm 000000'),
    (0xBFC0C000, 0x91800000, 'MTE ADDG/SUBG: 1 op 0 100011 0 uimm6 00 uimm4'),
    (0xFF200000, 0xD9200000, 'MTE LDG/STG/STZG/ST2G/STGM/LDGM: 11011001 opc 1'),
    # FEAT_CSSC
    (0x7FFFF800, 0x5AC01800, 'CSSC CTZ/CNT: sf 1 0 11010110 00000 00011x'),
    (0x7FFFFC00, 0x5AC02000, 'CSSC ABS: sf 1 0 11010110 00000 001000'),
    (0x7FE0F000, 0x1AC06000, 'CSSC SMAX..UMIN (register): sf 0 0 11010110 Rm 0110 opc'),
    (0x7FC00000, 0x11C00000, 'CSSC SMAX..UMIN (immediate): sf 0 0 1000111 opc imm8'),
    # SVE (op0 = x0010 in the top-level encoding table)
    (0x1E000000, 0x04000000, 'SVE'),
]
# an entry's value must lie inside its mask (keeps a typo from matching nothing)
assert all(v & ~m == 0 for m, v, *_ in NOT_IMPLEMENTED)


def not_implemented(word):
    """The feature of a word that nbemu deliberately does not implement yet, or None."""
    for m, v, f, *rest in NOT_IMPLEMENTED + EXTRA_NOT_IMPLEMENTED:
        if word & m == v and not any(word & em == ev for em, ev in (rest[0] if rest else ())):
            return f
    return None


# test modules add class-specific entries (same (mask, value, feature) form) here
EXTRA_NOT_IMPLEMENTED = []

# ----- known Unicorn (QEMU 5 based) divergences from the Arm ARM -----
# (mask, value, reason, predicate(word, start) or None): examples matching one are not compared
# (they count as excused); each entry has a test that pins nbemu's architectural behaviour.
UNICORN_BUGS = []


def _pac_input_not_extended(word, start):
    """The pointer a PAC* instruction signs has bits 54:48 (55:48 when bit 55 is 0, 63:48
    when it is 1) that are not all equal. AddPAC then inverts the PAC's top bit (Arm ARM AddPAC:
    PAC<top_bit-1> = NOT(PAC<top_bit-1>)); Unicorn's QEMU 5.0 ORs it in instead (fixed in
    QEMU 5.1, "target/arm: Fix AddPAC error indication"). Pinned by
    tests/isa/test_pauth.py::test_layout_and_error_codes."""
    if word & 0xFFFFD000 == 0xDAC10000:                  # PACIA..PACDZB Xd: signs Xd
        v = start.x[word & 31] if word & 31 != 31 else 0
    elif word in (0xD503211F, 0xD503215F):              # PACIA1716, PACIB1716: X17
        v = start.x[17]
    elif word & 0xFFFFFF9F == 0xD503231F:               # PACIAZ/PACIASP/PACIBZ/PACIBSP: X30
        v = start.x[30]
    else:
        return False
    top = 56 if not v >> 55 & 1 else 64
    field = (v >> 48) & ((1 << (top - 48)) - 1)
    return field not in (0, (1 << (top - 48)) - 1)


UNICORN_BUGS.append((0, 0, 'AddPAC of a pointer with bad extension bits (QEMU 5.0 ORs the '
                           'error bit)', _pac_input_not_extended))

# FEAT_MTE: Unicorn 2.1 (QEMU 5.0) has none of it (IRG raises an exception there), while nbemu's
# max has MTE2; the tag arithmetic is pinned by tests/test_mte.py against hand-worked Arm ARM
# values and the memory forms by QEMU's own mte-* programs and the mte_overflow corpus program
for _m, _v in ((0xDFE0FC00, 0x9AC00000),        # SUBP, SUBPS
               (0xFFE0F800, 0x9AC01000),        # IRG, GMI
               (0xBFC0C000, 0x91800000),        # ADDG, SUBG
               (0xFF200000, 0xD9200000),        # STG, STZG, ST2G, STZ2G, LDG (and the EL1 forms)
               (0xFE400000, 0x68000000),        # STGP
               (0xFFFFFFE0, 0xD50B7460), (0xFFFFFFE0, 0xD50B7480)):    # DC GVA, DC GZVA
    UNICORN_BUGS.append((_m, _v, 'FEAT_MTE, which Unicorn lacks', None))

# FEAT_I8MM and FEAT_BF16: Unicorn 2.1 raises an exception on each (QEMU added them in 6.x);
# nbemu's are compared with qemu-aarch64 7.2 -cpu max by the bf16 corpus program and pinned by
# tests/isa/test_bf16.py against values worked by hand from the Arm ARM pseudocode
for _m, _v, _f in (
        (0xBF20FC00, 0x0E009C00, 'I8MM USDOT (vector): 0 Q 0 01110 10 0 Rm 100111'),
        (0x9F20F400, 0x0E00A400, 'I8MM SMMLA/UMMLA/USMMLA: 0 1 U 01110 10 0 Rm 1010 B 1'),
        (0xBF00F400, 0x0F00F000, 'I8MM SUDOT/USDOT, BF16 BFDOT/BFMLAL (by element): .. 1111 H 0'),
        (0xBFE0FC00, 0x2E40FC00, 'BF16 BFDOT (vector): 0 Q 1 01110 01 0 Rm 111111'),
        (0xFFE0FC00, 0x6E40EC00, 'BF16 BFMMLA: 0 1 1 01110 01 0 Rm 111011'),
        (0xBFE0FC00, 0x2EC0FC00, 'BF16 BFMLALB/T (vector): 0 Q 1 01110 11 0 Rm 111111'),
        (0xFFFFFC00, 0x1E634000, 'BF16 BFCVT: 0001 1110 0110 0011 0100 00'),
        (0xBFFFFC00, 0x0EA16800, 'BF16 BFCVTN/BFCVTN2: 0 Q 0 01110 10 10000 10110 10')):
    UNICORN_BUGS.append((_m, _v, _f + ', which Unicorn lacks', None))


# LDRAA/LDRAB: Unicorn's QEMU 5.0 authenticates with SP as the modifier where the Arm ARM has
# X[31], zero (QEMU 5.1 passes zero). With a nonzero SP the two sides authenticate different
# pointers; test_pauth.py runs these with SP 0 and test_ldraa_modifier_is_zero pins the zero.
UNICORN_BUGS.append((0xFF200400, 0xF8200400, 'LDRAA/LDRAB with SP as the modifier (QEMU 5.0)',
                     lambda word, start: start.sp != 0))

# (mask, value, reason): words whose FPSR Unicorn gets wrong; everything else is compared.
# FCMLA (by element, half) with Q = 0: QEMU before 9.1 computes all eight lanes of a 64-bit
# vector, discards the upper four and keeps their exception flags (QEMU commit 76bccf3cb9,
# "target/arm: Fix VCMLA Dd, Dn, Dm[idx]"). Pinned by tests/test_fcma.py::
# test_fcmla_by_element_64_bit_ignores_the_upper_lanes.
UNICORN_FPSR_BUGS = [
    (0xFFC09400, 0x2F401000, 'FCMLA .4H by element: flags from the upper lanes (QEMU < 9.1)'),
]


def unicorn_fpsr_bug(words):
    return any(w & m == v for w in words for m, v, _ in UNICORN_FPSR_BUGS)


def unicorn_bug(words, start):
    for w in words:
        for m, v, reason, pred in UNICORN_BUGS:
            if w & m == v and (pred is None or pred(w, start)):
                return reason
    return None


def diff(a, b, compare_fp_status=True):
    """Human-readable differences between two results ('' when equal)."""
    out = []
    if a['outcome'] != b['outcome']:
        return f"outcome: nbemu={a['outcome']} unicorn={b['outcome']}"
    if a['outcome'] == SIGSEGV:
        if a['addr'] != b['addr']:
            out.append(f"fault address: nbemu={a['addr']:#x} unicorn={b['addr']:#x}")
        return '\n'.join(out)
    if a['outcome'] not in EXECUTED:
        return ''
    for i in range(31):
        if a['x'][i] != b['x'][i]:
            out.append(f"x{i}: nbemu={a['x'][i]:#x} unicorn={b['x'][i]:#x}")
    for k in ('sp', 'pc', 'nzcv') + (('fpcr', 'fpsr') if compare_fp_status else ()):
        if a[k] != b[k]:
            out.append(f"{k}: nbemu={a[k]:#x} unicorn={b[k]:#x}")
    for i in range(32):
        if a['v'][i] != b['v'][i]:
            out.append(f"v{i}: nbemu={a['v'][i]:#034x} unicorn={b['v'][i]:#034x}")
    if a['data'] != b['data']:
        d = np.flatnonzero(np.frombuffer(a['data'], np.uint8) != np.frombuffer(b['data'], np.uint8))
        out.append(f"data differs at offsets {[hex(DATA + int(o)) for o in d[:8]]}")
    return '\n'.join(out)


# ----- per-class statistics -----
class ClassStats:
    def __init__(self):
        self.examples = 0
        self.words = set()
        self.both_ran = 0          # both sides executed every instruction (or stopped at SVC)
        self.both_fault = 0        # both faulted with the same signal (and address)
        self.excluded = 0          # nbemu SIGILL on a NOT_IMPLEMENTED feature Unicorn runs
        self.mismatch_words = set()

    def as_dict(self):
        return {'examples': self.examples, 'distinct': len(self.words), 'both_ran': self.both_ran,
                'both_fault': self.both_fault, 'excluded': self.excluded,
                'mismatches': len(self.mismatch_words)}


STATS = {}       # class name ('simd.three_same[off]') -> ClassStats


def stats_for(name):
    return STATS.setdefault(name, ClassStats())


def check(words, start, jit='off', cache_dir=None, compare_fp_status=True, cls=None):
    """Assert nbemu and Unicorn agree; returns the nbemu result. With cls, the example is counted
    in that class's statistics."""
    if isinstance(words, int):
        words = [words]
    k = stats_for(cls) if cls else None
    if unicorn_bug(words, start):
        if k is not None:
            k.examples += 1
            k.words.add(tuple(words))
            k.excluded += 1
        return run_nbemu(words, start, jit, cache_dir)
    a = run_nbemu(words, start, jit, cache_dir)
    b = run_unicorn(words, start)
    if a['outcome'] == 'SIGSEGV' and b['outcome'] == 'SIGBUS' and (a['addr'] >> 48) & 0xFF:
        # an address with bits 55:48 set (an LDRAA through a pointer that failed to
        # authenticate) faults in translation, SIGSEGV under Linux; Unicorn reports the abort
        # without a memory event, which the harness calls SIGBUS
        b = dict(b, outcome=a['outcome'], addr=a['addr'])
    d = diff(a, b, compare_fp_status and not unicorn_fpsr_bug(words))
    feature = None
    if d and a['outcome'] == SIGILL and b['outcome'] != SIGILL:
        # a feature nbemu does not implement: Unicorn may run it or fault in it (an LSE atomic
        # on a misaligned address, an LDRAA whose authentication fails...)
        i = (a['pc'] - CODE) // 4           # nbemu stops on the undefined instruction
        feature = not_implemented(words[i]) if 0 <= i < len(words) else None
        if feature is not None:
            d = ''
    if k is not None:
        k.examples += 1
        k.words.add(tuple(words))
    if d:
        if k is not None:
            k.mismatch_words.add(tuple(words))
        from nbemu.gen.disas import disas_word
        listing = '; '.join(f'{w:08x} {disas_word(w, CODE + 4 * i)}' for i, w in enumerate(words))
        raise AssertionError(f'{listing}\n{d}\n{start!r}')
    if k is not None:
        if feature is not None:
            k.excluded += 1
        elif a['outcome'] in EXECUTED:
            k.both_ran += 1
        else:
            k.both_fault += 1
    a['unicorn'] = b
    return a


# ----- running a class -----
CACHE = os.environ.get('NBEMU_CACHE_DIR') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), '.nbemu-cache')

# The hypothesis profile: 'default' keeps tests/isa within its CI time budget, 'long' (env
# NBEMU_HYPOTHESIS_PROFILE=long or pytest --long) runs many more examples per class.
PROFILE = os.environ.get('NBEMU_HYPOTHESIS_PROFILE', 'default')
# examples per class and tier: interpreter (jit='off') gets the bulk; compiled code (jit='all')
# costs one numba compile (~0.1-0.3 s) per example, so it gets its own smaller random sample
# (measured: an interpreter example costs ~2-3 ms CPU with the reused Machine and Unicorn, a
# compiled one 0.2-1 s, most of it numba; the default run of tests/isa takes about the CPU time
# the suite took before this harness, ~14 min on the 2-core CI machine)
EXAMPLES = {'default': {'off': 800, 'all': 12}, 'long': {'off': 5000, 'all': 40}}
# A class fails when fewer than this share of its examples executed on both sides (an example
# where both fault compares only the fault, so a class that mostly faults tests almost nothing).
# The compiled tier's samples are small (12 in the default profile), so its floor is lower: a
# class whose true share is 70% falls to 2 of 12 or fewer with probability ~2e-4.
FLOOR = {'off': 0.60, 'all': 0.25}


def set_profile(name):
    global PROFILE
    if name not in EXAMPLES:
        raise ValueError(f'NBEMU_HYPOTHESIS_PROFILE={name!r}: one of {sorted(EXAMPLES)}')
    PROFILE = name
    from hypothesis import settings
    settings.register_profile(f'nbemu-{name}', max_examples=EXAMPLES[name]['off'],
                              deadline=None)
    settings.load_profile(f'nbemu-{name}')


# Whole top-level encoding groups drawn with every non-op0 bit random (the *.space classes) are
# mostly unallocated or faulting words by design: they test that both sides reject and fault
# alike, so their floor is lower. Measured shares (default profile, interpreter): alu.dp_imm
# ~56%, alu.dp_reg ~32%, simd ~26%, ldst ~26%, fp ~15% (the scalar FP group is mostly
# unallocated). In the compiled tier's 12 examples a 15% share is 0 or 1 example too often for
# any floor, so there the space classes only check agreement.
SPACE_FLOOR = 0.10


def examples(mode, weight=1.0):
    return max(1, int(EXAMPLES[PROFILE][mode] * weight))


def run_class(name, mode, cases, weight=1.0, floor=None, check_fn=None):
    """Draw (words, start) examples from `cases` and check each (with `check_fn(words, start,
    mode, cls)` when given), then enforce the class's both-executed floor."""
    from hypothesis import HealthCheck, given, settings
    key = f'{name}[{mode}]'
    n = examples(mode, weight)

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(case=cases)
    def prop(case):
        words, s = case
        if isinstance(words, int):
            words = [words]
        if check_fn is not None:
            check_fn(words, s, mode, key)
        else:
            check(words, s, jit=mode, cls=key)
    prop()
    k = STATS[key]
    share = k.both_ran / max(1, k.examples)
    lim = FLOOR[mode] if floor is None else floor
    if floor == SPACE_FLOOR and mode != 'off':
        lim = 0.0
    assert share >= lim, (f'{key}: only {k.both_ran} of {k.examples} examples executed on both '
                          f'sides ({share:.0%} < {lim:.0%}): the class draws too few valid '
                          f'encodings. {k.as_dict()}')
    return k
