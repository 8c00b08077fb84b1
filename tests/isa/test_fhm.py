"""Differential tests of FEAT_FHM (FMLAL, FMLSL, FMLAL2, FMLSL2; vector and by element) against
Unicorn, which has it (QEMU 5.0's max), hand-worked Arm ARM cases, and its gating by CPU model.

The classes are the Arm ARM encodings (DDI 0487, C4.1.95 "Advanced SIMD three same" with
size<0> = 0 and opcode 11101 (U = 0) or 11001 (U = 1); "vector x indexed element" with size 10
and opcode U S 0 0). Operands: the Vn/Vm halves and FPCR (FZ16, FZ, DN, AHP, every rounding
mode) drawn as in test_fp16, the single addends in Vd as in test_fp, register by register, so
both kinds of special value (denormals of either width, NaNs with payloads) meet.
"""
import pytest

from nbemu.gen.decode import decoder
from tests.isa.encoding import Form, cases
from tests.isa.harness import CACHE, CODE, Start, run_class, run_nbemu
from tests.isa.test_fp import make_start as make_start32
from tests.isa.test_fp16 import make_start as make_start16

MODES = ('off', 'all')


def make_start(r):
    """test_fp16's start with some vector registers holding test_fp's singles instead."""
    s = make_start16(r)
    wide = make_start32(r).v
    s.v = [w if r.random() < 0.4 else h for h, w in zip(s.v, wide)]
    return s


CLASSES = {
    'fmlal_fmlsl': [Form('0 q:1 0 01110 s:1 0 1 rm:5 111011 rn:5 rd:5')],
    'fmlal2_fmlsl2': [Form('0 q:1 1 01110 s:1 0 1 rm:5 110011 rn:5 rd:5')],
    'fmlal_fmlsl_elem': [Form('0 q:1 0 01111 10 L:1 M:1 rm:4 0 s:1 00 H:1 0 rn:5 rd:5')],
    'fmlal2_fmlsl2_elem': [Form('0 q:1 1 01111 10 L:1 M:1 rm:4 1 s:1 00 H:1 0 rn:5 rd:5')],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'fhm.{cls}', mode, cases(CLASSES[cls], make_start))


def _vec(vals, width):
    return sum(v << (width * i) for i, v in enumerate(vals))


ONE_H, ONE_5H, TWO_H, THREE_H = 0x3C00, 0x3E00, 0x4000, 0x4200     # 1.0, 1.5, 2.0, 3.0
ONE_S, FOUR_S, MINUS_TWO_S = 0x3F800000, 0x40800000, 0xC0000000


@pytest.mark.parametrize('mode', MODES)
def test_by_hand(mode):
    """1.5h * 2.0h + 1.0s = 4.0s in every lane (FMLAL); FMLSL gives 1.0 - 3.0 = -2.0. The
    lower halves only: the upper four halves of Vn are 3.0, which FMLAL2 takes instead."""
    n = _vec([ONE_5H] * 4 + [THREE_H] * 4, 16)
    m = _vec([TWO_H] * 8, 16)
    d = _vec([ONE_S] * 4, 32)
    # fmlal v0.4s, v1.4h, v2.4h
    r = run_nbemu([0x4E22EC20], Start(v=[d, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([FOUR_S] * 4, 32) and r['fpsr'] == 0
    # fmlsl v0.4s, v1.4h, v2.4h
    r = run_nbemu([0x4EA2EC20], Start(v=[d, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([MINUS_TWO_S] * 4, 32)
    # fmlal2 v0.4s, v1.4h, v2.4h: 3.0 * 2.0 + 1.0 = 7.0
    r = run_nbemu([0x6E22CC20], Start(v=[d, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0x40E00000] * 4, 32)
    # fmlsl2 v0.2s, v1.2h, v2.2h: the .2S form's upper halves are elements 2, 3 (1.5 here),
    # and the upper 64 bits of Vd are zeroed
    r = run_nbemu([0x2EA2CC20], Start(v=[d, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([MINUS_TWO_S] * 2, 32)


@pytest.mark.parametrize('mode', MODES)
def test_by_element_index(mode):
    """By element: Vm's half H:L:M for every lane; Vm is one of V0-V15."""
    n = _vec([ONE_H, TWO_H, THREE_H, ONE_5H, 0, 0, 0, 0], 16)
    m = _vec([0, 0, 0, 0, 0, 0, 0, TWO_H], 16)          # only half 7 is non-zero
    # fmlal v0.4s, v1.4h, v15.h[7]: n * 2.0 + 0
    r = run_nbemu([0x4FBF0820], Start(v=[0, n] + [0] * 13 + [m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0x40000000, 0x40800000, 0x40C00000, 0x40400000], 32)
    # fmlal2 v0.4s, v1.4h, v15.h[7]: n's upper four halves are zeros, so d stays 1.0
    d = _vec([ONE_S] * 4, 32)
    r = run_nbemu([0x6FBF8820], Start(v=[d, n] + [0] * 13 + [m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == d
    # fmlsl v0.4s, v1.4h, v15.h[0] (half 0 is +0): 1.0 - n * 0 = 1.0, exact
    r = run_nbemu([0x4F8F4020], Start(v=[d, n] + [0] * 13 + [m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == d and r['fpsr'] == 0


@pytest.mark.parametrize('mode', MODES)
def test_half_denormals_and_nans(mode):
    """The smallest half denormal (2^-24) widens exactly: squared it is 2^-48, a normal single;
    under FPCR.FZ16 it is a zero and no IDC is raised (FZ16 flushes silently). A signalling
    half NaN in Vn is quieted into a single NaN with its payload (IOC), or is the default NaN
    under DN."""
    tiny = 0x0001
    n = _vec([tiny] * 4, 16)
    # fmlal v0.4s, v1.4h, v1.4h
    r = run_nbemu([0x4E21EC20], Start(v=[0, n]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0x27800000] * 4, 32) and r['fpsr'] == 0           # 2^-48
    r = run_nbemu([0x4E21EC20], Start(v=[0, n], fpcr=1 << 19), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == 0 and r['fpsr'] == 0
    snan = 0x7D55                           # signalling (quiet bit clear), payload 0x155
    n = _vec([snan] * 4, 16)
    m = _vec([ONE_H] * 4, 16)
    # fmlal v0.4s, v1.4h, v2.4h
    r = run_nbemu([0x4E22EC20], Start(v=[0, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0x7FC00000 | (0x155 << 13)] * 4, 32) and r['fpsr'] == 1
    r = run_nbemu([0x4E22EC20], Start(v=[0, n, m], fpcr=1 << 25), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0x7FC00000] * 4, 32) and r['fpsr'] == 1
    # fmlsl: FPNeg flips the NaN's sign before it propagates
    r = run_nbemu([0x4EA2EC20], Start(v=[0, n, m]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _vec([0xFFC00000 | (0x155 << 13)] * 4, 32)


WORDS = [0x0E22EC20, 0x4E22EC20, 0x4EA5EC83, 0x2E22CC20, 0x6EBFCC20, 0x4FB20820, 0x0FBF4020,
         0x6F928820, 0x6F82C020]


@pytest.mark.parametrize('model', ['max', 'neoverse-n1', 'cortex-a72'])
def test_gated_by_model(model):
    """qemu-aarch64 7.2 has FHM (ID_AA64ISAR0.FHM = 1, HWCAP_ASIMDFHM) in max only; neoverse-n1
    has FP16 but not FHM. The encodings with size<0> = 1 (vector) or size != 10 (by element)
    are not FHM on any model."""
    d = decoder(model)
    for w in WORDS:
        assert (d.decode(w, CODE)[0] is not None) == (model == 'max'), (model, hex(w))
    for w in (0x4E62EC20, 0x4FF20820, 0x4F720820):
        p = d.decode(w, CODE)[0]
        assert p is None or 'FMLAL' not in p.name, (model, hex(w))


@pytest.mark.parametrize('model', ['neoverse-n1', 'cortex-a72'])
def test_sigill_without_fhm(model):
    r = run_nbemu([0x4E22EC20], Start(), cache_dir=CACHE, cpu_model=model)
    assert r['outcome'] == 'SIGILL'
