"""Differential tests of the integer data-processing instructions against Unicorn.

Every class draws random encodings of one Arm ARM encoding group (fixed bits from the encoding
diagram, every other bit random, allocated field values from the group's table, 10% of the time
an unallocated neighbour) and random register values, SP and NZCV, runs the instruction in nbemu
and in Unicorn, and compares all registers and flags (or the fault). Each class runs in the
interpreter (jit='off') and, with its own smaller random sample, as compiled code (jit='all').
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbemu.gen.decode import decoder
from nbemu.gen.encodings import alu as alu_enc
from tests.isa.encoding import Form, cases
from tests.isa import harness
from tests.isa.harness import CACHE, Start, check, run_class, run_unicorn

MODES = ('off', 'all')
M64 = 2**64 - 1

# ----- operand strategies -----
_EDGE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, M64, M64 - 1, 0xFFFFFFFF80000000,
         0x00000000FFFFFFFE, 0x123456789ABCDEF0, 63, 64, 31, 32]
reg = st.integers(0, 31)
bit = st.integers(0, 1)
cond = st.integers(0, 15)


_SMALL = [0, 1, 2, 31, 32, 63, 64, 70]


def rand_value(r):
    k = r.randrange(5)
    if k == 0:
        return r.choice(_EDGE)
    if k == 1:
        return r.getrandbits(64)
    if k == 2:
        return r.getrandbits(32)
    if k == 3:
        return r.randrange(71)
    return r.getrandbits(32) | 0xFFFFFFFF00000000


def make_start(r):
    return Start(x=[rand_value(r) for _ in range(31)], sp=rand_value(r),
                 nzcv=r.randrange(16) << 28)


def fields(*spec):
    """Assemble a word from (value, width) pairs, most significant first."""
    w = 0
    for v, width in spec:
        assert 0 <= v < (1 << width)
        w = (w << width) | v
    return w


# ----- encodings: the Arm ARM's integer data-processing groups (DDI 0487 C4.1.92 "Data
# Processing -- Immediate" and C4.1.94 "Data Processing -- Register"); allocated field values
# typed in from the group tables -----
_R32 = list(range(32))


def _ror(w):
    """ROR (immediate) is EXTR with Rn == Rm."""
    return (w & ~(31 << 5)) | ((w >> 16) & 31) << 5

CLASSES = {
    'add_sub_imm': [Form('sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5')],
    # 32-bit: N=0; the all-ones element (imms) is unallocated, which the random draws include
    'logic_imm': [Form('1 opc:2 100100 N:1 immr:6 imms:6 rn:5 rd:5'),
                  Form('0 opc:2 100100 N:1 immr:6 imms:6 rn:5 rd:5', N=[0])],
    'mov_wide': [Form('1 opc:2 100101 hw:2 imm16:16 rd:5', opc=[0, 2, 3]),
                 Form('0 opc:2 100101 hw:2 imm16:16 rd:5', opc=[0, 2, 3], hw=[0, 1])],
    'adr': [Form('op:1 immlo:2 10000 immhi:19 rd:5')],
    'bitfield': [Form('1 opc:2 100110 N:1 immr:6 imms:6 rn:5 rd:5', opc=[0, 1, 2], N=[1]),
                 Form('0 opc:2 100110 N:1 immr:6 imms:6 rn:5 rd:5', opc=[0, 1, 2], N=[0],
                      immr=_R32, imms=_R32)],
    # Rn == Rm is ROR (immediate): drawn often by the second form
    'extr': [Form('1 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5', N=[1]),
             Form('0 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5', N=[0], imms=_R32),
             Form('1 00 100111 1 0 rm:5 imms:6 rn:5 rd:5', post=_ror),
             Form('0 00 100111 0 0 rm:5 imms:6 rn:5 rd:5', imms=_R32, post=_ror)],
    'logic_reg': [Form('1 opc:2 01010 shift:2 N:1 rm:5 imm6:6 rn:5 rd:5'),
                  Form('0 opc:2 01010 shift:2 N:1 rm:5 imm6:6 rn:5 rd:5', imm6=_R32)],
    'add_sub_shift': [Form('1 op:1 S:1 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5', shift=[0, 1, 2]),
                      Form('0 op:1 S:1 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5', shift=[0, 1, 2],
                           imm6=_R32)],
    'add_sub_ext': [Form('sf:1 op:1 S:1 01011 opt:2 1 rm:5 option:3 imm3:3 rn:5 rd:5', opt=[0],
                         imm3=[0, 1, 2, 3, 4])],
    'adc_sbc': [Form('sf:1 op:1 S:1 11010000 rm:5 opcode2:6 rn:5 rd:5', opcode2=[0])],
    'cond_cmp': [Form('sf:1 op:1 1 11010010 rm:5 cond:4 imm:1 o2:1 rn:5 o3:1 nzcv:4', o2=[0],
                      o3=[0])],
    'cond_sel': [Form('sf:1 op:1 S:1 11010100 rm:5 cond:4 op2:2 rn:5 rd:5', S=[0],
                      op2=[0, 1])],
    # RBIT REV16 REV32 (REV for sf=0) REV CLZ CLS
    'dp_1src': [Form('1 1 S:1 11010110 opcode2:5 opc:6 rn:5 rd:5', S=[0], opcode2=[0],
                     opc=[0, 1, 2, 3, 4, 5]),
                Form('0 1 S:1 11010110 opcode2:5 opc:6 rn:5 rd:5', S=[0], opcode2=[0],
                     opc=[0, 1, 2, 4, 5])],
    # UDIV SDIV LSLV LSRV ASRV RORV, CRC32B/H/W/X and CRC32CB/H/W/X (X only with sf=1)
    'dp_2src': [Form('sf:1 0 S:1 11010110 rm:5 opc:6 rn:5 rd:5', S=[0],
                     opc=[2, 3, 8, 9, 10, 11]),
                Form('0 0 0 11010110 rm:5 010 c:1 sz:2 rn:5 rd:5', sz=[0, 1, 2]),
                Form('1 0 0 11010110 rm:5 010 c:1 11 rn:5 rd:5')],
    # MADD MSUB; SMADDL SMSUBL SMULH UMADDL UMSUBL UMULH (64-bit only)
    'dp_3src': [Form('sf:1 00 11011 000 rm:5 o0:1 ra:5 rn:5 rd:5'),
                Form('1 00 11011 op31:3 rm:5 o0:1 ra:5 rn:5 rd:5', op31=[1, 5]),
                Form('1 00 11011 op31:3 rm:5 0 ra:5 rn:5 rd:5', op31=[2, 6], ra=[31])],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'alu.{cls}', mode, cases(CLASSES[cls], make_start))


# the whole data-processing groups (Arm ARM C4.1: immediate op0 = 100x, register op0 = x101),
# every other bit random
SPACES = {'dp_imm': [Form('x x x 1 0 0 x x x x x x x x x x x x x x x x x x x x x x x x x x')],
          'dp_reg': [Form('x x x x 1 0 1 x x x x x x x x x x x x x x x x x x x x x x x x x')]}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('space', sorted(SPACES))
def test_space(space, mode):
    run_class(f'alu.{space}.space', mode, cases(SPACES[space], make_start),
              floor=harness.SPACE_FLOOR)


# ----- hand-picked cases: edge semantics each mode must get exactly right -----
def _s(**regs):
    x = [0] * 31
    for k, v in regs.items():
        if k.startswith('x'):
            x[int(k[1:])] = v & M64
    return Start(x=x, sp=regs.get('sp', 0x21F00), nzcv=regs.get('nzcv', 0))


FIXED = [
    # sdiv x0, x1, x2: INT64_MIN / -1 = INT64_MIN; sdiv w0: INT32_MIN / -1
    (0x9AC20C20, _s(x1=1 << 63, x2=-1), {0: 1 << 63}),
    (0x1AC20C20, _s(x1=0x80000000, x2=0xFFFFFFFF), {0: 0x80000000}),
    # udiv x0, x1, x2 / sdiv by zero -> 0
    (0x9AC20820, _s(x0=5, x1=123, x2=0), {0: 0}),
    (0x9AC20C20, _s(x0=5, x1=-7, x2=0), {0: 0}),
    # sdiv x0, x1, x2: -7 / 2 = -3 (truncates)
    (0x9AC20C20, _s(x1=-7, x2=2), {0: (-3) & M64}),
    # add x0, sp, w1, uxtw #2 (Rn = SP)
    (0x8B214BE0, _s(x1=0xFFFFFFFF00000010, sp=0x1000), {0: 0x1040}),
    # subs x0, x1, x2 with borrow; cmp w1, w2 (flags only)
    (0xEB020020, _s(x1=0, x2=1), {0: M64}),
    # mul x0, x1, x2 / umulh / smulh
    (0x9BC27C20, _s(x1=M64, x2=M64), {0: M64 - 1}),
    (0x9B427C20, _s(x1=M64, x2=M64), {0: 0}),
    # crc32cx w0, w1, x2 of 0 with crc 0xFFFFFFFF
    (0x9AC25C20, _s(x1=0xFFFFFFFF, x2=0), {}),
    # clz x0, x1 of 0 = 64; cls w0, w1 of 0 = 31
    (0xDAC01020, _s(x1=0), {0: 64}),
    (0x5AC01420, _s(x1=0), {0: 31}),
    # ror x0, x1, #0 (extr with lsb 0); asr w0, w1, #31
    (0x93C10020, _s(x1=0x1234), {0: 0x1234}),
    (0x131F7C20, _s(x1=0x80000000), {0: 0xFFFFFFFF}),
    # and sp, x1, #0xff (logical immediate writes SP)
    (0x92401C3F, _s(x1=0x12345), {}),
]


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('word,s,want', FIXED, ids=[f'{w:08x}' for w, _, _ in FIXED])
def test_fixed(word, s, want, mode):
    r = check(word, s, jit=mode, cache_dir=CACHE)
    for n, v in want.items():
        assert r['x'][n] == v


# ----- unallocated encodings in this space: both must raise SIGILL -----
@st.composite
def unallocated(draw):
    kind = draw(st.integers(0, 10))
    rn, rd, rm = draw(reg), draw(reg), draw(reg)
    if kind == 0:       # logical immediate, 32-bit with N=1
        return fields((0, 1), (draw(st.integers(0, 3)), 2), (0b100100, 6), (1, 1),
                      (draw(st.integers(0, 63)), 6), (draw(st.integers(0, 63)), 6), (rn, 5),
                      (rd, 5))
    if kind == 1:       # logical immediate, all-ones element (imms = levels)
        sf = draw(bit)
        ln = draw(st.integers(1, 6 if sf else 5))
        n = 1 if ln == 6 else 0
        imms = ((0x3F << (ln + 1)) & 0x3F | ((1 << ln) - 1)) if ln < 6 else 0x3F
        return fields((sf, 1), (draw(st.integers(0, 3)), 2), (0b100100, 6), (n, 1),
                      (draw(st.integers(0, 63)), 6), (imms, 6), (rn, 5), (rd, 5))
    if kind == 2:       # bitfield opc 3, or N != sf
        sf = draw(bit)
        opc, n = draw(st.sampled_from([(3, sf), (0, 1 - sf), (1, 1 - sf), (2, 1 - sf)]))
        return fields((sf, 1), (opc, 2), (0b100110, 6), (n, 1), (draw(st.integers(0, 31)), 6),
                      (draw(st.integers(0, 31)), 6), (rn, 5), (rd, 5))
    if kind == 3:       # 32-bit bitfield with immr/imms >= 32
        return fields((0, 1), (draw(st.integers(0, 2)), 2), (0b100110, 6), (0, 1),
                      (draw(st.integers(32, 63)), 6), (draw(st.integers(0, 63)), 6), (rn, 5),
                      (rd, 5))
    if kind == 4:       # EXTR N != sf, or 32-bit with lsb >= 32
        sf, n, imms = draw(st.sampled_from([(0, 1, 3), (1, 0, 3), (0, 0, 40)]))
        return fields((sf, 1), (0, 2), (0b100111, 6), (n, 1), (0, 1), (rm, 5), (imms, 6),
                      (rn, 5), (rd, 5))
    if kind == 5:       # shifted register with 32-bit amount >= 32, or add/sub with shift ROR
        if draw(bit):
            return fields((0, 1), (draw(st.integers(0, 3)), 2), (0b01010, 5),
                          (draw(st.integers(0, 3)), 2), (draw(bit), 1), (rm, 5),
                          (draw(st.integers(32, 63)), 6), (rn, 5), (rd, 5))
        return fields((draw(bit), 1), (draw(bit), 1), (draw(bit), 1), (0b01011, 5), (3, 2), (0, 1),
                      (rm, 5), (draw(st.integers(0, 31)), 6), (rn, 5), (rd, 5))
    if kind == 6:       # extended register with amount > 4
        return fields((draw(bit), 1), (draw(bit), 1), (draw(bit), 1), (0b01011, 5), (0, 2), (1, 1),
                      (rm, 5), (draw(st.integers(0, 7)), 3), (draw(st.integers(5, 7)), 3),
                      (rn, 5), (rd, 5))
    if kind == 7:       # 1-source: REV (64) with sf=0
        return fields((0, 1), (0b10, 2), (0b11010110, 8), (0, 5), (3, 6), (rn, 5), (rd, 5))
    if kind == 8:       # CRC32 with the wrong width
        sf = draw(bit)
        sz = draw(st.integers(0, 2)) if sf else 3
        return fields((sf, 1), (0, 2), (0b11010110, 8), (rm, 5), (0b010, 3), (draw(bit), 1),
                      (sz, 2), (rn, 5), (rd, 5))
    if kind == 9:       # 3-source long/high forms with sf=0, and unallocated op31
        sf, op31 = draw(st.sampled_from([(0, 1), (0, 2), (0, 5), (0, 6), (1, 3), (1, 4),
                                         (1, 7)]))
        return fields((sf, 1), (0, 2), (0b11011, 5), (op31, 3), (rm, 5), (0, 1), (31, 5), (rn, 5),
                      (rd, 5))
    # conditional select with S=1 or op2 >= 2
    s, o2hi = draw(st.sampled_from([(1, 0), (0, 1), (1, 1)]))
    return fields((draw(bit), 1), (draw(bit), 1), (s, 1), (0b11010100, 8), (rm, 5), (draw(cond), 4),
                  (o2hi, 1), (draw(bit), 1), (rn, 5), (rd, 5))


@settings(max_examples=150, deadline=None)
@given(word=unallocated())
def test_unallocated(word):
    """The decoder rejects these (the translator then emits the SIGILL handler), and the oracle
    agrees that they are undefined."""
    pat, _ = decoder().decode(word, 0x10000)
    assert pat is None, f'{word:08x} decoded as {pat}'
    assert run_unicorn([word], Start())['fault'], f'{word:08x}: Unicorn executed it'


def test_bitmask_decoder():
    """DecodeBitMasks against known AArch64 logical immediates (from the assembler)."""
    cases = {  # (N, immr, imms, sf): value
        (0, 0, 0b111100, 0): 0x55555555,            # and w0, w0, #0x55555555
        (1, 0, 0, 1): 1,
        (1, 1, 0, 1): 0x8000000000000000,
        (0, 0, 0b101110, 1): 0x7FFF7FFF7FFF7FFF,
        (0, 0, 0b011110, 1): 0x7FFFFFFF7FFFFFFF,
        (1, 0, 62, 1): 0x7FFFFFFFFFFFFFFF,
        (0, 4, 0b110011, 1): 0xF0F0F0F0F0F0F0F0,
        (0, 0, 0b000111, 0): 0xFF,
    }
    for (n, immr, imms, sf), want in cases.items():
        got = alu_enc.decode_bit_masks(n, imms, immr, True, 64 if sf else 32)[0]
        assert got == want, (n, immr, imms, hex(got), hex(want))
    assert alu_enc.decode_bit_masks(1, 63, 0, True, 64) is None
    assert alu_enc.decode_bit_masks(0, 0b111111, 0, True, 32) is None
