"""Branches, hints, barriers, system registers and cache maintenance: differential tests against
Unicorn where Unicorn models what a Linux process sees, direct expectations where it does not
(Unicorn runs at EL1, so privileged registers are readable there and its ID registers hold raw
EL1 values; PAuth is implemented there but not advertised by nbemu).

Branch targets given to Unicorn stay inside the mapped code page (Unicorn reports a fetch fault
for a branch to an unmapped page even when it stops after the branch); far targets are checked
against the architectural expectation. Every class runs in the interpreter (jit='off') and, with
its own smaller random sample, as compiled code (jit='all').
"""
import struct
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbemu.gen.decode import decoder
from nbemu.gen.sem import system as sys_sem
from nbemu.core import cpu
from tests.isa import harness
from tests.isa.harness import CACHE, CODE, DATA, DATA_SIZE, Start, check, run_nbemu

MODES = ('off', 'all')
M64 = 2**64 - 1
NOP = 0xD503201F
PAGE = 0x1000


def hyp(mode, weight=0.6):
    """Settings for a property test: the profile's examples for the tier (weight scales the
    interpreter's share), a fresh random sample in each tier and run."""
    n = harness.examples(mode, weight if mode == 'off' else 1)
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ----- encoders -----
def enc_b(imm26, link=0):
    return (0x94000000 if link else 0x14000000) | (imm26 & 0x3FFFFFF)


def enc_bcond(cond, imm19):
    return 0x54000000 | (imm19 & 0x7FFFF) << 5 | cond


def enc_cbz(sf, nz, imm19, rt):
    return sf << 31 | 0x34000000 | nz << 24 | (imm19 & 0x7FFFF) << 5 | rt


def enc_tbz(bit, nz, imm14, rt):
    return (bit >> 5) << 31 | 0x36000000 | nz << 24 | (bit & 31) << 19 | (imm14 & 0x3FFF) << 5 | rt


def enc_br(opc, rn):        # opc 0 BR, 1 BLR, 2 RET
    return 0xD61F0000 | opc << 21 | rn << 5


def enc_hint(imm7):
    return 0xD503201F | imm7 << 5


def enc_barrier(crm, op2):
    return 0xD503301F | crm << 8 | op2 << 5


def enc_sysreg(read, op0, op1, crn, crm, op2, rt):
    return (0xD5100000 | read << 21 | (op0 & 1) << 19 | op1 << 16 | crn << 12 | crm << 8 |
            op2 << 5 | rt)


def enc_sys(op1, crn, crm, op2, rt, l=0):
    return 0xD5080000 | l << 21 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt


NZCV = (3, 3, 4, 2, 0)
FPCR = (3, 3, 4, 4, 0)
FPSR = (3, 3, 4, 4, 1)
TPIDR = (3, 3, 13, 0, 2)


def mrs(reg, rt):
    return enc_sysreg(1, *reg, rt)


def msr(reg, rt):
    return enc_sysreg(0, *reg, rt)


# ----- strategies -----
_EDGE = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0xFFFFFFFF00000000,
         0x8000000000000000, M64, 0x123456789ABCDEF0]
value = st.one_of(st.sampled_from(_EDGE), st.integers(0, M64), st.integers(0, 0xFFFFFFFF),
                  st.integers(0, 0xFFFFFFFF).map(lambda v: v << 32),
                  st.integers(0, 63).map(lambda b: 1 << b))
reg = st.integers(0, 31)
code_addr = st.integers(0, PAGE // 4 - 1).map(lambda i: CODE + 4 * i)


def _rand_value(r):
    k = r.randrange(5)
    if k == 0:
        return r.choice(_EDGE)
    if k == 1:
        return r.getrandbits(64)
    if k == 2:
        return r.getrandbits(32)
    if k == 3:
        return r.getrandbits(32) << 32
    return 1 << r.randrange(64)


def start():
    """A random state from one seed (a state drawn value by value makes hypothesis re-run the
    same encodings; see tests/isa/encoding.cases)."""
    import random

    def make(seed):
        r = random.Random(seed)
        return Start(x=[_rand_value(r) for _ in range(31)], nzcv=r.randrange(16) << 28)
    return st.integers(0, 2**64 - 1).map(make)


@st.composite
def placed(draw, bits):
    """(k, imm): a branch placed after k NOPs whose target lies in the code page (so offsets of
    either sign are exercised and Unicorn can follow it)."""
    k = draw(st.integers(0, 12))
    # not the TB's own start: a taken branch there is a guest infinite loop, which compiled
    # code (jit='all') keeps running inside the TB
    target = draw(code_addr.filter(lambda t: t != CODE))
    imm = (target - (CODE + 4 * k)) // 4
    assert -(1 << (bits - 1)) <= imm < (1 << (bits - 1))
    return k, imm


def run_words(words, s, mode):
    """check() the words, counted in the harness report under the calling test's name."""
    test = sys._getframe(1).f_code.co_qualname.split('.')[0]    # 'test_b_bl.<locals>.prop'
    return check(list(words), s, jit=mode, cache_dir=CACHE,
                 cls=f"branch_system.{test.removeprefix('test_')}[{mode}]")


def decoded(word):
    pat, _ = decoder().decode(word, CODE)
    return pat


# ----- branches -----
@pytest.mark.parametrize('mode', MODES)
def test_b_bl(mode):
    @hyp(mode)
    @given(p=placed(26), link=st.integers(0, 1), s=start())
    def prop(p, link, s):
        k, imm = p
        r = run_words([NOP] * k + [enc_b(imm, link)], s, mode)
        assert r['pc'] == CODE + 4 * (k + imm)
        if link:
            assert r['x'][30] == CODE + 4 * k + 4
    prop()


@pytest.mark.parametrize('mode', MODES)
def test_b_cond(mode):
    @hyp(mode, 1.2)
    @given(p=placed(19), cond=st.integers(0, 15), s=start())
    def prop(p, cond, s):
        k, imm = p
        run_words([NOP] * k + [enc_bcond(cond, imm)], s, mode)
    prop()


@pytest.mark.parametrize('mode', MODES)
def test_b_cond_every_condition_and_flags(mode):
    """All 16 conditions under all 16 flag values, taken and not taken (256 runs; compiled, the
    16 encodings are compiled once each)."""
    for cond in range(16):
        for nzcv in range(16):
            check([enc_bcond(cond, 8)], Start(nzcv=nzcv << 28), jit=mode, cache_dir=CACHE)


@pytest.mark.parametrize('mode', MODES)
def test_cbz_cbnz(mode):
    @hyp(mode, 1.2)
    @given(p=placed(19), sf=st.integers(0, 1), nz=st.integers(0, 1), rt=reg, s=start(),
           v=st.sampled_from([0, 0xFFFFFFFF00000000, 1, 0x80000000, M64]))
    def prop(p, sf, nz, rt, s, v):
        k, imm = p
        if rt != 31:
            s.x[rt] = v     # bias towards zero and "zero only in the low half"
        run_words([NOP] * k + [enc_cbz(sf, nz, imm, rt)], s, mode)
    prop()


@pytest.mark.parametrize('mode', MODES)
def test_tbz_tbnz(mode):
    @hyp(mode, 1.2)
    @given(p=placed(14), bit=st.integers(0, 63), nz=st.integers(0, 1), rt=reg, s=start())
    def prop(p, bit, nz, rt, s):
        k, imm = p
        run_words([NOP] * k + [enc_tbz(bit, nz, imm, rt)], s, mode)
    prop()


@pytest.mark.parametrize('mode', MODES)
def test_br_blr_ret(mode):
    @hyp(mode, 1.2)
    @given(opc=st.integers(0, 2), rn=st.integers(0, 30), k=st.integers(0, 4),
           target=code_addr, s=start())
    def prop(opc, rn, k, target, s):
        s.x[rn] = target
        r = run_words([NOP] * k + [enc_br(opc, rn)], s, mode)
        assert r['pc'] == target
        assert r['x'][30] == (CODE + 4 * k + 4 if opc == 1 else s.x[30])
    prop()


def test_blr_x30_uses_old_value():
    s = Start(x=[0] * 30 + [CODE + 0x100])
    r = check([NOP, enc_br(1, 30)], s, jit='off', cache_dir=CACHE)
    assert r['pc'] == CODE + 0x100 and r['x'][30] == CODE + 8


@pytest.mark.parametrize('mode', MODES)
def test_far_targets(mode):
    """Targets outside the mapped page (Unicorn cannot follow these): exact PC and link."""
    cases = [
        (enc_b(-(1 << 25)), CODE - (1 << 27), None),
        (enc_b((1 << 25) - 1, link=1), CODE + (1 << 27) - 4, CODE + 4),
        (enc_bcond(14, -(1 << 18)), CODE - (1 << 20), None),       # AL
        (enc_bcond(15, (1 << 18) - 1), CODE + (1 << 20) - 4, None),  # NV behaves as AL
        (enc_cbz(1, 0, 0x12345, 31), CODE + 4 * 0x12345, None),    # CBZ XZR: always taken
        (enc_cbz(0, 1, 0x12345, 31), CODE + 4, None),              # CBNZ WZR: never
        (enc_tbz(63, 0, -(1 << 13), 31), CODE - (1 << 15), None),    # TBZ XZR, #63: taken
        (enc_br(0, 31), 0, None),                                  # BR XZR -> 0
        (enc_br(1, 5), 0xFFFF000012345678, CODE + 4),              # BLR to a high address
        (enc_br(2, 6), CODE + 0x123, None),     # misaligned: PC takes it (the fetch faults)
    ]
    if mode == 'all':
        cases = cases[::3]
    for word, pc, x30 in cases:
        s = Start(x=[0] * 5 + [0xFFFF000012345678, CODE + 0x123] + [0] * 23 + [0x5555])
        r = run_nbemu([word], s, jit=mode, cache_dir=CACHE)
        assert r['reason'] == cpu.EXIT_NONE
        assert r['pc'] == pc & M64, f'{word:08x}: pc {r["pc"]:#x} != {pc & M64:#x}'
        assert r['x'][30] == (x30 if x30 is not None else 0x5555)


def test_branch_ends_tb():
    for w in (enc_b(4), enc_b(4, 1), enc_bcond(0, 4), enc_cbz(1, 0, 4, 0), enc_tbz(3, 1, 4, 0),
              enc_br(0, 1), enc_br(1, 1), enc_br(2, 30)):
        p = decoded(w)
        assert p is not None and p.ends_tb, hex(w)


# ----- hints and barriers -----
_PAUTH_HINTS = {7, 8, 10, 12, 14} | set(range(24, 32))   # XPACLRI, PAC*/AUT* in the hint space


@pytest.mark.parametrize('mode', MODES)
def test_hint_space_is_nop(mode):
    imms = range(128) if mode == 'off' else (0, 1, 2, 3, 5, 25, 34, 127)
    for imm in imms:
        s = Start(x=[0x1111 * i for i in range(30)] + [CODE + 0x40], nzcv=0x60000000)
        if imm in _PAUTH_HINTS:
            continue        # PAuth under max: tests/isa/test_pauth.py (and NOPs without it)
        r = check([enc_hint(imm)], s, jit=mode, cache_dir=CACHE)
        assert r['pc'] == CODE + 4


@pytest.mark.parametrize('mode', MODES)
def test_barriers(mode):
    words = [enc_barrier(crm, op2) for op2 in (4, 5, 6) for crm in range(16)]
    words.append(enc_barrier(0, 7))         # SB
    if mode == 'all':
        words = [enc_barrier(15, 4), enc_barrier(11, 5), enc_barrier(15, 6), enc_barrier(0, 7)]
    for w in words:
        r = check([w, NOP], Start(nzcv=0x90000000), jit=mode, cache_dir=CACHE)
        assert r['pc'] == CODE + 8, hex(w)


# ----- system registers -----
@pytest.mark.parametrize('mode', MODES)
def test_msr_mrs_nzcv(mode):
    @hyp(mode)
    @given(v=value, a=reg, b=reg, c=st.integers(0, 15), s=start())
    def prop(v, a, b, c, s):
        if a != 31:
            s.x[a] = v
        # MSR then MRS, then a B.cond that reads the written flags
        run_words([msr(NZCV, a), mrs(NZCV, b), enc_bcond(c, 16)], s, mode)
    prop()


@pytest.mark.parametrize('mode', MODES)
def test_msr_mrs_fpcr_fpsr(mode):
    @hyp(mode)
    @given(v=value, w=value, a=st.integers(0, 30), b=reg, c=reg, d=reg,
           fpcr=st.integers(0, 0xFFFFFFFF), fpsr=st.integers(0, 0xFFFFFFFF), s=start())
    def prop(v, w, a, b, c, d, fpcr, fpsr, s):
        # the harness runs nbemu's max model, which has FP16 as Unicorn's max CPU: FZ16 (bit
        # 19) is writable
        s.fpcr = fpcr & sys_sem.FPCR_MASK_FP16
        s.fpsr = fpsr & sys_sem.FPSR_MASK
        s.x[a] = v
        if b != 31 and b != a:
            s.x[b] = w
        run_words([mrs(FPCR, d), mrs(FPSR, c), msr(FPCR, a), msr(FPSR, b), mrs(FPCR, c),
                   mrs(FPSR, d)], s, mode)
    prop()


def test_fpcr_fpsr_masks():
    s = Start(x=[M64] * 31)
    r = run_nbemu([msr(FPCR, 1), msr(FPSR, 2), mrs(FPCR, 3), mrs(FPSR, 4)], s, jit='off',
                  cache_dir=CACHE)
    assert r['x'][3] == sys_sem.FPCR_MASK_FP16 == 0x07FF0000       # max has FP16: FZ16
    assert r['x'][4] == sys_sem.FPSR_MASK == 0xF800009F
    assert r['fpcr'] == 0x07FF0000 and r['fpsr'] == 0xF800009F


@pytest.mark.parametrize('mode', MODES)
def test_msr_mrs_tpidr(mode):
    @hyp(mode)
    @given(v=value, a=reg, b=reg, s=start())
    def prop(v, a, b, s):
        if a != 31:
            s.x[a] = v
        s.tpidr = 0x0123456789ABCDEF
        r = run_words([mrs(TPIDR, b), msr(TPIDR, a), mrs(TPIDR, 0)], s, mode)
        written = 0 if a == 31 else s.tpidr if a == b else s.x[a]
        assert r['x'][0] == written
    prop()


# registers whose EL0 value Unicorn (EL1, QEMU 'max') reports identically
_SAME_AS_UNICORN = {
    'MIDR_EL1': (3, 0, 0, 0, 0), 'MPIDR_EL1': (3, 0, 0, 0, 5), 'REVIDR_EL1': (3, 0, 0, 0, 6),
    'CTR_EL0': (3, 3, 0, 0, 1), 'DCZID_EL0': (3, 3, 0, 0, 7), 'TPIDRRO_EL0': (3, 3, 13, 0, 3),
    'CNTFRQ_EL0': (3, 3, 14, 0, 0),
}
# ID registers as a Linux process reads them under nbemu's default model, max (the kernel's
# sanitised view of the features nbemu implements)
_LINUX_VIEW = {
    # ID_AA64PFR0_EL1: EL0/EL1 AArch64, FP and AdvSIMD with FP16, DIT
    (3, 0, 0, 4, 0): 0x1000000110011,
    (3, 0, 0, 4, 1): 0x221,             # ID_AA64PFR1_EL1: BT=1 (FEAT_BTI), SSBS=2, MTE=2 (MTE2)
    (3, 0, 0, 4, 4): 0,                 # ID_AA64ZFR0_EL1: no SVE
    (3, 0, 0, 5, 0): 0x6,               # ID_AA64DFR0_EL1
    (3, 0, 0, 5, 1): 0,                 # ID_AA64DFR1_EL1
    (3, 0, 0, 5, 4): 0,                 # ID_AA64AFR0_EL1
    # ID_AA64ISAR0_EL1: AES=2 (with PMULL), SHA1, SHA2=2 (SHA512), CRC32, LSE (Atomic=2), RDM,
    # SHA3, SM3, SM4, DotProd, FHM, TS=2 (FlagM2), RNDR
    (3, 0, 0, 6, 0): 0x1021111110212120,
    # ID_AA64ISAR1_EL1: I8MM, DGH, BF16, SB, FRINTTS, GPA, LRCPC=2, FCMA, JSCVT, APA (PAuth with
    # QARMA5), DPB=2 (DC CVADP)
    (3, 0, 0, 6, 1): 0x11101101211012,
    (3, 0, 0, 6, 2): 0,                 # ID_AA64ISAR2_EL1
    (3, 0, 0, 7, 0): 0xFF000000,        # ID_AA64MMFR0_EL1
    (3, 0, 0, 7, 1): 0,
    (3, 0, 0, 7, 2): 0,
    (3, 0, 0, 3, 0): 0,                 # AArch32 MVFR0_EL1 (reads as zero)
    (3, 0, 0, 7, 7): 0,                 # reserved ID space reads as zero
}


@pytest.mark.parametrize('mode', MODES)
def test_mrs_constant_registers(mode):
    regs = list(_SAME_AS_UNICORN.values())
    words = [mrs(r, i) for i, r in enumerate(regs)]
    r = check(words, Start(x=[0xDEAD] * 31), jit=mode, cache_dir=CACHE)
    assert r['x'][:len(regs)] == [0x000F0510, 0x80000000, 0, 0x8444C004, 4, 0, 62500000]
    keys = list(_LINUX_VIEW)
    words = [mrs(k, i) for i, k in enumerate(keys)]
    r = run_nbemu(words, Start(x=[0xDEAD] * 31), jit=mode, cache_dir=CACHE)
    assert r['reason'] == cpu.EXIT_NONE
    assert r['x'][:len(keys)] == [_LINUX_VIEW[k] for k in keys]


@pytest.mark.parametrize('mode', MODES)
def test_cntvct(mode):
    cntvct = (3, 3, 14, 0, 2)
    t0 = time.monotonic_ns() >> 4
    r = run_nbemu([mrs(cntvct, 0), NOP, mrs(cntvct, 1), mrs(cntvct, 31)], Start(), jit=mode,
                  cache_dir=CACHE)
    t1 = time.monotonic_ns() >> 4
    assert r['reason'] == cpu.EXIT_NONE
    assert t0 <= r['x'][0] <= r['x'][1] <= t1


@pytest.mark.parametrize('mode', MODES)
def test_rndr(mode):
    """MRS RNDR and RNDRRS (FEAT_RNG, max only) give host random numbers and clear NZCV (the
    Arm ARM's success result). Unicorn has them too, so the NZCV/NZCV-clearing part is checked
    against it; the numbers themselves differ between runs and between emulators."""
    rndr, rndrrs = (3, 3, 2, 4, 0), (3, 3, 2, 4, 1)
    words = [mrs(rndr, 0), mrs(rndr, 1), mrs(rndrrs, 2), mrs(NZCV, 3), mrs(rndr, 31)]
    s = Start(nzcv=0xF0000000)
    r = run_nbemu(words, s, jit=mode, cache_dir=CACHE)
    u = harness.run_unicorn(words, s)
    assert r['reason'] == cpu.EXIT_NONE and u['outcome'] == 'ran'
    assert r['nzcv'] == u['nzcv'] == r['x'][3] == u['x'][3] == 0
    assert len({r['x'][0], r['x'][1], r['x'][2], u['x'][0]}) == 4      # 2^-62 to collide
    for model in ('neoverse-n1', 'cortex-a72'):
        r = run_nbemu([mrs(rndr, 0)], s, jit=mode, cache_dir=CACHE, cpu_model=model)
        assert r['reason'] == cpu.EXIT_SIGILL, model


DIT, SSBS, TCO = (3, 3, 4, 2, 5), (3, 3, 4, 2, 6), (3, 3, 4, 2, 7)


@pytest.mark.parametrize('mode', MODES)
def test_dit_ssbs(mode):
    """PSTATE.DIT (bit 24) and SSBS (bit 12) through MSR (immediate, the value in CRm<0>) and
    the registers, which keep only their own bit. Unicorn 2.1 has no DIT, so these are checked
    by hand here and against qemu-aarch64 by the pstate_bits corpus program (signal frames)."""
    words = [0xD503415F, mrs(DIT, 0),           # msr dit, #1
             0xD503413F, mrs(SSBS, 1),          # msr ssbs, #1
             msr(DIT, 31), mrs(DIT, 2),         # msr dit, xzr
             msr(SSBS, 3), mrs(SSBS, 4),        # msr ssbs, x3 (all ones but bit 12)
             0xD503475F, mrs(DIT, 5),           # msr dit, #7: CRm<0> = 1
             0xD503419F, mrs(TCO, 6),           # msr tco, #1 (MTE; the tag checks: mte_overflow)
             msr(TCO, 31), mrs(TCO, 7)]
    s = Start(x=[0, 0, 0, M64 ^ 1 << 12] + [7] * 27)
    r = run_nbemu(words, s, jit=mode, cache_dir=CACHE)
    assert r['reason'] == cpu.EXIT_NONE
    assert r['x'][:8] == [1 << 24, 1 << 12, 0, M64 ^ 1 << 12, 0, 1 << 24, 1 << 25, 0]
    # neoverse-n1 has SSBS, not DIT; cortex-a72 neither
    for model, ok in (('neoverse-n1', (False, True, False)), ('cortex-a72', (False,) * 3)):
        for w, has in zip((mrs(DIT, 0), mrs(SSBS, 0), mrs(TCO, 0)), ok):
            r = run_nbemu([w], s, jit=mode, cache_dir=CACHE, cpu_model=model)
            assert (r['reason'] == cpu.EXIT_NONE) == has, (model, hex(w))


def test_dit_ssbs_register_writes_end_the_tb():
    """As in QEMU, a write of the DIT, SSBS or TCO register ends the TB (no
    ARM_CP_SUPPRESS_TB_END), as does MSR TCO, #imm (it changes which accesses are checked);
    MSR DIT/SSBS, #imm do not. So plugins see the same TBs."""
    d = decoder('max')
    for w in (msr(DIT, 0), msr(SSBS, 0), msr(TCO, 0), 0xD503419F):
        assert d.decode(w, CODE)[0].ends_tb, hex(w)
    assert not d.decode(0xD503415F, CODE)[0].ends_tb
    assert not d.decode(0xD503413F, CODE)[0].ends_tb
    assert not d.decode(mrs(DIT, 0), CODE)[0].ends_tb


# ----- DC ZVA and cache maintenance -----
@pytest.mark.parametrize('mode', MODES)
def test_dc_zva(mode):
    @hyp(mode)
    @given(off=st.integers(0, DATA_SIZE - 1), rt=st.integers(0, 30),
           seed=st.integers(0, 2**32), s=start())
    def prop(off, rt, seed, s):
        s.x[rt] = DATA + off
        s.data = np.random.default_rng(seed).integers(1, 256, DATA_SIZE, np.uint8).tobytes()
        r = run_words([enc_sys(3, 7, 4, 1, rt)], s, mode)
        base = off & ~63
        assert r['data'][base:base + 64] == bytes(64)
    prop()


def _raw_run(words, x, jit, code_prot=5):
    """Like harness.run_nbemu, but returning the exit data and memory (code may be writable)."""
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    mem = Memory(1 << 22)
    mem.map(CODE, PAGE, code_prot)
    mem.map(DATA, DATA_SIZE, 3)
    mem.map(DATA + DATA_SIZE, PAGE, 1)          # read-only page after the data
    mem.write(CODE, b''.join(struct.pack('<I', w) for w in words), need=0)
    mem.write(DATA, b'\xAA' * DATA_SIZE, need=0)
    m = Machine(mem, jit=jit, cache_dir=CACHE, max_tb_insns=len(words))
    m.state['x'][0][:len(x)] = x
    m.state['pc'] = CODE
    reason = m.run_one_tb()
    st_ = m.state
    return reason, int(st_['pc'][0]), int(st_['fault_addr'][0]), int(st_['exit_info'][0]), mem


@pytest.mark.parametrize('mode', MODES)
def test_dc_zva_faults(mode):
    zva = enc_sys(3, 7, 4, 1, 1)
    # unmapped: SIGSEGV at Xt itself (not the aligned block), nothing written, pc on the insn
    for xt, write in ((0x7000_0000_0123, True), (DATA + DATA_SIZE + 0x45, True)):
        reason, pc, addr, info, mem = _raw_run([NOP, zva], [0, xt], mode)
        assert (reason, pc, addr, info) == (cpu.EXIT_SEGV, CODE + 4, xt, 1)
    reason, pc, addr, info, mem = _raw_run([zva], [0, CODE + 0x13], mode)   # r-x code page
    assert (reason, addr, info) == (cpu.EXIT_SEGV, CODE + 0x13, 1)
    assert mem.read(CODE, 4, need=0) == struct.pack('<I', zva)


@pytest.mark.parametrize('mode', MODES)
def test_dc_zva_on_translated_code(mode):
    """DC ZVA into a writable page holding translated code takes the code-store path: the block
    is zeroed and the TB exits so the runtime invalidates the page."""
    zva = enc_sys(3, 7, 4, 1, 1)
    reason, pc, addr, info, mem = _raw_run([zva, NOP], [0, CODE + 0x805], mode, code_prot=7)
    assert reason == cpu.EXIT_SMC and info == CODE and pc == CODE + 4
    assert mem.read(CODE + 0x800, 64, need=0) == bytes(64)
    assert mem.read(CODE, 4, need=0) == struct.pack('<I', zva)


@pytest.mark.parametrize('mode', MODES)
def test_cache_maintenance_nops(mode):
    # DC CVAC, DC CVAU, DC CVAP, DC CVADP, DC CIVAC, IC IVAU, with mapped and unmapped addresses
    ops = [(3, 7, 10, 1), (3, 7, 11, 1), (3, 7, 12, 1), (3, 7, 13, 1), (3, 7, 14, 1),
           (3, 7, 5, 1)]
    if mode == 'all':
        ops = ops[1::3]
    for op in ops:
        for xt in (DATA + 0x33, 0x4000_0000):
            s = Start(x=[xt] * 31)
            r = check([enc_sys(*op, rt=3), NOP], s, jit=mode, cache_dir=CACHE)
            assert r['pc'] == CODE + 8


# ----- exception generation and unallocated encodings -----
@pytest.mark.parametrize('mode', MODES)
def test_svc_brk(mode):
    r = run_nbemu([NOP, 0xD4000001 | 0x1234 << 5, NOP], Start(), jit=mode, cache_dir=CACHE)
    assert r['reason'] == cpu.EXIT_SYSCALL and r['pc'] == CODE + 8
    r = run_nbemu([0xD4200000 | 0x3E8 << 5], Start(), jit=mode, cache_dir=CACHE)
    assert r['reason'] == cpu.EXIT_BRK and r['pc'] == CODE


SIGILL_WORDS = {
    'hlt #0': 0xD4400000,
    'hlt #0xf000': 0xD45E0000,
    'hvc #0': 0xD4000002,
    'smc #0': 0xD4000003,
    'dcps1': 0xD4A00001,
    'udf #0': 0x00000000,
    'udf #0x1234': 0x00001234,
    'eret': 0xD69F03E0,
    'drps': 0xD6BF03E0,
    'bc.eq': 0x54000030,
    'hint with rt != 31': 0xD5032000,
    'dsb nXS': 0xD503323F,
    'tcommit': 0xD503307F,
    'msr daifset, #2': 0xD50342DF,
    'msr spsel, #1': 0xD50041BF,
    'wfet x0': 0xD5031000,
    'mrs x0, daif': enc_sysreg(1, 3, 3, 4, 2, 1, 0),
    'msr daif, x0': enc_sysreg(0, 3, 3, 4, 2, 1, 0),
    'mrs x0, cntpct_el0': enc_sysreg(1, 3, 3, 14, 0, 1, 0),
    'mrs x0, cntvctss_el0': enc_sysreg(1, 3, 3, 14, 0, 6, 0),
    'mrs x0, cntv_ctl_el0': enc_sysreg(1, 3, 3, 14, 3, 1, 0),
    'mrs x0, sctlr_el1': enc_sysreg(1, 3, 0, 1, 0, 0, 0),
    'mrs x0, ccsidr_el1': enc_sysreg(1, 3, 1, 0, 0, 0, 0),
    'mrs x0, clidr_el1': enc_sysreg(1, 3, 1, 0, 0, 1, 0),
    'mrs x0, currentel': enc_sysreg(1, 3, 0, 4, 2, 2, 0),
    'mrs x0, id_pfr0_el1 (CRm 1)': enc_sysreg(1, 3, 0, 0, 1, 0, 0),
    'mrs x0, s3_0_c0_c0_1': enc_sysreg(1, 3, 0, 0, 0, 1, 0),
    'mrs x0, tpidr_el1': enc_sysreg(1, 3, 0, 13, 0, 4, 0),
    'mrs x0, tpidr2_el0': enc_sysreg(1, 3, 3, 13, 0, 5, 0),
    'msr rndr, x0 (read-only)': enc_sysreg(0, 3, 3, 2, 4, 0, 0),
    'mrs x0, pmccntr_el0': enc_sysreg(1, 3, 3, 9, 13, 0, 0),
    'msr pan, #1': 0xD500419F,
    'msr uao, #1': 0xD500417F,
    'mrs x0, mdccsr_el0 (op0=2)': enc_sysreg(1, 2, 3, 0, 1, 0, 0),
    'msr tpidrro_el0, x0': enc_sysreg(0, 3, 3, 13, 0, 3, 0),
    'msr ctr_el0, x0': enc_sysreg(0, 3, 3, 0, 0, 1, 0),
    'msr dczid_el0, x0': enc_sysreg(0, 3, 3, 0, 0, 7, 0),
    'msr midr_el1, x0': enc_sysreg(0, 3, 0, 0, 0, 0, 0),
    'msr id_aa64pfr0_el1, x0': enc_sysreg(0, 3, 0, 0, 4, 0, 0),
    'msr cntfrq_el0, x0': enc_sysreg(0, 3, 3, 14, 0, 0, 0),
    'msr cntvct_el0, x0': enc_sysreg(0, 3, 3, 14, 0, 2, 0),
    'dc ivac': enc_sys(0, 7, 6, 1, 0),
    'ic iallu': enc_sys(0, 7, 5, 0, 31),
    'tlbi vmalle1': enc_sys(0, 8, 7, 0, 31),
    'at s1e0r': enc_sys(0, 7, 8, 2, 0),
    'cfp rctx': enc_sys(3, 7, 3, 4, 0),
    'sysl x0, #3, c7, c4, #1': enc_sys(3, 7, 4, 1, 0, l=1),
}


@pytest.mark.parametrize('mode', MODES)
def test_unallocated_sigill(mode):
    items = list(SIGILL_WORDS.items())
    if mode == 'all':
        items = items[::6]
    for name, w in items:
        r = run_nbemu([w], Start(x=[DATA] * 31), jit=mode, cache_dir=CACHE)
        assert r['reason'] == cpu.EXIT_SIGILL, f'{name} ({w:08x}): reason {r["reason"]}'
        assert r['pc'] == CODE, name


def test_sigill_mid_tb_keeps_earlier_effects():
    # the instructions before the undefined one ran; pc stays on it
    r = run_nbemu([msr(TPIDR, 1), mrs(TPIDR, 2), 0xD4400000], Start(x=[0, 77]), jit='off',
                  cache_dir=CACHE)
    assert r['reason'] == cpu.EXIT_SIGILL and r['pc'] == CODE + 8 and r['x'][2] == 77
