"""Differential tests of FEAT_FP16 against Unicorn (its max CPU has FP16), weighted to half
precision and to FPCR.FZ16.

tests/isa/test_fp.py draws every FP format with FZ, DN, AHP and the rounding modes; here every
V-register lane is a half (special values and their neighbours, denormals, random bits: the
draws of test_fp.fpbits) and FPCR adds FZ16, the flush-to-zero control of halves (Arm ARM
FPUnpack/FPRound: FZ16 flushes half denormal inputs without IDC and tiny half results with UFC;
FZ does not touch halves; the conversions between precisions ignore FZ16). The classes are the
half forms of the Arm ARM's FP and AdvSIMD FP groups (DDI 0487 C4.1.95-96), including those
test_fp does not draw (FMOV between general registers and H, FMOV .4H/.8H immediate), and the
Armv8.0 half conversions (FCVT, FCVTL, FCVTN), which FZ16 must leave alone.

A gating test checks the architectural side nbemu alone: under cortex-a53, cortex-a57 and
cortex-a72 (no FEAT_FP16) one word of each FP16 class is SIGILL while the Armv8.0 half
conversions run; under neoverse-n1 every one runs and computes what the max model computes.
"""
import random

import pytest

from tests.isa import harness
from tests.isa.encoding import Form, cases, rand_fpsr
from tests.isa.harness import CACHE, Start, check, run_class, run_nbemu
from tests.isa.test_fp import _XEDGE, fpbits

MODES = ('off', 'all')
FZ16, FZ, DN, AHP = 1 << 19, 1 << 24, 1 << 25, 1 << 26


def rand_fpcr16(r):
    """FPCR: 30% 0, 30% FZ16 alone, otherwise random RMode, FZ16, FZ, DN and AHP."""
    k = r.random()
    if k < 0.3:
        return 0
    if k < 0.6:
        return FZ16
    return (r.getrandbits(2) << 22 | r.getrandbits(1) * FZ16 | r.getrandbits(1) * FZ |
            r.getrandbits(1) * DN | r.getrandbits(1) * AHP)


def vhalf(r):
    v = 0
    for i in range(8):
        v |= fpbits(r, 16) << (16 * i)
    return v


def vwide(r):
    """Singles or doubles (for the conversions to half), mostly near the half range."""
    n = r.choice([32, 64])
    v = 0
    for i in range(128 // n):
        if r.random() < 0.5:
            x = r.choice([1, -1]) * r.uniform(0.5, 2.0) * 2.0 ** r.randint(-28, 18)
            import struct
            b = struct.unpack('<Q', struct.pack('<d', x))[0] if n == 64 else \
                struct.unpack('<I', struct.pack('<f', x))[0]
        else:
            b = fpbits(r, n)
        v |= b << (i * n)
    return v


def make_start(r):
    v = [vhalf(r) if r.random() < 0.85 else vwide(r) for _ in range(32)]
    x = [r.getrandbits(r.choice([8, 16, 32, 64])) if r.random() < 0.5 else r.choice(_XEDGE)
         for _ in range(31)]
    return Start(x=x, v=v, nzcv=r.randrange(16) << 28, fpcr=rand_fpcr16(r), fpsr=rand_fpsr(r))


def F(layout, **fields):
    return Form(layout, **fields)


_H3S = {(0, 0): [3, 4, 7], (0, 1): [7], (1, 0): [4, 5], (1, 1): [2, 4, 5]}

CLASSES = {
    # scalar FP, ftype = 3
    'dp1': [F('000 11110 11 1 opc:6 10000 rn:5 rd:5', opc=[0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12,
                                                          14, 15])],
    'dp2': [F('000 11110 11 1 rm:5 opc:4 10 rn:5 rd:5', opc=list(range(9)))],
    'dp3': [F('000 11111 11 o1:1 rm:5 o0:1 ra:5 rn:5 rd:5')],
    'fcmp': [F('000 11110 11 1 rm:5 00 1000 rn:5 opc2:5', opc2=[0, 8, 16, 24])],
    'fccmp': [F('000 11110 11 1 rm:5 cond:4 01 rn:5 op:1 nzcv:4')],
    'fcsel': [F('000 11110 11 1 rm:5 cond:4 11 rn:5 rd:5')],
    'fmov_imm': [F('000 11110 11 1 imm8:8 100 00000 rd:5')],
    'cvt_fixed': [F('sf:1 00 11110 11 0 00 opc:3 1 x x x x x rn:5 rd:5', opc=[2, 3]),
                  F('sf:1 00 11110 11 0 11 opc:3 1 x x x x x rn:5 rd:5', opc=[0, 1]),
                  F('1 00 11110 11 0 rmode:2 opc:3 0 x x x x x rn:5 rd:5', rmode=[0, 3],
                    opc=[0, 1, 2, 3])],
    'cvt_int': [F('sf:1 00 11110 11 1 rmode:2 opc:3 000000 rn:5 rd:5', opc=[0, 1]),
                F('sf:1 00 11110 11 1 00 opc:3 000000 rn:5 rd:5', opc=[2, 3, 4, 5]),
                F('sf:1 00 11110 11 1 00 11 x 000000 rn:5 rd:5')],     # FMOV Wd/Xd <-> Hn
    # Armv8.0: FCVT between half and single/double, FCVTL/FCVTN (AHP applies, FZ16 does not)
    'fcvt': [F('000 11110 11 1 00010 to:1 10000 rn:5 rd:5', to=[0, 1]),   # FCVT Sd/Dd, Hn
             F('000 11110 ftype:2 1 0001 11 10000 rn:5 rd:5', ftype=[0, 1]),
             F('0 q:1 0 01110 0 0 10000 1011 n:1 10 rn:5 rd:5')],     # FCVTL(2), FCVTN(2)
    # AdvSIMD FP16
    'v_three_same': [F(f'0 q:1 {u} 01110 {a} 10 rm:5 00 opc:3 1 rn:5 rd:5', opc=sorted(o))
                     for (u, a), o in harness._FP16_3SAME.items()],
    's_three_same': [F(f'01 {u} 11110 {a} 10 rm:5 00 opc:3 1 rn:5 rd:5', opc=o)
                     for (u, a), o in _H3S.items()],
    'v_two_misc': [F(f'0 q:1 {u} 01110 {a} 1111 00 opc:5 10 rn:5 rd:5', opc=sorted(o))
                   for (u, a), o in harness._FP16_2MISC.items()],
    's_two_misc': [F(f'01 {u} 11110 {a} 1111 00 opc:5 10 rn:5 rd:5', opc=sorted(o))
                   for (u, a), o in harness._FP16_2MISC_SCALAR.items()],
    'v_across': [F('0 q:1 0 01110 a:1 0 11000 opc:5 10 rn:5 rd:5', opc=[12, 15])],
    's_pairwise': [F('01 0 11110 a:1 0 11000 opc:5 10 rn:5 rd:5', opc=[12, 15]),
                   F('01 0 11110 0 0 11000 01101 10 rn:5 rd:5')],
    'v_by_elem': [F('0 q:1 0 01111 00 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5', opc=[1, 5, 9]),
                  F('0 q:1 1 01111 00 L:1 M:1 rm:4 1001 H:1 0 rn:5 rd:5')],
    's_by_elem': [F('01 0 11111 00 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5', opc=[1, 5, 9]),
                  F('01 1 11111 00 L:1 M:1 rm:4 1001 H:1 0 rn:5 rd:5')],
    'v_fixed': [F('0 q:1 u:1 011110 001 x immb:3 opc:5 1 rn:5 rd:5', opc=[28, 31])],
    # FCVTZS/FCVTZU here are excused (test_fp: Unicorn sign-extends the 16-bit result), so
    # SCVTF/UCVTF are drawn four times as often to keep the class mostly compared
    's_fixed': [F('01 u:1 111110 001 x immb:3 opc:5 1 rn:5 rd:5', opc=[28, 28, 28, 28, 31])],
    'fmov_vec': [F('0 q:1 0 0111100000 a:1 b:1 c:1 1111 1 1 defgh:5 rd:5')],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'fp16.{cls}', mode, cases(CLASSES[cls], make_start))


# one word of each FP16 class (disassembly checked with binutils), and Armv8.0 half words
FP16_WORDS = {
    'fadd h0, h1, h2': 0x1ee22820, 'fmadd h0, h1, h2, h3': 0x1fc20c20,
    'fsqrt h0, h1': 0x1ee1c020, 'frintx h0, h1': 0x1ee74020, 'fcmp h1, h2': 0x1ee22020,
    'fccmpe h1, h2, #5, ge': 0x1ee2a435, 'fcsel h0, h1, h2, mi': 0x1ee24c20,
    'fmov h0, #-1.25': 0x1efe9000, 'fcvtzs w0, h1': 0x1ef80020, 'scvtf h0, w1': 0x1ee20020,
    'fmov w0, h1': 0x1ee60020, 'fmov h0, x1': 0x9ee70020, 'scvtf h0, x1, #20': 0x9ec2b020,
    'fmla v0.8h, v1.8h, v2.8h': 0x4e420c20, 'fcmge h0, h1, h2': 0x7e422420,
    'frecpe v0.8h, v1.8h': 0x4ef9d820, 'frecpe h0, h1': 0x5ef9d820,
    'fmaxnmv h0, v1.8h': 0x4e30c820, 'faddp h0, v1.2h': 0x5e30d820,
    'fmla v0.8h, v1.8h, v2.h[5]': 0x4f121820, 'fmulx h0, h1, v2.h[6]': 0x7f229820,
    'scvtf v0.8h, v1.8h, #3': 0x4f1de420, 'ucvtf h0, h1, #16': 0x7f10e420,
    'fmov v0.8h, #2.0': 0x4f00fc00,
}
BASE_WORDS = {'fcvt s0, h1': 0x1ee24020, 'fcvt d0, h1': 0x1ee2c020, 'fcvt h0, s1': 0x1e23c020,
              'fcvt h0, d1': 0x1e63c020, 'fcvtl v0.4s, v1.4h': 0x0e217820,
              'fcvtn v0.4h, v1.4s': 0x0e216820}


def test_words_are_what_they_say():
    from nbemu.gen.disas import disas_word
    for name, w in {**FP16_WORDS, **BASE_WORDS}.items():
        d = ' '.join(disas_word(w, 0).replace(',', ', ').split())
        assert d.split()[0] == name.split()[0], (name, d)


@pytest.mark.parametrize('cpu', ['cortex-a53', 'cortex-a57', 'cortex-a72', 'neoverse-n1'])
def test_fp16_gated_by_model(cpu):
    r = random.Random(16)
    start = make_start(r)
    for name, w in FP16_WORDS.items():
        res = run_nbemu([w], start, cache_dir=CACHE, cpu_model=cpu)
        if cpu == 'neoverse-n1':
            ref = run_nbemu([w], start, cache_dir=CACHE)       # max, checked against Unicorn
            assert res['outcome'] == harness.RAN, name
            assert harness.diff(res, ref) == '', name
        else:
            assert res['outcome'] == harness.SIGILL, (cpu, name)
    for name, w in BASE_WORDS.items():
        res = run_nbemu([w], start, cache_dir=CACHE, cpu_model=cpu)
        assert res['outcome'] == harness.RAN, (cpu, name)
        assert harness.diff(res, check(w, start)) == '', (cpu, name)


@pytest.mark.parametrize('mode', MODES)
def test_fz16_cases(mode):
    """Hand-picked FZ16 cases, each checked against Unicorn, with the architectural result
    asserted as well."""
    v = [0] * 32
    # fmul h0, h1, h2 of 2**-14 * 0.5: a tiny result, flushed by FZ16 with UFC only
    v[1], v[2] = 0x0400, 0x3800
    a = check(0x1ee20820, Start(v=list(v), fpcr=FZ16), jit=mode)
    assert a['v'][0] == 0 and a['fpsr'] == 0x8
    # without FZ16 (FZ set: it does not apply to halves) the result is the denormal 0x0200
    a = check(0x1ee20820, Start(v=list(v), fpcr=FZ), jit=mode)
    assert a['v'][0] == 0x0200 and a['fpsr'] == 0
    # fadd h0, h1, h2 of a denormal and 1.0 under FZ16: the input is flushed without IDC
    v[1], v[2] = 0x0001, 0x3c00
    a = check(0x1ee22820, Start(v=list(v), fpcr=FZ16), jit=mode)
    assert a['v'][0] == 0x3c00 and a['fpsr'] == 0
    # fcvt s0, h1 of a half denormal under FZ16: conversions do not flush
    a = check(0x1ee24020, Start(v=list(v), fpcr=FZ16), jit=mode)
    assert a['v'][0] == 0x33800000 and a['fpsr'] == 0
