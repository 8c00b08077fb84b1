"""The differential harness itself: outcome mapping, fault comparison, exclusions, drawing."""
import random

import pytest

from tests.isa import harness
from tests.isa.encoding import Form
from tests.isa.harness import (CODE, DATA, DATA_SIZE, SIGBUS, SIGILL, SIGSEGV, SIGTRAP, SVC, Start,
                               check, diff, not_implemented, run_nbemu, run_unicorn)


@pytest.mark.parametrize('word,x1,outcome,addr', [
    (0x00000000, DATA, SIGILL, None),                   # udf #0
    (0xD4200000 | 0x3E8 << 5, DATA, SIGTRAP, None),     # brk #0x3e8
    (0xD4000001, DATA, SVC, None),                      # svc #0
    (0xF9400020, 0x50000, SIGSEGV, 0x50000),            # ldr x0, [x1] unmapped
    (0xF9000020, CODE + 0x100, SIGSEGV, CODE + 0x100),  # str x0, [x1] to the r-x code page
    (0xC85F7C20, DATA + 4, SIGBUS, None),               # ldxr x0, [x1] misaligned
])
def test_outcomes_agree(word, x1, outcome, addr):
    """Each fault kind maps to the same outcome on both sides, with the address for SIGSEGV."""
    s = Start(x=[0, x1])
    a = run_nbemu([word], s)
    b = run_unicorn([word], s)
    assert (a['outcome'], a['addr']) == (outcome, addr)
    assert (b['outcome'], b['addr']) == (outcome, addr)
    check([word], s)


def test_page_crossing_fault_address():
    """A load crossing into an unmapped page faults at the first unmapped byte on both sides."""
    s = Start(x=[0, DATA + DATA_SIZE - 3])
    a = check([0xF9400020], s)
    assert a['outcome'] == SIGSEGV and a['addr'] == DATA + DATA_SIZE


def _res(**kw):
    r = {'x': [0] * 31, 'sp': 0, 'pc': CODE, 'nzcv': 0, 'v': [0] * 32, 'data': b'',
         'fpcr': 0, 'fpsr': 0, 'outcome': 'ran', 'addr': None}
    r.update(kw)
    return r


def test_diff_compares_faults():
    assert diff(_res(outcome=SIGILL), _res(outcome=SIGSEGV, addr=1))
    assert diff(_res(outcome=SIGSEGV, addr=0x1000), _res(outcome=SIGSEGV, addr=0x1008))
    assert diff(_res(outcome=SIGILL), _res(outcome='ran'))
    assert not diff(_res(outcome=SIGBUS), _res(outcome=SIGBUS))
    assert diff(_res(fpcr=1 << 25), _res())          # FPCR is compared
    assert diff(_res(fpsr=1), _res())
    assert 'v3' in diff(_res(v=[0] * 3 + [1] + [0] * 28), _res())


def test_unicorn_error_never_matches():
    """An error the harness does not know is an outcome of its own."""
    out, _ = harness._uc_outcome(99, None, None)
    assert out not in (harness.RAN, SVC, SIGILL, SIGSEGV, SIGBUS, SIGTRAP)


def test_nbemu_sigill_on_executed_instruction_fails():
    """A word Unicorn runs that nbemu does not decode is a mismatch (here: faked by running
    nbemu on a UDF while Unicorn gets an ADD)."""
    a = run_nbemu([0], Start())
    b = run_unicorn([0x8B020020], Start())
    assert a['outcome'] == SIGILL and b['outcome'] == 'ran'
    assert diff(a, b).startswith('outcome')
    assert not_implemented(0x8B020020) is None


# base (Armv8.0) instructions that no NOT_IMPLEMENTED entry may cover
BASE = [
    0x8B020020,   # add x0, x1, x2
    0xEB02003F,   # cmp x1, x2
    0x9AC20820,   # udiv x0, x1, x2
    0x9AC20C20,   # sdiv x0, x1, x2
    0xDAC01020,   # clz x0, x1
    0xF9400420,   # ldr x0, [x1, #8]
    0xB8A26820,   # ldrsw x0, [x1, x2]
    0xC85F7C20,   # ldxr x0, [x1]
    0x88DFFC20,   # ldar w0, [x1]
    0xA9C10820,   # ldp x0, x2, [x1, #16]!
    0x1E622820,   # fadd d0, d1, d2
    0x1EE24020,   # fcvt s0, h1 (base FP, not FP16)
    0x1EE2C020,   # fcvt d0, h1
    0x1E23C020,   # fcvt h0, s1
    0x1E604020,   # fmov d0, d1
    0x4E21D440,   # fadd v0.4s, v2.4s, v1.4s
    0x4E228420,   # add v0.16b, v1.16b, v2.16b
    0x0E62C020,   # smull v0.4s, v1.4h, v2.4h
    0x0E22E020,   # pmull v0.8h, v1.8b, v2.8b
    0x4F801020,   # fmla v0.4s, v1.4s, v2.s[0]
    0x4F809020,   # fmul v0.4s, v1.4s, v0.s[0]
    0x4FA28020,   # mul v0.4s, v1.4s, v2.s[1]
    0x6E30C820,   # fmaxnmv s0, v1.4s
    0x7E30D820,   # faddp s0, v1.2s
    0x0E216820,   # fcvtn v0.4h, v1.4s
    0xD65F03C0,   # ret
    0xD63F0020,   # blr x1
    0xD503201F,   # nop
    0xD4000001,   # svc #0
]


def test_exclusions_do_not_cover_base_instructions():
    from tests.isa.test_simd import GLIBC_FORMS
    for w in BASE + GLIBC_FORMS:
        assert not_implemented(w) is None, f'{w:08x} excused as {not_implemented(w)}'


def test_exclusions_match_their_feature():
    """Spot checks that the masks cover the instructions they name (encodings labelled by
    capstone: sdot, sqrdmlah, udf, aese, sha1c, fadd h, fadd .4h, pacia, cfinv, usdot; usdot
    is implemented and excused as a Unicorn lack instead, which Unicorn's exception shows)."""
    for w, feature in [(0xC8A07C41, None), (0xF8200020, None),     # LSE: implemented
                       (0x4E829420, None), (0x6E808420, None), (0, None),   # DotProd, RDM: too
                       (0x4E284820, None), (0x5E000020 | 2 << 16, None),     # crypto: too
                       (0x1EE22820, None), (0x0E401420, None),      # FP16: too
                       (0xDAC10020, None), (0xD500401F, None),        # PAuth, FlagM: too
                       (0x4E829C20, None)]:
        f = not_implemented(w)
        assert (f is None) if feature is None else (f is not None and feature in f), (hex(w), f)
    assert 'I8MM' in harness.unicorn_bug([0x4E829C20], Start())
    for w in (0x4E829C20, 0x6E42FC20, 0x1E634020):      # usdot, bfdot, bfcvt
        assert harness.run_unicorn([w], Start())['outcome'] == SIGILL, hex(w)


def test_form_draws():
    f = Form('0 q:1 u:1 01110 size:2 1 rm:5 opc:5 1 rn:5 rd:5', opc=[3], size=[0, 1])
    r = random.Random(1)
    ws = [f.sample(r) for _ in range(2000)]
    assert all(w & 0x9F200400 == 0x0E200400 for w in ws)
    on = sum((w >> 11) & 31 == 3 and (w >> 22) & 3 < 2 for w in ws)
    assert 0.85 < on / len(ws) < 0.95           # OFF_LIST: one listed field off 10% of the time
    assert len(set(ws)) > 1900


def test_not_implemented_feature_is_excused():
    """ERETAA (FEAT_PAuth, UNDEFINED at EL0): nbemu raises SIGILL, Unicorn, which runs at EL1,
    executes the return; check() passes and counts the example as excused, not as executed."""
    s = Start()
    k = harness.stats_for('selftest.eretaa')
    before = (k.examples, k.excluded, k.both_ran)
    a = check([0xD69F0BFF], s, cls='selftest.eretaa')      # eretaa
    assert a['outcome'] == SIGILL and a['unicorn']['outcome'] != SIGILL
    assert (k.examples, k.excluded, k.both_ran) == (before[0] + 1, before[1] + 1, before[2])
    del harness.STATS['selftest.eretaa']
