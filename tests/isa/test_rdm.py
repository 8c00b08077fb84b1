"""Differential tests of FEAT_RDM (SQRDMLAH, SQRDMLSH: vector, scalar, by element and scalar by
element) against Unicorn, which has it (QEMU 5.0's max), and its gating by CPU model.

The classes are the Arm ARM encodings (DDI 0487, C4.1.95 "Advanced SIMD three same extra"
opcodes 000x with U=1, "x indexed element" opcodes 11x1 with U=1, and their scalar groups);
sizes other than H and S are drawn too, and must be UNDEFINED on both sides. Operands are
test_simd's (edge lanes for the saturation and sign boundaries, QC clear 80% of the time).
"""
import pytest

from nbemu.gen.decode import decoder
from tests.isa.encoding import Form, cases
from tests.isa.harness import CACHE, CODE, Start, run_class, run_nbemu
from tests.isa.test_simd import make_start

MODES = ('off', 'all')
QC = 1 << 27

CLASSES = {
    'vector': [Form('0 q:1 1 01110 size:2 0 rm:5 1000 s:1 1 rn:5 rd:5', size=[1, 2])],
    'scalar': [Form('01 1 11110 size:2 0 rm:5 1000 s:1 1 rn:5 rd:5', size=[1, 2])],
    'elem': [Form('0 q:1 1 01111 size:2 L:1 M:1 rm:4 11 s:1 1 H:1 0 rn:5 rd:5', size=[1, 2])],
    'scalar_elem': [Form('01 1 11111 size:2 L:1 M:1 rm:4 11 s:1 1 H:1 0 rn:5 rd:5',
                         size=[1, 2])],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'rdm.{cls}', mode, cases(CLASSES[cls], make_start))


def _h8(*lanes):
    return sum(v << (16 * i) for i, v in enumerate(lanes))


@pytest.mark.parametrize('mode', MODES)
def test_by_hand(mode):
    """Q15 lanes, worked from the Arm ARM's SQRDMLAH: accum = (d << 16) + 2*n*m + (1 << 15),
    result SignedSat(accum >> 16). 0.5 + 0.5*0.5 = 0.75; 0x7FFF + 0x7FFF^2 saturates to
    0x7FFF; SQRDMLSH: -1 - 0x7FFF^2 saturates to -1 (0x8000); both set QC. 1 + 1*1 stays 1:
    the product of two Q15 ulps, 2 + 0x8000 below 1 << 16, rounds to nothing."""
    d = _h8(0x4000, 0x7FFF, 0x0001, 0, 0, 0, 0, 0)
    n = _h8(0x4000, 0x7FFF, 0x0001, 0, 0, 0, 0, 0)
    # sqrdmlah v0.8h, v1.8h, v2.8h (m = n)
    r = run_nbemu([0x6E428420], Start(v=[d, n, n]), jit=mode, cache_dir=CACHE)
    assert r['v'][0] == _h8(0x6000, 0x7FFF, 0x0001, 0, 0, 0, 0, 0)
    assert r['fpsr'] & QC
    r = run_nbemu([0x6E428420], Start(v=[_h8(0x4000), _h8(0x4000), _h8(0x4000)]), jit=mode,
                  cache_dir=CACHE)
    assert r['v'][0] == _h8(0x6000) and not r['fpsr'] & QC
    # sqrdmlsh h0, h1, h2: -1 - (0x7FFF * 0x7FFF) saturates; the scalar form clears the rest
    r = run_nbemu([0x7E428C20], Start(v=[_h8(0x8000, 0x1234), _h8(0x7FFF), _h8(0x7FFF)]),
                  jit=mode, cache_dir=CACHE)
    assert r['v'][0] == 0x8000 and r['fpsr'] & QC
    # sqrdmlah v0.4s, v1.4s, v2.s[1]: 32-bit lanes, Vm's lane 1 for every lane
    s4 = lambda *v: sum(x << (32 * i) for i, x in enumerate(v))    # noqa: E731
    r = run_nbemu([0x6FA2D020], Start(v=[s4(0x40000000, 0x80000000, 0, 5),
                                         s4(0x40000000, 0x7FFFFFFF, 0, 0),
                                         s4(0, 0x80000000, 0, 0)]), jit=mode, cache_dir=CACHE)
    # 0.5 + 0.5 * -1 = 0; -1 + (1 - 2^-31) * -1 saturates to -1; 0; 5 + 0
    assert r['v'][0] == s4(0, 0x80000000, 0, 5) and r['fpsr'] & QC


WORDS = [0x6E428420, 0x6E838C20, 0x6FA2D020, 0x7E428C20, 0x7F82F020]


@pytest.mark.parametrize('model', ['max', 'neoverse-n1', 'cortex-a72', 'cortex-a53'])
def test_gated_by_model(model):
    """qemu-aarch64 7.2 has RDM (ID_AA64ISAR0.RDM = 1, HWCAP_ASIMDRDM) in neoverse-n1 and max."""
    d = decoder(model)
    for w in WORDS:
        assert (d.decode(w, CODE)[0] is not None) == (model in ('max', 'neoverse-n1')), \
            (model, hex(w))
