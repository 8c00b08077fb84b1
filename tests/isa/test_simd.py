"""Differential tests of the AdvSIMD integer instructions against Unicorn.

Each class draws random encodings inside one encoding group (every register number, Q, size,
and every implemented opcode of the group, including the unallocated size/Q combinations, which
must fault in both) and random 128-bit register contents with edge-case lanes, runs the
instruction in nbemu and in Unicorn and compares all registers, NZCV and FPSR (QC). Each class
runs in the interpreter (jit='off') and, with fewer examples, as compiled code (jit='all').

Known Unicorn (QEMU 5 based) divergences, excluded from the draws and checked by hand below:
- modified immediate with op=1, cmode=1111, o2=1 is unallocated; Unicorn runs it as FMOV 2D.
"""
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbemu.gen.decode import decoder
from tests.isa.harness import Start, check, run_nbemu

CACHE = os.environ.get('NBEMU_CACHE_DIR') or os.path.join(tempfile.gettempdir(), 'nbemu-test-cache')
EXAMPLES = {'off': 120, 'all': 4}
MODES = ('off', 'all')
M64 = 2**64 - 1

# ----- operands -----
_LANE_EDGE = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
              0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, M64, 63, 64, 0x40, 0xC0]


@st.composite
def vreg(draw):
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.integers(0, 2**128 - 1))
    if kind == 1:    # 64-bit edge lanes
        return draw(st.sampled_from(_LANE_EDGE)) | draw(st.sampled_from(_LANE_EDGE)) << 64
    if kind == 2:    # small bytes (shift counts, table indices)
        return int.from_bytes(bytes(draw(st.lists(st.integers(0, 70), min_size=16,
                                                  max_size=16))), 'little')
    if kind == 3:    # bytes from an edge set (saturation, sign boundaries in every lane size)
        return int.from_bytes(bytes(draw(st.lists(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, 0xFE]),
                                                  min_size=16, max_size=16))), 'little')
    return draw(st.sampled_from([0, 2**128 - 1]))


@st.composite
def start(draw):
    v = draw(st.lists(vreg(), min_size=32, max_size=32))
    x = draw(st.lists(st.one_of(st.integers(0, M64), st.sampled_from(_LANE_EDGE)),
                      min_size=31, max_size=31))
    return Start(x=x, v=v, nzcv=draw(st.integers(0, 15)) << 28,
                 fpsr=draw(st.sampled_from([0, 1 << 27])))


# ----- encodings -----
@st.composite
def layout(draw, spec, **fields):
    """A word from a layout string (as in nbemu.gen.decode): fields drawn from `fields`
    strategies (or uniformly), 'x' bits random."""
    w = 0
    pos = 32
    for tok in spec.split():
        if ':' in tok:
            name, width = tok.split(':')
            width = int(width)
            pos -= width
            v = draw(fields[name]) if name in fields else draw(st.integers(0, (1 << width) - 1))
            w |= v << pos
        else:
            for ch in tok:
                pos -= 1
                w |= (int(ch) if ch in '01' else draw(st.integers(0, 1))) << pos
    assert pos == 0
    return w


def _nz(width):
    return st.integers(1, (1 << width) - 1)


def _modimm_ok(w):
    op, cmode, o2 = (w >> 29) & 1, (w >> 12) & 15, (w >> 11) & 1
    return not (op == 1 and cmode == 15 and o2 == 1)


_INT3 = [o for o in range(24)]              # three-same integer opcodes (FP ones are >= 0b11000)
_MISC = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18, 19, 20]
_ACROSS = [3, 10, 26, 27]
_SHIFT = [0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 20]
_ELEM = [0, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13]

CLASSES = {
    'modimm': layout('0 q:1 op:1 0111100000 abc:3 cmode:4 o2:1 1 defgh:5 rd:5').filter(_modimm_ok),
    'copy': layout('0 q:1 op:1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5',
                   imm4=st.sampled_from([0, 1, 3, 5, 7, 0, 1, 5, 7, 2, 9, 15])),
    'copy_ins_elem': layout('0 1 1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5'),
    'scalar_dup': layout('01 0 11110000 imm5:5 0 0000 1 rn:5 rd:5'),
    'three_same': layout('0 q:1 u:1 01110 size:2 1 rm:5 opc:5 1 rn:5 rd:5',
                         opc=st.sampled_from(_INT3)),
    'three_same_logic': layout('0 q:1 u:1 01110 size:2 1 rm:5 00011 1 rn:5 rd:5'),
    'scalar_three_same': layout('01 u:1 11110 size:2 1 rm:5 opc:5 1 rn:5 rd:5',
                                opc=st.sampled_from(_INT3)),
    'two_misc': layout('0 q:1 u:1 01110 size:2 10000 opc:5 10 rn:5 rd:5',
                       opc=st.sampled_from(_MISC)),
    'scalar_two_misc': layout('01 u:1 11110 size:2 10000 opc:5 10 rn:5 rd:5',
                              opc=st.sampled_from(_MISC)),
    'across': layout('0 q:1 u:1 01110 size:2 11000 opc:5 10 rn:5 rd:5',
                     opc=st.sampled_from(_ACROSS)),
    'scalar_pairwise': layout('01 0 11110 11 11000 11011 10 rn:5 rd:5'),
    'shift_imm': layout('0 q:1 u:1 011110 immh:4 immb:3 opc:5 1 rn:5 rd:5', immh=_nz(4),
                        opc=st.sampled_from(_SHIFT)),
    'scalar_shift_imm': layout('01 u:1 111110 immh:4 immb:3 opc:5 1 rn:5 rd:5', immh=_nz(4),
                               opc=st.sampled_from(_SHIFT)),
    'three_diff': layout('0 q:1 u:1 01110 size:2 1 rm:5 opc:4 00 rn:5 rd:5',
                         opc=st.integers(0, 14)),
    'scalar_three_diff': layout('01 u:1 11110 size:2 1 rm:5 opc:4 00 rn:5 rd:5',
                                opc=st.sampled_from([9, 11, 13])),
    'scalar_by_elem': layout('01 0 11111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5',
                             opc=st.sampled_from([3, 7, 11, 12, 13])),
    'permute': layout('0 q:1 001110 size:2 0 rm:5 0 opc:3 10 rn:5 rd:5'),
    'ext': layout('0 q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5'),
    'tbl': layout('0 q:1 001110 00 0 rm:5 0 len:2 op:1 00 rn:5 rd:5'),
    'by_elem': layout('0 q:1 u:1 01111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5',
                      opc=st.sampled_from(_ELEM), size=st.integers(0, 3)).filter(
        # SQRDMLAH/SQRDMLSH (FEAT_RDM) and FMLAL/FMLSL (FEAT_FHM) are not implemented
        lambda w: not ((w >> 29) & 1 and (w >> 12) & 15 in (3, 7, 11, 13)) and not (
            (w >> 22) & 3 == 2 and ((w >> 29) & 1, (w >> 12) & 15) in ((0, 0), (0, 4), (1, 8),
                                                                      (1, 12)))),
}


def _run(mode, words):
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=(mode == 'all'),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(word=words, s=start())
    def prop(word, s):
        check(word, s, jit=mode, cache_dir=CACHE)
    prop()


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    _run(mode, CLASSES[cls])


# ----- the forms glibc's string routines execute, with fixed encodings -----
GLIBC_FORMS = [
    0x4e010c20,   # dup v0.16b, w1
    0x4e020c20,   # dup v0.8h, w1
    0x4e180420,   # dup v0.2d, v1.d[1]
    0x9e660042,   # fmov x2, d2
    0x1e260020,   # fmov w0, s1
    0x1e270020,   # fmov s0, w1
    0x9e670020,   # fmov d0, x1
    0x9eae0020,   # fmov x0, v1.d[1]
    0x9eaf0020,   # fmov v0.d[1], x1
    0x6e21a420,   # umaxp v0.16b, v1.16b, v1.16b
    0x6e21ac20,   # uminp v0.16b, v1.16b, v1.16b
    0x4e21bc20,   # addp v0.16b, v1.16b, v1.16b
    0x5ef1b820,   # addp d0, v1.2d
    0x6e3c8c20,   # cmeq v0.16b, v1.16b, v28.16b
    0x4e209820,   # cmeq v0.16b, v1.16b, #0
    0x6e3c3c20,   # cmhs v0.16b, v1.16b, v28.16b
    0x4e3c3420,   # cmgt v0.16b, v1.16b, v28.16b
    0x4e3c8c20,   # cmtst v0.16b, v1.16b, v28.16b
    0x0f0c8420,   # shrn v0.8b, v1.8h, #4
    0x4f0c8420,   # shrn2 v0.16b, v1.8h, #4
    0x6f05e540,   # movi v0.2d, #0xff00ff00ff00ff00
    0x4f00e400,   # movi v0.16b, #0x0
    0x6f00e400,   # movi v0.2d, #0x0
    0x0f07e7e0,   # movi v0.8b, #0xff
    0x4f04040f,   # movi v15.4s, #0x80
    0x6f07d7e0,   # mvni v0.4s, #0xff, msl #16
    0x2f008400,   # mvni v0.4h, #0x0
    0x4e221c20,   # and v0.16b, v1.16b, v2.16b
    0x4e621c20,   # bic v0.16b, v1.16b, v2.16b
    0x6e621c20,   # bsl v0.16b, v1.16b, v2.16b
    0x6ea21c20,   # bit v0.16b, v1.16b, v2.16b
    0x6ee21c20,   # bif v0.16b, v1.16b, v2.16b
    0x4ee21c20,   # orn v0.16b, v1.16b, v2.16b
    0x6e221c20,   # eor v0.16b, v1.16b, v2.16b
    0x6e024020,   # ext v0.16b, v1.16b, v2.16b, #8
    0x2e021820,   # ext v0.8b, v1.8b, v2.8b, #3
    0x4e205820,   # cnt v0.16b, v1.16b
    0x4e31b820,   # addv b0, v1.16b
    0x6e30a820,   # umaxv b0, v1.16b
    0x6e71a820,   # uminv h0, v1.8h
    0x6f1c0420,   # ushr v0.8h, v1.8h, #4
    0x4f210420,   # sshr v0.4s, v1.4s, #31
    0x6f1a1420,   # usra v0.8h, v1.8h, #6
    0x6f1a4420,   # sri v0.8h, v1.8h, #6
    0x6f1a5420,   # sli v0.8h, v1.8h, #10
    0x4f1a5420,   # shl v0.8h, v1.8h, #10
    0x4f08a420,   # sxtl2 v0.8h, v1.16b
    0x2f08a420,   # uxtl v0.8h, v1.8b
    0x6f10a420,   # uxtl2 v0.4s, v1.8h
    0x4e021820,   # uzp1 v0.16b, v1.16b, v2.16b
    0x4e425820,   # uzp2 v0.8h, v1.8h, v2.8h
    0x4e023820,   # zip1 v0.16b, v1.16b, v2.16b
    0x4e827820,   # zip2 v0.4s, v1.4s, v2.4s
    0x0e022820,   # trn1 v0.8b, v1.8b, v2.8b
    0x4ec26820,   # trn2 v0.2d, v1.2d, v2.2d
    0x4e020020,   # tbl v0.16b, {v1.16b}, v2.16b
    0x4e0223c0,   # tbl v0.16b, {v30.16b, v31.16b}, v2.16b
    0x4e045020,   # tbx v0.16b, {v1.16b-v3.16b}, v4.16b
    0x4e083c20,   # mov x0, v1.d[0]
    0x0e0c3c20,   # mov w0, v1.s[1]
    0x0e1f3c20,   # umov w0, v1.b[15]
    0x4e0e2c20,   # smov x0, v1.h[3]
    0x4e1c1c20,   # mov v0.s[3], w1
    0x6e0c6420,   # mov v0.s[1], v1.s[3]
    0x4ea11c20,   # mov v0.16b, v1.16b
    0x6e205820,   # mvn v0.16b, v1.16b
    0x4e20b820,   # abs v0.16b, v1.16b
    0x6ea0b820,   # neg v0.4s, v1.4s
    0x0e212820,   # xtn v0.8b, v1.8h
    0x4e212820,   # xtn2 v0.16b, v1.8h
    0x6e703820,   # uaddlv s0, v1.8h
    0x6e303820,   # uaddlv h0, v1.16b
    0x4e201820,   # rev16 v0.16b, v1.16b
    0x6e200820,   # rev32 v0.16b, v1.16b
    0x4e200820,   # rev64 v0.16b, v1.16b
    0x4e228420,   # add v0.16b, v1.16b, v2.16b
    0x6ee28420,   # sub v0.2d, v1.2d, v2.2d
    0x4ea29420,   # mla v0.4s, v1.4s, v2.4s
    0x4e629c20,   # mul v0.8h, v1.8h, v2.8h
    0x0e62c020,   # smull v0.4s, v1.4h, v2.4h
    0x4e62c020,   # smull2 v0.4s, v1.8h, v2.8h
    0x2ea2c020,   # umull v0.2d, v1.2s, v2.2s
    0x0e631040,   # saddw v0.4s, v2.4s, v3.4h
    0x4e631040,   # saddw2 v0.4s, v2.4s, v3.8h
    0x2e231040,   # uaddw v0.8h, v2.8h, v3.8b
    0x6e231040,   # uaddw2 v0.8h, v2.8h, v3.16b
    0x0e230040,   # saddl v0.8h, v2.8b, v3.8b
    0x4ea30040,   # saddl2 v0.2d, v2.4s, v3.4s
    0x0e232040,   # ssubl v0.8h, v2.8b, v3.8b
    0x4e632040,   # ssubl2 v0.4s, v2.8h, v3.8h
    0x4ea26420,   # smax v0.4s, v1.4s, v2.4s
    0x4ea26c20,   # smin v0.4s, v1.4s, v2.4s
    0x6e226420,   # umax v0.16b, v1.16b, v2.16b
    0x4eb0a820,   # smaxv s0, v1.4s
    0x4e31a820,   # sminv b0, v1.16b
    0x4ea24420,   # sshl v0.4s, v1.4s, v2.4s
    0x7ee24420,   # ushl d0, d1, d2
    0x5ee28420,   # add d0, d1, d2
    0x5ee09820,   # cmeq d0, d1, #0
    0x7f410420,   # ushr d0, d1, #63
    0x6e220c20,   # uqadd v0.16b, v1.16b, v2.16b
    0x4e622c20,   # sqsub v0.8h, v1.8h, v2.8h
]


@pytest.mark.parametrize('mode', MODES)
def test_glibc_forms(mode):
    import random
    rng = random.Random(7)
    dec = decoder()
    for w in GLIBC_FORMS:
        pat, _ = dec.decode(w, 0x10000)
        assert pat is not None, f'{w:08x} not decoded'
        for _ in range(3 if mode == 'off' else 1):
            v = [rng.getrandbits(128) for _ in range(32)]
            check(w, Start(x=[rng.getrandbits(64) for _ in range(31)], v=v), jit=mode,
                  cache_dir=CACHE)


def test_fmov_2d_o2_is_unallocated():
    """op=1 cmode=1111 o2=1 is unallocated (Unicorn 2.1 runs it as FMOV 2D): nbemu faults."""
    assert decoder().decode(0x6f06fc01, 0x10000) == (None, None)
    r = run_nbemu([0x6f06fc01], Start(), jit='off', cache_dir=CACHE)
    assert r['fault']
