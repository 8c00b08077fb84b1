"""Differential tests of the integer data-processing instructions against Unicorn.

Every test draws random encodings (all register numbers including 31, both widths, every
variant field) and random register values, SP and NZCV, runs the instruction in nbemu and in
Unicorn, and compares all registers and flags. Each class runs in the interpreter (jit='off')
and, with fewer examples, as compiled code (jit='all').
"""
import os
import tempfile

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nbemu.gen.decode import decoder
from nbemu.gen.encodings import alu as alu_enc
from tests.isa.harness import Start, check, run_unicorn

CACHE = os.environ.get('NBEMU_CACHE_DIR') or os.path.join(tempfile.gettempdir(), 'nbemu-test-cache')
EXAMPLES = {'off': 150, 'all': 4}
MODES = ('off', 'all')
M64 = 2**64 - 1

_ALU_HANDLERS = {p.handler for p in alu_enc.PATTERNS}

# ----- operand strategies -----
_EDGE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, M64, M64 - 1, 0xFFFFFFFF80000000,
         0x00000000FFFFFFFE, 0x123456789ABCDEF0, 63, 64, 31, 32]
value = st.one_of(st.sampled_from(_EDGE), st.integers(0, M64), st.integers(0, 0xFFFFFFFF),
                  st.integers(0, 70),
                  st.integers(0, 0xFFFFFFFF).map(lambda v: v | 0xFFFFFFFF00000000))
reg = st.integers(0, 31)
bit = st.integers(0, 1)
cond = st.integers(0, 15)


@st.composite
def start(draw):
    x = draw(st.lists(value, min_size=31, max_size=31))
    return Start(x=x, sp=draw(value), nzcv=draw(st.integers(0, 15)) << 28)


def fields(*spec):
    """Assemble a word from (value, width) pairs, most significant first."""
    w = 0
    for v, width in spec:
        assert 0 <= v < (1 << width)
        w = (w << width) | v
    return w


def _run(mode, words, gen_start=start()):
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=(mode == 'all'),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(word=words, s=gen_start)
    def prop(word, s):
        pat, _ = decoder().decode(word, 0x10000)
        assert pat is not None and pat.handler in _ALU_HANDLERS, f'{word:08x} not decoded by alu'
        check(word, s, jit=mode, cache_dir=CACHE)
    prop()


# ----- encodings per class -----
@st.composite
def add_sub_imm(draw):
    return fields((draw(bit), 1), (draw(bit), 1), (draw(bit), 1), (0b100010, 6), (draw(bit), 1),
                  (draw(st.integers(0, 4095)), 12), (draw(reg), 5), (draw(reg), 5))


@st.composite
def logic_imm(draw):
    sf = draw(bit)
    n = draw(bit) if sf else 0
    immr, imms = draw(st.integers(0, 63)), draw(st.integers(0, 63))
    assume(alu_enc.decode_bit_masks(n, imms, immr, True, 64 if sf else 32) is not None)
    return fields((sf, 1), (draw(st.integers(0, 3)), 2), (0b100100, 6), (n, 1), (immr, 6),
                  (imms, 6), (draw(reg), 5), (draw(reg), 5))


@st.composite
def mov_wide(draw):
    sf = draw(bit)
    return fields((sf, 1), (draw(st.sampled_from([0, 2, 3])), 2), (0b100101, 6),
                  (draw(st.integers(0, 3 if sf else 1)), 2), (draw(st.integers(0, 0xFFFF)), 16),
                  (draw(reg), 5))


@st.composite
def adr(draw):
    return fields((draw(bit), 1), (draw(st.integers(0, 3)), 2), (0b10000, 5),
                  (draw(st.integers(0, 2**19 - 1)), 19), (draw(reg), 5))


@st.composite
def bitfield(draw):
    sf = draw(bit)
    top = 63 if sf else 31
    return fields((sf, 1), (draw(st.integers(0, 2)), 2), (0b100110, 6), (sf, 1),
                  (draw(st.integers(0, top)), 6), (draw(st.integers(0, top)), 6),
                  (draw(reg), 5), (draw(reg), 5))


@st.composite
def extr(draw):
    sf = draw(bit)
    rn = draw(reg)
    rm = draw(st.one_of(reg, st.just(rn)))          # Rn == Rm is ROR (immediate)
    return fields((sf, 1), (0, 2), (0b100111, 6), (sf, 1), (0, 1), (rm, 5),
                  (draw(st.integers(0, 63 if sf else 31)), 6), (rn, 5), (draw(reg), 5))


@st.composite
def logic_reg(draw):
    sf = draw(bit)
    return fields((sf, 1), (draw(st.integers(0, 3)), 2), (0b01010, 5),
                  (draw(st.integers(0, 3)), 2), (draw(bit), 1), (draw(reg), 5),
                  (draw(st.integers(0, 63 if sf else 31)), 6), (draw(reg), 5), (draw(reg), 5))


@st.composite
def add_sub_shift(draw):
    sf = draw(bit)
    return fields((sf, 1), (draw(bit), 1), (draw(bit), 1), (0b01011, 5),
                  (draw(st.integers(0, 2)), 2), (0, 1), (draw(reg), 5),
                  (draw(st.integers(0, 63 if sf else 31)), 6), (draw(reg), 5), (draw(reg), 5))


@st.composite
def add_sub_ext(draw):
    return fields((draw(bit), 1), (draw(bit), 1), (draw(bit), 1), (0b01011, 5), (0, 2), (1, 1),
                  (draw(reg), 5), (draw(st.integers(0, 7)), 3), (draw(st.integers(0, 4)), 3),
                  (draw(reg), 5), (draw(reg), 5))


@st.composite
def adc_sbc(draw):
    return fields((draw(bit), 1), (draw(bit), 1), (draw(bit), 1), (0b11010000, 8), (draw(reg), 5),
                  (0, 6), (draw(reg), 5), (draw(reg), 5))


@st.composite
def cond_cmp(draw):
    return fields((draw(bit), 1), (draw(bit), 1), (1, 1), (0b11010010, 8), (draw(reg), 5),
                  (draw(cond), 4), (draw(bit), 1), (0, 1), (draw(reg), 5), (0, 1),
                  (draw(st.integers(0, 15)), 4))


@st.composite
def cond_sel(draw):
    return fields((draw(bit), 1), (draw(bit), 1), (0, 1), (0b11010100, 8), (draw(reg), 5),
                  (draw(cond), 4), (0, 1), (draw(bit), 1), (draw(reg), 5), (draw(reg), 5))


@st.composite
def dp_1src(draw):
    sf = draw(bit)
    opc = draw(st.sampled_from([0, 1, 2, 3, 4, 5] if sf else [0, 1, 2, 4, 5]))
    return fields((sf, 1), (0b10, 2), (0b11010110, 8), (0, 5), (opc, 6), (draw(reg), 5),
                  (draw(reg), 5))


@st.composite
def dp_2src(draw):
    """UDIV SDIV LSLV LSRV ASRV RORV and CRC32(C)B/H/W/X."""
    sf = draw(bit)
    ops = [0b000010, 0b000011, 0b001000, 0b001001, 0b001010, 0b001011]
    ops += [0b010011, 0b010111] if sf else [0b010000, 0b010001, 0b010010, 0b010100, 0b010101,
                                            0b010110]
    return fields((sf, 1), (0, 2), (0b11010110, 8), (draw(reg), 5), (draw(st.sampled_from(ops)), 6),
                  (draw(reg), 5), (draw(reg), 5))


@st.composite
def dp_3src(draw):
    """MADD MSUB SMADDL SMSUBL UMADDL UMSUBL SMULH UMULH."""
    sf = draw(bit)
    op31 = draw(st.sampled_from([0, 1, 2, 5, 6])) if sf else 0
    o0 = 0 if op31 in (2, 6) else draw(bit)
    ra = 31 if op31 in (2, 6) else draw(reg)
    return fields((sf, 1), (0, 2), (0b11011, 5), (op31, 3), (draw(reg), 5), (o0, 1), (ra, 5),
                  (draw(reg), 5), (draw(reg), 5))


CLASSES = {
    'add_sub_imm': add_sub_imm(), 'logic_imm': logic_imm(), 'mov_wide': mov_wide(), 'adr': adr(),
    'bitfield': bitfield(), 'extr': extr(), 'logic_reg': logic_reg(),
    'add_sub_shift': add_sub_shift(), 'add_sub_ext': add_sub_ext(), 'adc_sbc': adc_sbc(),
    'cond_cmp': cond_cmp(), 'cond_sel': cond_sel(), 'dp_1src': dp_1src(), 'dp_2src': dp_2src(),
    'dp_3src': dp_3src(),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    _run(mode, CLASSES[cls])


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
