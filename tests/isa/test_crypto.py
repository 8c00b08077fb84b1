"""Differential tests of the Cryptographic extension against Unicorn (AES, PMULL .1Q, SHA1,
SHA256, SHA512, SHA3, SM3, SM4), and of its gating by CPU model.

Each class is one encoding group of the Arm ARM (DDI 0487, C4.1.95 "Cryptographic AES",
"Cryptographic three-register SHA", "Cryptographic two-register SHA", C4.1.96 "Cryptographic
three-register, imm2", "three-register SHA 512", "four-register", "XAR", "two-register SHA
512", and PMULL in "Advanced SIMD three different"): its fixed bits, every other bit random,
the fields whose allocated values the group's table lists drawn from that list (10% of the time
uniformly, so the unallocated neighbours are drawn too and must fault the same way in both).
The start state is test_simd's: random 128-bit registers with edge-case lanes. Every class runs
in the interpreter and as compiled code.
"""
import pytest

from nbemu.core import cpu
from nbemu.gen.decode import decoder
from tests.isa import harness
from tests.isa.encoding import Form, cases
from tests.isa.harness import CODE, exit_under, run_class
from tests.isa.test_simd import make_start

MODES = ('off', 'all')

CLASSES = {
    # opcode 00100 AESE, 00101 AESD, 00110 AESMC, 00111 AESIMC
    'aes': ('01001110 size:2 10100 opcode:5 10 rn:5 rd:5', dict(size=[0], opcode=[4, 5, 6, 7])),
    # opcode 000 SHA1C, 001 SHA1P, 010 SHA1M, 011 SHA1SU0, 100 SHA256H, 101 SHA256H2,
    # 110 SHA256SU1
    'sha_3reg': ('01011110 size:2 0 rm:5 0 opcode:3 00 rn:5 rd:5',
                 dict(size=[0], opcode=list(range(7)))),
    # opcode 00000 SHA1H, 00001 SHA1SU1, 00010 SHA256SU0
    'sha_2reg': ('01011110 size:2 10100 opcode:5 10 rn:5 rd:5', dict(size=[0], opcode=[0, 1, 2])),
    # O=0: SHA512H, SHA512H2, SHA512SU1, RAX1; O=1: SM3PARTW1, SM3PARTW2, SM4EKEY
    'sha512_3reg': ('11001110 011 rm:5 1 O:1 z:2 opcode:2 rn:5 rd:5',
                    dict(z=[0], O=[0, 1])),
    # opcode 00 SHA512SU0, 01 SM4E
    'sha512_2reg': ('11001110 11000000 1000 opcode:2 rn:5 rd:5', dict(opcode=[0, 1])),
    # Op0 00 EOR3, 01 BCAX, 10 SM3SS1
    'four_reg': ('11001110 0 op0:2 rm:5 0 ra:5 rn:5 rd:5', dict(op0=[0, 1, 2])),
    'xar': ('11001110 100 rm:5 imm6:6 rn:5 rd:5', {}),
    # opcode 00 SM3TT1A, 01 SM3TT1B, 10 SM3TT2A, 11 SM3TT2B
    'sm3tt': ('11001110 010 rm:5 10 imm2:2 opcode:2 rn:5 rd:5', {}),
    # PMULL/PMULL2 with size 11: 64 x 64 -> 128-bit polynomial multiply
    'pmull_1q': ('0 q:1 0 01110 11 1 rm:5 1110 00 rn:5 rd:5', {}),
}


def class_forms(spec):
    lay, fields = spec
    return [Form(lay, **fields)]


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'crypto.{cls}', mode, cases(class_forms(CLASSES[cls]), make_start))


def test_sboxes():
    """The S-boxes built from their algebraic definitions hold the published values (FIPS-197
    figure 7, GB/T 32907 table 1: first and last entries and a few in between)."""
    from nbemu.gen.sem import crypto as C
    aes = [int(x) for x in C.AES_SBOX]
    assert aes[:8] == [0x63, 0x7C, 0x77, 0x7B, 0xF2, 0x6B, 0x6F, 0xC5]
    assert (aes[0x53], aes[0xFF], aes[0x10]) == (0xED, 0x16, 0xCA)
    assert sorted(aes) == list(range(256))
    assert all(int(C.AES_INV_SBOX[aes[i]]) == i for i in range(256))
    sm4 = [int(x) for x in C.SM4_SBOX]
    assert sm4[:16] == [0xD6, 0x90, 0xE9, 0xFE, 0xCC, 0xE1, 0x3D, 0xB7, 0x16, 0xB6, 0x14, 0xC2,
                        0x28, 0xFB, 0x2C, 0x05]
    assert sm4[-4:] == [0xD7, 0xCB, 0x39, 0x48]
    assert sorted(sm4) == list(range(256))


# one encoding of each instruction, and the features that make it decode
WORDS = {
    'aese v0.16b, v1.16b': (0x4E284820, 'FEAT_AES'),
    'aesd v0.16b, v1.16b': (0x4E285820, 'FEAT_AES'),
    'aesmc v0.16b, v1.16b': (0x4E286820, 'FEAT_AES'),
    'aesimc v0.16b, v1.16b': (0x4E287820, 'FEAT_AES'),
    'pmull v0.1q, v1.1d, v2.1d': (0x0EE2E020, 'FEAT_PMULL'),
    'pmull2 v0.1q, v1.2d, v2.2d': (0x4EE2E020, 'FEAT_PMULL'),
    'sha1c q0, s1, v2.4s': (0x5E020020, 'FEAT_SHA1'),
    'sha1p q0, s1, v2.4s': (0x5E021020, 'FEAT_SHA1'),
    'sha1m q0, s1, v2.4s': (0x5E022020, 'FEAT_SHA1'),
    'sha1su0 v0.4s, v1.4s, v2.4s': (0x5E023020, 'FEAT_SHA1'),
    'sha1h s0, s1': (0x5E280820, 'FEAT_SHA1'),
    'sha1su1 v0.4s, v1.4s': (0x5E281820, 'FEAT_SHA1'),
    'sha256h q0, q1, v2.4s': (0x5E024020, 'FEAT_SHA256'),
    'sha256h2 q0, q1, v2.4s': (0x5E025020, 'FEAT_SHA256'),
    'sha256su1 v0.4s, v1.4s, v2.4s': (0x5E026020, 'FEAT_SHA256'),
    'sha256su0 v0.4s, v1.4s': (0x5E282820, 'FEAT_SHA256'),
    'sha512h q0, q1, v2.2d': (0xCE628020, 'FEAT_SHA512'),
    'sha512h2 q0, q1, v2.2d': (0xCE628420, 'FEAT_SHA512'),
    'sha512su1 v0.2d, v1.2d, v2.2d': (0xCE628820, 'FEAT_SHA512'),
    'sha512su0 v0.2d, v1.2d': (0xCEC08020, 'FEAT_SHA512'),
    'rax1 v0.2d, v1.2d, v2.2d': (0xCE628C20, 'FEAT_SHA3'),
    'eor3 v0.16b, v1.16b, v2.16b, v3.16b': (0xCE020C20, 'FEAT_SHA3'),
    'bcax v0.16b, v1.16b, v2.16b, v3.16b': (0xCE220C20, 'FEAT_SHA3'),
    'xar v0.2d, v1.2d, v2.2d, #13': (0xCE823420, 'FEAT_SHA3'),
    'sm3ss1 v0.4s, v1.4s, v2.4s, v3.4s': (0xCE420C20, 'FEAT_SM3'),
    'sm3tt1a v0.4s, v1.4s, v2.s[0]': (0xCE428020, 'FEAT_SM3'),
    'sm3tt1b v0.4s, v1.4s, v2.s[1]': (0xCE429420, 'FEAT_SM3'),
    'sm3tt2a v0.4s, v1.4s, v2.s[2]': (0xCE42A820, 'FEAT_SM3'),
    'sm3tt2b v0.4s, v1.4s, v2.s[3]': (0xCE42BC20, 'FEAT_SM3'),
    'sm3partw1 v0.4s, v1.4s, v2.4s': (0xCE62C020, 'FEAT_SM3'),
    'sm3partw2 v0.4s, v1.4s, v2.4s': (0xCE62C420, 'FEAT_SM3'),
    'sm4e v0.4s, v1.4s': (0xCEC08420, 'FEAT_SM4'),
    'sm4ekey v0.4s, v1.4s, v2.4s': (0xCE62C820, 'FEAT_SM4'),
    'sdot v0.4s, v1.16b, v2.16b': (0x4E829420, 'FEAT_DotProd'),
    'udot v0.2s, v1.8b, v2.8b': (0x2E829420, 'FEAT_DotProd'),
    'sdot v0.4s, v1.16b, v1.4b[3]': (0x4FA1E820, 'FEAT_DotProd'),
    'udot v0.2s, v1.8b, v17.4b[0]': (0x2F91E020, 'FEAT_DotProd'),
    'cfinv': (0xD500401F, 'FEAT_FlagM'),
    'rmif x1, #5, #15': (0xBA02842F, 'FEAT_FlagM'),
    'setf8 w1': (0x3A00082D, 'FEAT_FlagM'),
    'setf16 w1': (0x3A00482D, 'FEAT_FlagM'),
    'xaflag': (0xD500403F, 'FEAT_FlagM2'),
    'axflag': (0xD500405F, 'FEAT_FlagM2'),
}
# what qemu-aarch64 7.2's models have of these (its ID_AA64ISAR0: AES 2, SHA1 1, SHA2 1 on the
# Cortex-A cores and Neoverse N1, which adds DotProd; max has every one)
_A = {'FEAT_AES', 'FEAT_PMULL', 'FEAT_SHA1', 'FEAT_SHA256'}
MODEL_FEATURES = {'cortex-a53': _A, 'cortex-a57': _A, 'cortex-a72': _A,
                  'neoverse-n1': _A | {'FEAT_DotProd'},
                  'max': {f for _, f in WORDS.values()}}


@pytest.mark.parametrize('model', sorted(MODEL_FEATURES))
def test_decode_gated_by_model(model):
    """Each instruction decodes exactly under the models that have its feature."""
    d = decoder(model)
    for name, (w, feat) in WORDS.items():
        decoded = d.decode(w, CODE)[0] is not None
        assert decoded == (feat in MODEL_FEATURES[model]), (model, name)


@pytest.mark.parametrize('mode', MODES)
def test_sigill_without_feature(mode):
    """Under a model without the feature the instruction raises SIGILL (pc stays on it); under
    max it runs. The compiled tier gets a sample (a numba compile per word)."""
    items = list(WORDS.items())
    if mode == 'all':
        items = items[::5]
    for name, (w, feat) in items:
        lacking = 'cortex-a53' if feat not in MODEL_FEATURES['cortex-a53'] else None
        if lacking is None:
            continue
        assert exit_under(w, lacking, mode) == (cpu.EXIT_SIGILL, CODE), name
        assert exit_under(w, 'max', mode)[0] == cpu.EXIT_NONE, name
    # AES, PMULL, SHA1 and SHA256 are on every model (qemu models no core without them);
    # neoverse-n1 lacks the others but DotProd
    for name, (w, feat) in items:
        if feat not in MODEL_FEATURES['neoverse-n1']:
            assert exit_under(w, 'neoverse-n1', mode)[0] == cpu.EXIT_SIGILL, name


def test_harness_no_longer_excuses_them():
    """None of these is NOT_IMPLEMENTED in the harness any more: a SIGILL would be a mismatch."""
    for name, (w, _) in WORDS.items():
        assert harness.not_implemented(w) is None, name
