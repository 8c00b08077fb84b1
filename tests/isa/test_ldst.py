"""Differential tests of the load/store instructions against Unicorn.

Each test draws random encodings of one class (every size/opc/V combination, addressing mode,
register number including 31) with base and index registers chosen so that the access lands in
the data area (often across its middle page boundary), random data bytes and random register
values, runs the instruction (or a short sequence, for exclusives) in nbemu and in Unicorn and
compares all registers and the data pages. Each class runs in the interpreter (jit='off') and,
with its own smaller random sample, as compiled code (jit='all'). Fault tests check that an
access to an unmapped or read-only address faults in nbemu and changes nothing.

CONSTRAINED UNPREDICTABLE combinations that nbemu resolves as QEMU does (writeback with
Rn == Rt or Rt2, load pairs with Rt == Rt2) are drawn and compared; exclusives draw distinct
registers (STXR with Rs == Rt/Rt2/Rn is not compared).
"""
import random
import struct

import numpy as np
import pytest

from nbemu.gen.decode import decoder
from nbemu.gen.encodings import ldst as ldst_enc
from nbemu.core import cpu
from tests.isa import encoding as st
from tests.isa import harness
from tests.isa.encoding import Form, assume, cases
from tests.isa.harness import (CACHE, CODE, DATA, DATA_SIZE, STACK_TOP, Start, check, run_class,
                               run_nbemu)

MODES = ('off', 'all')
M64 = 2**64 - 1

_LDST_HANDLERS = {p.handler for p in ldst_enc.PATTERNS}

# strategies here are seeded composites (tests.isa.encoding): one hypothesis choice per example
reg = st.integers(0, 31)
bit = st.integers(0, 1)
seeds = st.integers(0, 2**32 - 1)
u64 = st.one_of(st.integers(0, M64), st.integers(0, 0xFFFF), st.sampled_from([0, 1, M64, 1 << 63]))


def fields(*spec):
    """Assemble a word from (value, width) pairs, most significant first."""
    w = 0
    for v, width in spec:
        v &= (1 << width) - 1
        w = (w << width) | v
    return w


def make_start(seed, regs=None, sp=None, v=None):
    """A random starting state: data bytes, X0-X30 and V0-V31 from `seed`, then overrides:
    regs {n: value} (n = 31 means SP), v {n: value}."""
    rng = random.Random(seed)
    data = rng.randbytes(DATA_SIZE)
    x = [rng.getrandbits(64) for _ in range(31)]
    vv = [rng.getrandbits(128) for _ in range(32)]
    sp = STACK_TOP - 0x100 if sp is None else sp
    for n, val in (regs or {}).items():
        if n == 31:
            sp = val & M64
        else:
            x[n] = val & M64
    for n, val in (v or {}).items():
        vv[n] = val
    return Start(x=x, sp=sp, v=vv, data=data)


def data_offset(nbytes, align=1):
    """An offset into the data area for an access of nbytes, often crossing its middle page."""
    cross = st.integers(0x1000 - nbytes + 1, 0x1000 - 1) if nbytes > 1 else st.just(0xFFF)
    return st.one_of(st.integers(0, DATA_SIZE - nbytes), cross, st.just(0),
                     st.just(DATA_SIZE - nbytes)).map(lambda o: o - o % align)


def _kind(size, opc, v):
    """Load/store register (Arm ARM C4.1.66 table "Load/store register (...)"): the access size
    in bytes of an allocated (size, opc, V) for the non-prefetch forms, or None. V=0: opc 00
    store, 01 load, 10/11 sign-extending loads (size 00, 01; size 10 opc 10 is LDRSW; size 10
    opc 11 unallocated; size 11 opc 10 is PRFM, 11 unallocated). V=1: size 00 opc 1x is the
    128-bit form, other sizes opc 1x unallocated."""
    if not v:
        if opc <= 1 or size <= 1 or (size, opc) == (2, 2):
            return (1 << size,)
        return None
    if opc <= 1:
        return (1 << size,)
    return (16,) if size == 0 else None


VALID = [(s, o, v) for s in range(4) for o in range(4) for v in (0, 1) if _kind(s, o, v)]
VALID_GPR = [t for t in VALID if not t[2]]
# LDR (literal) (C4.1.66 "Load register (literal)"): (opc, V) -> access bytes; (3, 0) is PRFM
_LIT = {(0, 0): 4, (1, 0): 8, (2, 0): 4, (0, 1): 4, (1, 1): 8, (2, 1): 16}


# ----- single register, immediate offsets -----
@st.seeded_composite
def single_imm(draw):
    form = draw(st.sampled_from(['uimm', 'unscaled', 'post', 'unpriv', 'pre', 'ldapur', 'ldar',
                                 'stlr', 'ldapr']))
    rt, rn = draw(reg), draw(reg)
    if form in ('ldar', 'stlr', 'ldapr'):
        size, opc, v = draw(st.integers(0, 3)), (1 if form != 'stlr' else 0), 0
    elif form == 'ldapur':
        size, opc, v = draw(st.sampled_from(VALID_GPR))
    else:
        size, opc, v = draw(st.sampled_from(VALID_GPR if form == 'unpriv' else VALID))
    nbytes = _kind(size, opc, v)[0]
    va = DATA + draw(data_offset(nbytes))
    idx = {'unscaled': 0, 'post': 1, 'unpriv': 2, 'pre': 3}.get(form)
    if form == 'uimm':
        imm12 = draw(st.integers(0, 4095))
        base = va - imm12 * nbytes
        w = fields((size, 2), (0b111, 3), (v, 1), (0b01, 2), (opc, 2), (imm12, 12), (rn, 5),
                   (rt, 5))
    elif form == 'ldapur' or idx is not None:
        imm9 = draw(st.integers(-256, 255))
        base = va if form == 'post' else va - imm9
        if form == 'ldapur':
            w = fields((size, 2), (0b011001, 6), (opc, 2), (0, 1), (imm9, 9), (0, 2), (rn, 5),
                       (rt, 5))
        else:
            w = fields((size, 2), (0b111, 3), (v, 1), (0, 2), (opc, 2), (0, 1), (imm9, 9), (idx, 2),
                       (rn, 5), (rt, 5))
    elif form == 'ldapr':
        base = va
        w = fields((size, 2), (0b111000101, 9), (31, 5), (0b110000, 6), (rn, 5), (rt, 5))
    else:
        base = va
        w = fields((size, 2), (0b001000, 6), (0b110 if form == 'ldar' else 0b100, 3), (31, 5),
                   (draw(bit), 1), (31, 5), (rn, 5), (rt, 5))
    return [w], make_start(draw(seeds), {rn: base})


# ----- single register, register offset -----
@st.seeded_composite
def single_reg(draw):
    size, opc, v = draw(st.sampled_from(VALID))
    nbytes = _kind(size, opc, v)[0]
    rt, rn, rm = draw(reg), draw(reg), draw(reg)
    assume(rm != rn or rn == 31)
    opt, s = draw(st.sampled_from([2, 3, 6, 7])), draw(bit)
    shift = nbytes.bit_length() - 1 if s else 0
    va = DATA + draw(data_offset(nbytes))
    hi = draw(st.integers(0, 0xFFFFFFFF)) << 32
    if rm == 31:
        xm, off = 0, 0
    elif opt == 2:
        o = draw(st.integers(0, 0x1FFFF))
        xm, off = o | hi, o << shift
    elif opt == 6:
        o = draw(st.integers(-0x10000, 0x10000))
        xm, off = (o & 0xFFFFFFFF) | hi, o << shift
    else:
        xm = draw(u64)
        off = xm << shift
    w = fields((size, 2), (0b111, 3), (v, 1), (0, 2), (opc, 2), (1, 1), (rm, 5), (opt, 3), (s, 1),
               (0b10, 2), (rn, 5), (rt, 5))
    regs = {rn: (va - off) & M64}
    if rm != 31:
        regs[rm] = xm
    return [w], make_start(draw(seeds), regs)


# ----- literal -----
@st.seeded_composite
def literal(draw):
    opc, v = draw(st.sampled_from(sorted(_LIT) + [(3, 0)]))
    nbytes = _LIT.get((opc, v), 8)
    if draw(bit):
        target = CODE + draw(st.integers(0, 0x1000 - nbytes)) // 4 * 4
    else:
        target = DATA + draw(data_offset(nbytes, 4))
    w = fields((opc, 2), (0b011, 3), (v, 1), (0, 2), ((target - CODE) // 4, 19), (draw(reg), 5))
    return [w], make_start(draw(seeds))


# ----- prefetch -----
@st.seeded_composite
def prefetch(draw):
    form = draw(st.integers(0, 2))
    if form == 0:
        w = fields((0b1111100110, 10), (draw(st.integers(0, 4095)), 12), (draw(reg), 5),
                   (draw(reg), 5))
    elif form == 1:
        w = fields((0b11111000100, 11), (draw(st.integers(0, 511)), 9), (0, 2), (draw(reg), 5),
                   (draw(reg), 5))
    else:
        w = fields((0b11111000101, 11), (draw(reg), 5), (draw(st.sampled_from([2, 3, 6, 7])), 3),
                   (draw(bit), 1), (0b10, 2), (draw(reg), 5), (draw(reg), 5))
    return [w], make_start(draw(seeds))


# ----- pairs -----
PAIR_OPS = [(0, 0, 0), (0, 0, 1), (2, 0, 0), (2, 0, 1), (1, 0, 1)] + \
    [(o, 1, l) for o in range(3) for l in (0, 1)]


@st.seeded_composite
def pair(draw):
    opc, v, L = draw(st.sampled_from(PAIR_OPS))
    idx = draw(st.integers(1 if (opc, v) == (1, 0) else 0, 3))
    nbytes = 4 << opc if v else 4 << (opc >> 1)
    rt, rt2, rn = draw(reg), draw(reg), draw(reg)
    imm7 = draw(st.integers(-64, 63))
    va = DATA + draw(data_offset(2 * nbytes))
    base = va if idx == 1 else va - imm7 * nbytes
    w = fields((opc, 2), (0b101, 3), (v, 1), (0, 1), (idx, 2), (L, 1), (imm7, 7), (rt2, 5), (rn, 5),
               (rt, 5))
    return [w], make_start(draw(seeds), {rn: base})


# ----- exclusives -----
def _ldx(size, pair, rt, rt2, rn, acq):
    if pair:
        return fields((1, 1), (size - 2, 1), (0b001000011, 9), (31, 5), (acq, 1), (rt2, 5), (rn, 5),
                      (rt, 5))
    return fields((size, 2), (0b001000010, 9), (31, 5), (acq, 1), (31, 5), (rn, 5), (rt, 5))


def _stx(size, pair, rs, rt, rt2, rn, rel):
    if pair:
        return fields((1, 1), (size - 2, 1), (0b001000001, 9), (rs, 5), (rel, 1), (rt2, 5), (rn, 5),
                      (rt, 5))
    return fields((size, 2), (0b001000000, 9), (rs, 5), (rel, 1), (31, 5), (rn, 5), (rt, 5))


CLREX = 0xD503305F


@st.seeded_composite
def exclusive(draw):
    """LDXR/LDXP then (nothing | CLREX | a plain store | another LDXR elsewhere) then STXR/STXP
    (same or another address), or a lone STXR."""
    pair = draw(bit)
    size = draw(st.integers(2, 3)) if pair else draw(st.integers(0, 3))
    total = (1 << size) * (2 if pair else 1)
    perm = draw(st.permutations(list(range(31))))
    rn, rn2, rs, rt, rt2, lt, lt2, rv = perm[:8]
    if draw(st.integers(0, 3)) == 0:
        rn = 31
    va = DATA + draw(data_offset(total, total))
    va2 = DATA + draw(data_offset(total, total))
    seed = draw(seeds)
    regs = {rn: va, rn2: va2}
    middle = draw(st.sampled_from(['none', 'none', 'clrex', 'store_same', 'store_other', 'reload']))
    same = draw(st.integers(0, 3)) != 0
    words = []
    words.append(_ldx(size, pair, lt, lt2, rn, draw(bit)))
    if middle == 'clrex':
        words.append(CLREX)
    elif middle in ('store_same', 'store_other'):
        # STR rv, [rn] of the access's first element size
        esz = size
        words.append(fields((esz, 2), (0b11100100, 8), (0, 12), (rn, 5), (rv, 5)))
        if middle == 'store_same':
            # store back exactly the bytes the exclusive load saw: the pair still succeeds
            data = make_start(seed).data
            off = va - DATA
            regs[rv] = int.from_bytes(data[off:off + (1 << esz)], 'little')
    elif middle == 'reload':
        words.append(_ldx(size, pair, lt, lt2, rn2, 0))
    words.append(_stx(size, pair, rs, rt, rt2, rn if same else rn2, draw(bit)))
    if draw(st.integers(0, 5)) == 0:
        words = words[-1:]
    return words, make_start(seed, regs)


# ----- AdvSIMD multiple structures -----
MULTI = {0b0000: 4, 0b0010: 4, 0b0100: 3, 0b0110: 3, 0b0111: 1, 0b1000: 2, 0b1010: 2}


def _simd_regs(draw, rn):
    """(p, rm, regs) for the post-index forms."""
    p = draw(bit)
    rm = draw(reg) if p else 0
    regs = {}
    if p and rm != 31:
        regs[rm] = draw(u64)        # Rm == Rn: the increment is the base address
    return p, rm, regs


@st.seeded_composite
def simd_multi(draw):
    opcode = draw(st.sampled_from(sorted(MULTI)))
    q, size, L = draw(bit), draw(st.integers(0, 3)), draw(bit)
    nregs = MULTI[opcode]
    assume(not (size == 3 and not q and opcode not in (0b0010, 0b0110, 0b0111, 0b1010)))
    total = (8 << q) * nregs
    rt, rn = draw(reg), draw(reg)
    p, rm, regs = _simd_regs(draw, rn)
    regs[rn] = DATA + draw(data_offset(total))
    w = fields((0, 1), (q, 1), (0b001100, 6), (p, 1), (L, 1), (0, 1), (rm, 5), (opcode, 4),
               (size, 2), (rn, 5), (rt, 5))
    return [w], make_start(draw(seeds), regs)


@st.seeded_composite
def simd_single(draw):
    q, L, R, opcode, S, size = (draw(bit), draw(bit), draw(bit), draw(st.integers(0, 7)),
                                draw(bit), draw(st.integers(0, 3)))
    if draw(st.integers(0, 2)) == 0:        # LDnR more often than by chance
        L, opcode, S = 1, 6 + draw(bit), 0
    scale = opcode >> 1
    if scale == 3:
        assume(L and not S)
        scale = size
    elif scale == 1:
        assume(not size & 1)
    elif scale == 2:
        assume(size == 0 or (size == 1 and not S))
        if size == 1:
            scale = 3
    selem = ((opcode & 1) << 1 | R) + 1
    nbytes = selem << scale
    rt, rn = draw(reg), draw(reg)
    p, rm, regs = _simd_regs(draw, rn)
    regs[rn] = DATA + draw(data_offset(nbytes))
    w = fields((0, 1), (q, 1), (0b001101, 6), (p, 1), (L, 1), (R, 1), (rm, 5), (opcode, 3), (S, 1),
               (size, 2), (rn, 5), (rt, 5))
    return [w], make_start(draw(seeds), regs)


# ----- FEAT_LSE (Arm ARM C6.2: CAS, CASP, LDADD..LDUMIN, SWP) -----
# atomic memory operations (size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt): o3 0 with any opc is
# LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN; o3 1 opc 000 is SWP
ATOMIC_OPS = [(0, opc) for opc in range(8)] + [(1, 0)]


def _lse_address(draw, total):
    """An address in the data area aligned to the access, or (one in ten) misaligned: FEAT_LSE
    without LSE2 requires alignment, both sides must raise an alignment fault."""
    off = draw(data_offset(total, total))
    if total > 1 and draw(st.integers(0, 9)) == 0:
        off += draw(st.integers(1, total - 1))
    return DATA + off


@st.seeded_composite
def atomic(draw):
    """LD<op>/SWP of every size and ordering; Rt = 31 (the ST<op> aliases) as often as any."""
    size, a, r = draw(st.integers(0, 3)), draw(bit), draw(bit)
    o3, opc = draw(st.sampled_from(ATOMIC_OPS))
    rs, rt, rn = draw(reg), draw(reg), draw(reg)
    va = _lse_address(draw, 1 << size)
    w = fields((size, 2), (0b111000, 6), (a, 1), (r, 1), (1, 1), (rs, 5), (o3, 1), (opc, 3),
               (0, 2), (rn, 5), (rt, 5))
    regs = {rn: va}
    if rs != rn and draw(bit):          # small and sign-boundary operands for min/max
        regs[rs] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0x7FFF, 0x8000, 0x7FFFFFFF,
                                         0x80000000, 1 << 63, M64]))
    return [w], make_start(draw(seeds), regs)


def _memory_value(seed, va, nbytes):
    data = make_start(seed).data
    return int.from_bytes(data[va - DATA:va - DATA + nbytes], 'little')


@st.seeded_composite
def cas(draw):
    """CAS/CASA/CASL/CASAL (B/H/W/X): half the time Rs holds the value in memory (the store
    happens), else a random value (it does not)."""
    size, l, o0 = draw(st.integers(0, 3)), draw(bit), draw(bit)
    rs, rt, rn = draw(reg), draw(reg), draw(reg)
    va = _lse_address(draw, 1 << size)
    seed = draw(seeds)
    regs = {rn: va}
    if rs not in (rn, 31) and draw(bit):
        # the upper bits of Ws/Xs beyond the access size do not take part in the compare
        regs[rs] = _memory_value(seed, va, 1 << size) | draw(st.integers(0, M64)) << (8 << size)
    w = fields((size, 2), (0b001000, 6), (1, 1), (l, 1), (1, 1), (rs, 5), (o0, 1), (31, 5),
               (rn, 5), (rt, 5))
    return [w], make_start(seed, regs)


@st.seeded_composite
def casp(draw):
    """CASP/CASPA/CASPL/CASPAL on W and X pairs (Rs, Rt even; odd ones drawn now and then, which
    are UNDEFINED): half the time Rs, Rs+1 hold the pair in memory."""
    sz, l, o0 = draw(bit), draw(bit), draw(bit)
    rs, rt, rn = draw(reg) & ~1, draw(reg) & ~1, draw(reg)
    if draw(st.integers(0, 19)) == 0:
        rs |= 1
    nbytes = 4 << sz
    va = _lse_address(draw, 2 * nbytes)
    seed = draw(seeds)
    regs = {rn: va}
    if not {rs, rs + 1} & {rn, 31} and draw(bit):
        regs[rs] = _memory_value(seed, va, nbytes)
        regs[rs + 1] = _memory_value(seed, va + nbytes, nbytes)
    w = fields((0, 1), (sz, 1), (0b001000, 6), (0, 1), (l, 1), (1, 1), (rs, 5), (o0, 1),
               (31, 5), (rn, 5), (rt, 5))
    return [w], make_start(seed, regs)


CLASSES = {
    'single_imm': single_imm(), 'single_reg': single_reg(), 'literal': literal(),
    'prefetch': prefetch(), 'pair': pair(), 'exclusive': exclusive(),
    'simd_multi': simd_multi(), 'simd_single': simd_single(),
    'lse_atomic': atomic(), 'lse_cas': cas(), 'lse_casp': casp(),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'ldst.{cls}', mode, CLASSES[cls])


# the whole load/store group (Arm ARM C4.1: op0 = x1x0), every other bit random; the base and
# index registers mostly point into the data area (so most immediate forms access it, others
# fault at an address both sides must agree on)
SPACE = [Form('x x x x 1 x 0 x x x x x x x x x x x x x x x x x x x x x x x x x')]


def _stxr_misaligned(w, s):
    """A store-exclusive to an address not aligned to its size (the pair's total size)."""
    if (w >> 21) & 1 and not w >> 31:
        return False            # CASP (LSE), not a store-exclusive pair
    n = (w >> 5) & 31
    addr = s.sp if n == 31 else s.x[n]
    size = (4 << ((w >> 30) & 1)) * 2 if (w >> 21) & 1 else 1 << (w >> 30)
    return addr % size != 0


# The Arm ARM's AArch64.ExclusiveMonitorsPass raises the alignment fault before it consults the
# monitor; Unicorn (QEMU 5) checks alignment only when the monitor matches, so a misaligned
# STXR/STLXR/STXP/STLXP with no matching LDXR just fails (Ws = 1) there. nbemu raises SIGBUS
# (pinned by test_exclusive_alignment).
harness.UNICORN_BUGS.append((0x3FC00000, 0x08000000, 'store-exclusive misaligned, no monitor',
                             _stxr_misaligned))


def _signed_minmax_sign_differs(w, s):
    """LDSMAX/LDSMIN on a byte, halfword or word whose operands differ in their sign bit (where
    a signed and an unsigned comparison disagree)."""
    size = w >> 30
    if (w >> 15) & 1 or (w >> 12) & 7 not in (4, 5) or size == 3:
        return False
    n, rs = (w >> 5) & 31, (w >> 16) & 31
    va = s.sp if n == 31 else s.x[n]
    nbytes = 1 << size
    if va % nbytes or not DATA <= va < DATA + DATA_SIZE:
        return False        # faults on both sides: compared
    old = int.from_bytes(s.data[va - DATA:va - DATA + nbytes], 'little')
    operand = 0 if rs == 31 else s.x[rs]
    sign = 8 * nbytes - 1
    return (old >> sign & 1) != (operand >> sign & 1)


# The Arm ARM's LDSMAX/LDSMIN compare signed values of the access size; Unicorn (QEMU 5's
# disas_ldst_atomic, without MO_SIGN) compares B/H/W operands zero-extended, i.e. unsigned.
# qemu-aarch64 7.2 compares them signed (the atomics corpus program checks it); nbemu's results
# are pinned by test_lse_signed_minmax.
harness.UNICORN_BUGS.append((0x3F200C00, 0x38200000, 'LDSMAX/LDSMIN B/H/W compared unsigned',
                             _signed_minmax_sign_differs))


def _space_start(r):
    s = make_start(r.getrandbits(32))
    s.x = [DATA + r.randrange(DATA_SIZE) & ~15 if r.random() < 0.8 else v for v in s.x]
    s.sp = DATA + r.randrange(DATA_SIZE) & ~15
    return s


@pytest.mark.parametrize('mode', MODES)
def test_space(mode):
    run_class('ldst.space', mode, cases(SPACE, _space_start), floor=harness.SPACE_FLOOR)


# ----- hand-picked cases -----
def test_decode_coverage():
    """Spot checks of the decoder: allocated forms decode here, unallocated ones do not."""
    d = decoder()
    names = {
        0xF9400420: 'LDR/STR (unsigned immediate)',      # ldr x0, [x1, #8]
        0x3CC10420: 'LDR/STR (unscaled, pre/post-index, unprivileged)',  # ldr q0, [x1], #16
        0xB8A26820: 'LDR/STR (register offset)',          # ldrsw x0, [x1, x2]
        0x9C000040: 'LDR (literal)',                      # ldr q0, #8
        0xF98000E0: 'PRFM (immediate)',
        0xD503305F: 'CLREX',
        0x4CDF2020: 'LD1-4/ST1-4 (multiple structures)',  # ld1 {v0.16b-v3.16b}, [x1], #64
        0x4D40C420: 'LD1-4/ST1-4 (single structure), LD1R-LD4R',   # ld1r {v0.8h}, [x1]
        0xC8A07C41: 'CAS',                                # cas x0, x1, [x2]
        0x48207C82: 'CASP',                               # casp x0, x1, x2, x3, [x4]
        0xF8200020: 'LDADD..LDUMIN/SWP',                  # ldadd x0, x0, [x1]
        0xB8A08020: 'LDADD..LDUMIN/SWP',                  # swpa w0, w0, [x1]
        0x3820303F: 'LDADD..LDUMIN/SWP',                  # stsetb w0, [x1]
    }
    for w, name in names.items():
        p, _ = d.decode(w, CODE)
        assert p is not None and p.name == name, f'{w:08x}: {p}'
    unallocated = [
        0x38E00800,     # register offset with option 0b000
        0xF8C00400,     # size 3 opc 3, post-index
        0x68400000,     # LDNP with opc 1 (LDPSW has no no-allocate form)
        0x29400000 | 3 << 30,   # pair opc 3
        0x4C401000,     # multiple structures, opcode 0001
        0x0C400C00,     # LD4 {.1d}: size 3 with Q 0
        0x4C400020 | 1 << 16,   # no post-index but Rm != 0
        0x0D60C000 | 1 << 12,   # LD1R with S = 1
        0x0D408C00,     # LD1 (single structure), opcode 100 with size 11
        0x3C800800,     # unprivileged SIMD&FP store (does not exist)
        0xC8A07841,     # CAS with Rt2 != 11111
        0x48217C82,     # CASP with an odd Rs
        0x48207C83,     # CASP with an odd Rt
        0xF8209020,     # atomic memory op o3=1 opc=001 (unallocated without FEAT_LS64)
    ]
    for w in unallocated:
        p, _ = d.decode(w, CODE)
        assert p is None or p.handler not in _LDST_HANDLERS, f'{w:08x} decoded as {p}'


# ----- faults -----
UNMAPPED = [0x0, 0x30000, 0x22000, DATA - 0x1000, 0xFFFF000000000000, 1 << 48, 0x7FFFFFFFF000]


def _unchanged(res, s):
    assert res['fault'], 'expected a fault'
    assert res['x'] == s.x, 'registers changed'
    assert res['sp'] == s.sp
    assert res['v'] == s.v, 'vector registers changed'
    assert res['data'] == s.data, 'memory changed'
    assert res['pc'] == CODE


FAULT_WORDS = {
    # word, base register (x1), post-index register if any
    'ldr x0, [x1, #8]': 0xF9400420,
    'ldr x1, [x1], #8': 0xF8408421,          # rt == rn: writeback would clobber
    'ldr x0, [x1, #8]!': 0xF8408C20,
    'str x0, [x1], #-8': 0xF81F8420,
    'ldrsb w0, [x1, x2]': 0x38E26820,
    'str q0, [x1, #16]': 0x3D800420,
    'ldr q0, [x1], #16': 0x3CC10420,
    'ldp x0, x2, [x1, #16]!': 0xA9C10820,
    'stp q0, q2, [x1], #32': 0xAC810820,
    'ldpsw x0, x2, [x1]': 0x69400820,
    'ldxr x0, [x1]': 0xC85F7C20,
    'ldaxp x0, x2, [x1]': 0xC87F8820,
    'ldar w0, [x1]': 0x88DFFC20,
    'stlr x0, [x1]': 0xC89FFC20,
    'ld1 {v0.16b-v3.16b}, [x1], #64': 0x4CDF2020,
    'st4 {v0.4s-v3.4s}, [x1], x2': 0x4C820820,
    'ld3r {v0.8h-v2.8h}, [x1], #6': 0x4DDFE420,
    'st1 {v0.s}[3], [x1]': 0x4D009020,
    'ld1 {v5.d}[1], [x1], #8': 0x4DDF8425,
    'ldaddal x2, x1, [x1]': 0xF8E20021,      # rt == rn
    'stumaxb w2, [x1]': 0x3822603F,
    'swp w2, w0, [x1]': 0xB8228020,
    'casal x0, x2, [x1]': 0xC8E0FC22,
    'caspa w2, w3, w4, w5, [x1]': 0x08627C24,
}


@pytest.mark.parametrize('mode', MODES)
def test_fault_unmapped(mode):
    """Accesses to unmapped addresses fault and change nothing (no writeback, no load)."""
    rng = random.Random(1)
    items = sorted(FAULT_WORDS.items())
    if mode == 'all':
        items = items[::4]
    for name, w in items:
        for base in (UNMAPPED if mode == 'off' else UNMAPPED[1:3]):
            s = make_start(rng.getrandbits(32), {1: base, 2: 8})
            res = run_nbemu([w], s, jit=mode, cache_dir=CACHE)
            _unchanged(res, s)
            assert res['reason'] == cpu.EXIT_SEGV, name
            check([w], s, jit=mode, cache_dir=CACHE)      # Unicorn faults too


STORE_CROSSING = {
    # store, start address: the first bytes are in the data area, the rest on an unmapped page
    'stp x0, x2, [x1]': (0xA9000820, DATA + DATA_SIZE - 8),
    'stp w0, w2, [x1]': (0x29000820, DATA + DATA_SIZE - 4),
    'str q0, [x1]': (0x3D800020, DATA + DATA_SIZE - 8),
    'stp q0, q2, [x1]': (0xAD000820, DATA + DATA_SIZE - 16),
    'st1 {v0.16b-v3.16b}, [x1]': (0x4C002020, DATA + DATA_SIZE - 32),
    'st2 {v0.2d, v1.2d}, [x1]': (0x4C008C20, DATA + DATA_SIZE - 8),
    'st4 {v0.b-v3.b}[0], [x1]': (0x0D202020, DATA + DATA_SIZE - 2),
    'str x0, [x1]': (0xF9000020, DATA + DATA_SIZE - 3),
    'stxp x0, x2, [x1]': None,       # exclusives are aligned: they never cross a page
}


@pytest.mark.parametrize('mode', MODES)
def test_fault_store_crossing(mode):
    """A store whose first bytes are writable but whose last are not changes nothing."""
    for name, item in sorted(STORE_CROSSING.items()):
        if item is None:
            continue
        w, va = item
        s = make_start(7, {1: va})
        res = run_nbemu([w], s, jit=mode, cache_dir=CACHE)
        _unchanged(res, s)
        if mode == 'all':
            break


@pytest.mark.parametrize('mode', MODES)
def test_fault_readonly(mode):
    """Stores to the read-only code page fault; loads from it work."""
    s = make_start(3, {1: CODE + 0x100})
    for w in (0xF9000020, 0xA9000820, 0x3D800020, 0x4C002020, 0x0D000020, 0xF8E20020, 0xC8E0FC22):
        res = run_nbemu([w], s, jit=mode, cache_dir=CACHE)
        _unchanged(res, s)
        if mode == 'all':
            break
    check([0xA9400820], s, jit=mode, cache_dir=CACHE)    # ldp x0, x2, [x1]


def test_exclusive_alignment():
    """Misaligned exclusives raise an alignment fault (SIGBUS) and change nothing."""
    for w, base in ((0xC85F7C20, DATA + 4), (0x885F7C20, DATA + 2), (0x485F7C20, DATA + 1),
                    (0xC87F0820, DATA + 8), (0x887F0820, DATA + 4),
                    (0xC8037C20, DATA + 4)):       # stxr w3, x0, [x1]
        s = make_start(5, {1: base})
        res = run_nbemu([w], s, jit='off')
        _unchanged(res, s)
        assert res['reason'] == cpu.EXIT_BUS
        if w != 0xC8037C20:     # Unicorn only checks a STXR's alignment when the monitor matches
            check([w], s, jit='off')


@pytest.mark.parametrize('mode', MODES)
def test_ordered_should_be_one_fields(mode):
    """LDAR/STLR/LDLAR/STLLR with Rs or Rt2 other than 11111 (should-be-one fields, CONSTRAINED
    UNPREDICTABLE): nbemu runs them as if the fields were ones, like QEMU and Unicorn."""
    for w in (0x88973EA1, 0x08CC83D3, 0x48D02E8D, 0xC8C8116C, 0x889FFC20 & ~(1 << 16)):
        rn = (w >> 5) & 31
        s = make_start(w, {rn: DATA + 0x100})
        r = check([w], s, jit=mode, cache_dir=CACHE)
        assert r['outcome'] == 'ran', hex(w)


def test_exclusive_store_readonly_faults_after_monitor_check():
    """LDXR on a read-only page, then STXR to it: the store faults, Ws is not written."""
    words = [0xC85F7C20, 0xC8037C22]        # ldxr x0, [x1]; stxr w3, x2, [x1]
    s = make_start(9, {1: CODE})
    res = run_nbemu(words, s, jit='off')
    assert res['fault'] and res['reason'] == cpu.EXIT_SEGV
    assert res['x'][3] == s.x[3] and res['pc'] == CODE + 4


def test_store_to_code_page_completes():
    """A store pair / structure store hitting a page that holds translated code is not a fault:
    it completes and leaves the TB so the code can be invalidated (EXIT_SMC)."""
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    for word, nbytes in ((0xA9000820, 16), (0x4C002020, 64), (0xAD000820, 32)):
        mem = Memory(1 << 22)
        mem.map(CODE, 0x2000, 7)
        mem.write(CODE, struct.pack('<I', word), need=0)
        m = Machine(mem, jit='off', cache_dir=CACHE, max_tb_insns=1)
        st_ = m.state
        st_['x'][0, 0] = 0x1111111111111111
        st_['x'][0, 1] = CODE + 0x1000 - nbytes // 2     # crosses into the next page
        st_['x'][0, 2] = 0x2222222222222222
        vv = st_['v'][0].copy()
        vv[:] = np.arange(64, dtype=np.uint64) * np.uint64(0x0101010101010101)
        st_['v'][0] = vv
        st_['pc'] = CODE
        mem.mark_code(CODE >> 12)
        mem.mark_code((CODE >> 12) + 1)
        reason = m.run_one_tb()
        assert reason == cpu.EXIT_SMC
        assert int(st_['pc'][0]) == CODE + 4
        written = mem.read(CODE + 0x1000 - nbytes // 2, nbytes)
        assert written != bytes(nbytes)
        if word == 0xA9000820:
            assert written == struct.pack('<QQ', 0x1111111111111111, 0x2222222222222222)


@pytest.mark.parametrize('mode', MODES)
def test_lse_on_readonly_page(mode):
    """An atomic is a read and a write for the permission check: LDADD, and a CAS whose compare
    fails (so it would store nothing), fault on the read-only code page, as in Unicorn."""
    s = make_start(11, {1: CODE + 0x100})
    s.x[0] = s.x[2] = 0x1234          # CAS compares x0 with what is at CODE+0x100 (zeros)
    for w in (0xF8E20020, 0xC8E0FC22):     # ldaddal x2, x0, [x1]; casal x0, x2, [x1]
        res = check([w], s, jit=mode, cache_dir=CACHE)
        assert res['reason'] == cpu.EXIT_SEGV and res['addr'] == CODE + 0x100
        _unchanged(res, s)


@pytest.mark.parametrize('mode', MODES)
def test_lse_store_to_code_page_completes(mode):
    """An atomic that writes a page holding translated code is not a fault: it completes (the
    old value lands in Rt) and leaves the TB so the code can be invalidated (EXIT_SMC)."""
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    for word in (0xF8E20020, 0x48227C24):   # ldaddal x2, x0, [x1]; casp x2, x3, x4, x5, [x1]
        mem = Memory(1 << 22)
        mem.map(CODE, 0x2000, 7)
        mem.write(CODE, struct.pack('<I', word), need=0)
        mem.write(CODE + 0x1000, struct.pack('<QQ', 5, 6), need=0)
        m = Machine(mem, jit=mode, cache_dir=CACHE, max_tb_insns=1)
        st_ = m.state
        for i, v in enumerate([0, CODE + 0x1000, 5, 6, 0x11, 0x22]):
            st_['x'][0, i] = v
        st_['pc'] = CODE
        mem.mark_code((CODE >> 12) + 1)
        assert m.run_one_tb() == cpu.EXIT_SMC
        assert int(st_['pc'][0]) == CODE + 4
        lo, hi = struct.unpack('<QQ', mem.read(CODE + 0x1000, 16))
        if word == 0xF8E20020:
            assert (lo, hi, int(st_['x'][0, 0])) == (10, 6, 5)
        else:       # x2:x3 == memory: x4:x5 stored, the old pair loaded into x2:x3
            assert (lo, hi) == (0x11, 0x22)
            assert (int(st_['x'][0, 2]), int(st_['x'][0, 3])) == (5, 6)


def test_lse_gated_by_cpu_model():
    """An LSE instruction decodes under max and neoverse-n1 and is UNDEFINED under the
    Armv8.0 cores, as are the other post-v8.0 rows (LDAPR needs RCpc, SB, DC CVAP)."""
    lse = [0xC8A07C41, 0x48207C82, 0xF8200020, 0xB8A08020, 0x3820303F]
    for model in ('max', 'neoverse-n1'):
        assert all(decoder(model).decode(w, CODE)[0] is not None for w in lse), model
    for model in ('cortex-a53', 'cortex-a57', 'cortex-a72'):
        d = decoder(model)
        for w in lse + [0x38BFC020, 0xD50330FF, 0xD50B7C20, 0x19400020]:
            assert d.decode(w, CODE) == (None, None), (model, hex(w))
        assert d.decode(0x9AC14C00, CODE)[0] is not None    # CRC32: every model has it
    n1 = decoder('neoverse-n1')
    assert n1.decode(0x38BFC020, CODE)[0] is not None       # LDAPRB (RCpc)
    assert n1.decode(0x19400020, CODE) == (None, None)      # LDAPURB needs RCpc2 (v8.4)
    assert n1.decode(0xD50330FF, CODE) == (None, None)      # SB (v8.5)


@pytest.mark.parametrize('mode', MODES)
def test_lse_signed_minmax(mode):
    """LDSMAX/LDSMIN compare as signed numbers of the access size (Arm ARM C6.2 LDSMAX:
    'treated as signed'), LDUMAX/LDUMIN as unsigned; Rt gets the old value zero-extended."""
    # (word, size, memory, Rs, new memory): rs = x3, rt = x0, rn = x1
    cases_ = [
        (0xB8234020, 4, 0x80000000, 5, 5),                  # ldsmax w3, w0, [x1]
        (0xB8235020, 4, 0x80000000, 5, 0x80000000),         # ldsmin w3, w0, [x1]
        (0xB8236020, 4, 0x80000000, 5, 0x80000000),         # ldumax w3, w0, [x1]
        (0x38234020, 1, 0xF0, 0x10, 0x10),                  # ldsmaxb w3, w0, [x1]
        (0x78235020, 2, 0x7FFF, 0xFFFF8000, 0x8000),        # ldsminh: Rs's upper bits ignored
        (0xF8234020, 8, 1 << 63, 1, 1),                     # ldsmax x3, x0, [x1]
    ]
    for w, size, memv, rs, new in cases_:
        data = bytearray(DATA_SIZE)
        data[0x100:0x100 + size] = memv.to_bytes(size, 'little')
        x = [0] * 31
        x[1], x[3] = DATA + 0x100, rs
        r = run_nbemu([w], Start(x=x, data=bytes(data)), jit=mode, cache_dir=CACHE)
        assert r['outcome'] == 'ran', hex(w)
        assert int.from_bytes(r['data'][0x100:0x100 + size], 'little') == new, hex(w)
        assert r['x'][0] == memv, hex(w)


def test_other_post_v80_rows_gated():
    """FJCVTZS (FEAT_JSCVT) and FRINT32Z.. (FEAT_FRINTTS) decode under max only; PMULL .1Q
    (FEAT_PMULL, with AES: ID_AA64ISAR0.AES = 2) under every model, as qemu's all have it
    (tests/isa/test_crypto.py checks the crypto rows model by model)."""
    jscvt, frint_s, frint_v, pmull = 0x1E7E0020, 0x1E284020, 0x4E21E820, 0x0EE0E020
    for model in ('max', 'neoverse-n1', 'cortex-a53'):
        d = decoder(model)
        for w in (jscvt, frint_s, frint_v):
            assert (d.decode(w, CODE)[0] is not None) == (model == 'max'), (model, hex(w))
        assert d.decode(pmull, CODE)[0] is not None
        assert d.decode(0x0E22E020, CODE)[0] is not None        # PMULL .8H: Armv8.0
