"""FEAT_I8MM and FEAT_BF16 on values worked by hand from the Arm ARM pseudocode (DDI 0487,
SMMLA, UMMLA, USMMLA, USDOT, SUDOT; BFCVT, BFCVTN, BFDOT, BFMMLA, BFMLALB/T, with BFDotAdd,
BFMul, BFAdd, BFRound and FPConvertBF), in the interpreter and as compiled code, and their
gating by CPU model.

Unicorn 2.1 (QEMU 5.0) has neither feature (every one of these raises an exception there), so
the wide comparison is with qemu-aarch64 7.2 -cpu max: the bf16 corpus program
(tests/guest/src/bf16.c) prints thousands of results on random and special inputs under each
FPCR mode. The cases here pin what the pseudocode says where BFDOT/BFMMLA differ from IEEE
arithmetic: round to odd, denormal inputs and tiny results flushed, FPCR ignored, the default
NaN for any NaN, FPSR untouched; and that BFMLAL and BFCVT are ordinary FPCR-governed FP.
"""

import pytest

from nbemu.core import cpu
from nbemu.gen import features
from nbemu.gen.decode import decoder
from tests.isa.harness import CACHE, CODE, Start, exit_under, run_nbemu

MODES = ('off', 'all')
IXC, UFC, OFC, IOC, IDC = 0x10, 0x8, 0x4, 0x1, 0x80
RP, RZ, FZ, DN = 1 << 22, 3 << 22, 1 << 24, 1 << 25


def vec(vals, width):
    """A 128-bit register from lanes of `width` bits, lane 0 first."""
    return sum((v & ((1 << width) - 1)) << (width * i) for i, v in enumerate(vals))


def lanes(v, width, n=None):
    n = n or 128 // width
    return [(v >> (width * i)) & ((1 << width) - 1) for i in range(n)]


def run(word, v, fpcr=0, mode='off'):
    start = Start(v=v + [0] * (32 - len(v)), fpcr=fpcr)
    r = run_nbemu([word], start, jit=mode, cache_dir=CACHE)
    assert r['outcome'] == 'ran', hex(word)
    return r['v'][0], r['fpsr']


# ----- FEAT_I8MM -----
# Vn: bytes 1..8 then eight 0xFF (-1 signed, 255 unsigned); Vm: eight 1 then eight 0x80
# (-128 signed, 128 unsigned); Vd: 10, 20, 30, 40
I8_N = vec(list(range(1, 9)) + [0xFF] * 8, 8)
I8_M = vec([1] * 8 + [0x80] * 8, 8)
I8_D = vec([10, 20, 30, 40], 32)
I8MM_CASES = {
    # lane 2i+j = d + row i of Vn (bytes 8i..8i+7) . row j of Vm
    'smmla v0.4s, v1.16b, v2.16b': (0x4E82A420, [46, 20 - 36 * 128, 30 - 8, 40 + 128 * 8]),
    'ummla v0.4s, v1.16b, v2.16b': (0x6E82A420, [46, 20 + 36 * 128, 30 + 255 * 8,
                                                  40 + 255 * 128 * 8]),
    'usmmla v0.4s, v1.16b, v2.16b': (0x4E82AC20, [46, 20 - 36 * 128, 30 + 255 * 8,
                                                   40 - 255 * 128 * 8]),
    # lane e = d + bytes 4e..4e+3 of Vn (unsigned) . the same of Vm (signed)
    'usdot v0.4s, v1.16b, v2.16b': (0x4E829C20, [20, 46, 30 - 255 * 128 * 4,
                                                  40 - 255 * 128 * 4]),
    # Vm's 32-bit element 2 (bytes 8..11: 128 unsigned) times Vn's bytes signed
    'sudot v0.4s, v1.16b, v2.4b[2]': (0x4F02F820, [10 + 10 * 128, 20 + 26 * 128, 30 - 4 * 128,
                                                   40 - 4 * 128]),
    # Vm's element 1 (bytes 4..7: 1 signed) times Vn's bytes unsigned; the upper half cleared
    'usdot v0.2s, v1.8b, v2.4b[1]': (0x0FA2F020, [20, 46, 0, 0]),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(I8MM_CASES))
def test_i8mm(name, mode):
    word, want = I8MM_CASES[name]
    v0, fpsr = run(word, [I8_D, I8_N, I8_M], mode=mode)
    assert lanes(v0, 32) == [w & 0xFFFFFFFF for w in want], name
    assert fpsr == 0


# ----- FEAT_BF16 -----
ONE, TWO, THREE, FOUR, HALF = 0x3F80, 0x4000, 0x4040, 0x4080, 0x3F00
NINF, SNAN = 0xFF80, 0x7F81
P2_M24 = 0x3380                 # 2^-24: exponent 103
F1 = 0x3F800000


def test_bfdot_round_to_odd_flush_default_nan():
    """BFDOT v0.4s, v1.8h, v2.8h: lane 0 exact (1 + 1*3 + 2*0.5 = 5); lane 1 1 + 2^-24 rounds
    to odd (1 + 2^-23; IEEE nearest-even would give 1.0); lane 2: a denormal input (0x0001)
    is zero, so 0 * 2^127 = +0 (IEEE: 2^-6); lane 3: a signalling NaN gives the default NaN,
    no flag."""
    n = vec([ONE, TWO, ONE, 0, 0x0001, 0, SNAN, 0], 16)
    m = vec([THREE, HALF, P2_M24, 0, 0x7F00, 0, ONE, 0], 16)
    d = vec([F1, F1, 0, 0], 32)
    for mode in MODES:
        v0, fpsr = run(0x6E42FC20, [d, n, m], mode=mode)
        assert lanes(v0, 32) == [0x40A00000, 0x3F800001, 0, 0x7FC00000], mode
        assert fpsr == 0, mode


def test_bfdot_ignores_fpcr():
    """BFDOT v0.2s, v1.4h, v2.4h under FPCR RZ with FZ and DN clear: 2^-70 * 2^-70 = 2^-140 is
    below 2^-126 and flushed to +0 (BFRound's fixed flush, not FPCR.FZ); 2^127 * 2 overflows
    to +inf (BFRound, where RZ would give the largest finite); no FPSR flag; lanes 2, 3 zero."""
    p2_m70 = 0x1C80
    n = vec([p2_m70, 0, 0x7F00, 0], 16)
    m = vec([p2_m70, 0, TWO, 0], 16)
    d = vec([0, 0, 0x12345678, 0x12345678], 32)
    for mode in MODES:
        v0, fpsr = run(0x2E42FC20, [d, n, m], fpcr=RZ, mode=mode)
        assert lanes(v0, 32) == [0, 0x7F800000, 0, 0], mode
        assert fpsr == 0, mode


def test_bfdot_by_element():
    """BFDOT v0.4s, v1.8h, v2.2h[1]: each pair of Vn dotted with Vm's pair 1 = (1, 1), plus 1;
    -inf + NaN is the default NaN."""
    n = vec([ONE, TWO, THREE, FOUR, ONE, ONE, NINF, SNAN], 16)
    m = vec([0, 0, ONE, ONE, 0, 0, 0, 0], 16)
    d = vec([F1] * 4, 32)
    for mode in MODES:
        v0, fpsr = run(0x4F62F020, [d, n, m], mode=mode)
        assert lanes(v0, 32) == [0x40800000, 0x41000000, 0x40400000, 0x7FC00000], mode
        assert fpsr == 0, mode


def test_bfmmla():
    """BFMMLA: lane 2i+j = d + row i of Vn . row j of Vm, rows of four BFloat16; Vn rows
    (1, 2, 3, 4) and (0.5 x4), Vm rows (1 x4) and (1, 0, 0, 0), Vd (100, 0, 0, -0.5):
    110, 1, 2, and -0.5 + 0.5 = +0 (BFAdd's exact zero is positive)."""
    n = vec([ONE, TWO, THREE, FOUR] + [HALF] * 4, 16)
    m = vec([ONE] * 4 + [ONE, 0, 0, 0], 16)
    d = vec([0x42C80000, 0, 0, 0xBF000000], 32)
    for mode in MODES:
        v0, fpsr = run(0x6E42EC20, [d, n, m], mode=mode)
        assert lanes(v0, 32) == [0x42DC0000, F1, 0x40000000, 0], mode
        assert fpsr == 0, mode


BFMLAL_N = vec([ONE, TWO, THREE, FOUR, ONE, ONE, NINF, SNAN], 16)
BFMLAL_M = vec([THREE, HALF, ONE, ONE, P2_M24, P2_M24, ONE, ONE], 16)


def test_bfmlal_is_fpcr_single_fma():
    """BFMLALB/T are FPMulAdd in single precision with FPCR: 1 + 2^-24 is a tie that rounds to
    even (1.0, IXC), or up under RP; the signalling NaN of the odd lanes gives its quiet NaN
    and IOC."""
    d = vec([F1] * 4, 32)
    for mode in MODES:
        v0, fpsr = run(0x2EC2FC20, [d, BFMLAL_N, BFMLAL_M], mode=mode)     # bfmlalb
        assert lanes(v0, 32) == [0x40800000, 0x40800000, F1, 0xFF800000], mode
        assert fpsr == IXC
        v0, fpsr = run(0x2EC2FC20, [d, BFMLAL_N, BFMLAL_M], fpcr=RP, mode=mode)
        assert lanes(v0, 32)[2] == 0x3F800001
        v0, fpsr = run(0x6EC2FC20, [d, BFMLAL_N, BFMLAL_M], mode=mode)     # bfmlalt
        assert lanes(v0, 32) == [0x40000000, 0x40A00000, F1, 0x7FC10000], mode
        assert fpsr == IXC | IOC


def test_bfmlalb_by_element():
    """BFMLALB v0.4s, v1.8h, v2.h[5] (index H:L:M = 101): the even halves of Vn times 2^-24,
    plus 1: 1 + 1.5 * 2^-23 is a tie between 1 + 2^-23 and 1 + 2^-22, to even (the latter)."""
    d = vec([F1] * 4, 32)
    for mode in MODES:
        v0, fpsr = run(0x0FD2F820, [d, BFMLAL_N, BFMLAL_M], mode=mode)
        assert lanes(v0, 32) == [F1, 0x3F800002, F1, 0xFF800000], mode
        assert fpsr == IXC


BFCVT_CASES = [
    # (single, FPCR, BFloat16, FPSR): 1 + 2^-8 is a tie, to even (1.0) or up (RP)
    (0x3F808000, 0, 0x3F80, IXC), (0x3F808000, RP, 0x3F81, IXC),
    (0x3F818000, 0, 0x3F82, IXC), (0x3F818000, RZ, 0x3F81, IXC),
    (0x7F7FFFFF, 0, 0x7F80, OFC | IXC), (0x7F7FFFFF, RZ, 0x7F7F, IXC),   # overflow
    (0x00000001, 0, 0x0000, UFC | IXC),     # tiny before rounding and inexact
    (0x00018000, 0, 0x0002, UFC | IXC),     # a denormal tie, to even
    (0x00000001, FZ, 0x0000, IDC),          # a denormal input flushed
    (0x7F800001, 0, 0x7FC0, IOC), (0xFF812345, 0, 0xFFC1, IOC), (0xFF812345, DN, 0x7FC0, IOC),
    (0xFF800000, 0, 0xFF80, 0), (0x80000000, 0, 0x8000, 0), (0x40490000, 0, 0x4049, 0),
]


@pytest.mark.parametrize('mode', MODES)
def test_bfcvt(mode):
    """BFCVT h0, s1: FPConvertBF, rounded as FPCR says, with FPSR flags."""
    for single, fpcr, want, flags in BFCVT_CASES:
        v0, fpsr = run(0x1E634020, [2**128 - 1, single | (0xABCD << 64)], fpcr=fpcr, mode=mode)
        assert (v0, fpsr) == (want, flags), (hex(single), fpcr)


@pytest.mark.parametrize('mode', MODES)
def test_bfcvtn(mode):
    """BFCVTN writes the four BFloat16 to the lower half and clears the upper; BFCVTN2 writes
    the upper half and keeps the lower."""
    v1 = vec([0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x7F800001], 32)
    old = 0x11112222333344445555666677778888
    packed = vec([0x3F80, 0x3F82, 0x7F80, 0x7FC0], 16)
    v0, fpsr = run(0x0EA16820, [old, v1], mode=mode)
    assert (v0, fpsr) == (packed, IXC | OFC | IOC)
    v0, fpsr = run(0x4EA16820, [old, v1], mode=mode)
    assert (v0, fpsr) == (packed << 64 | (old & (2**64 - 1)), IXC | OFC | IOC)


# ----- gating -----
WORDS = {**{name: (w, 'FEAT_I8MM') for name, (w, _) in I8MM_CASES.items()},
         'bfdot v0.4s, v1.8h, v2.8h': (0x6E42FC20, 'FEAT_BF16'),
         'bfdot v0.4s, v1.8h, v2.2h[1]': (0x4F62F020, 'FEAT_BF16'),
         'bfmmla v0.4s, v1.8h, v2.8h': (0x6E42EC20, 'FEAT_BF16'),
         'bfmlalb v0.4s, v1.8h, v2.8h': (0x2EC2FC20, 'FEAT_BF16'),
         'bfmlalt v0.4s, v1.8h, v2.8h': (0x6EC2FC20, 'FEAT_BF16'),
         'bfmlalb v0.4s, v1.8h, v2.h[5]': (0x0FD2F820, 'FEAT_BF16'),
         'bfcvt h0, s1': (0x1E634020, 'FEAT_BF16'),
         'bfcvtn v0.4h, v1.4s': (0x0EA16820, 'FEAT_BF16'),
         'bfcvtn2 v0.8h, v1.4s': (0x4EA16820, 'FEAT_BF16')}


@pytest.mark.parametrize('model', ['max', 'neoverse-n1', 'cortex-a53', 'cortex-a72'])
def test_decode_gated_by_model(model):
    """qemu-aarch64 7.2 has I8MM and BF16 (ID_AA64ISAR1 fields 55:52 and 47:44 = 1) only in
    max; neoverse-n1 (ISAR1 0x100001) and the Cortex-A cores have neither."""
    d = decoder(model)
    for name, (w, feat) in WORDS.items():
        assert (d.decode(w, CODE)[0] is not None) == (model == 'max'), (model, name)
        has = feat in {f.name for f in features.MODELS[model].features}
        assert has == (model == 'max'), (model, feat)


@pytest.mark.parametrize('mode', MODES)
def test_sigill_under_neoverse_n1(mode):
    """Under neoverse-n1 each instruction is SIGILL with the pc on it, in both tiers (the
    compiled tier gets a sample: a numba compile per word); under max it runs."""
    items = list(WORDS.items())
    if mode == 'all':
        items = items[::4]
    for name, (w, _) in items:
        assert exit_under(w, 'neoverse-n1', mode) == (cpu.EXIT_SIGILL, CODE), name
        assert exit_under(w, 'max', mode)[0] == cpu.EXIT_NONE, name
