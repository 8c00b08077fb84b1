"""A64 load/store encodings (C4.1.66 and following: "Loads and Stores"), plus CLREX.

General and SIMD&FP register forms share helpers: the decoder turns size/opc/V into an access
size in bytes and a transfer kind (see nbemu/gen/sem/ldst.py). Acquire/release and unprivileged
forms are plain accesses in user mode. Prefetches are NOPs. LSE atomics (CAS, CASP, LD<op>, SWP)
need FEAT_LSE. Pointer-authenticated and MTE loads/stores are not decoded here.
"""
from .. import features
from ..decode import Pattern, sext
from ..sem import ldst, system
from ..sem.ldst import (K_LD, K_LDS32, K_LDS64, K_LDV, K_ST, K_STV, MODE_ABS, MODE_OFFSET,
                        MODE_POST, MODE_PRE, POST_IMM, POST_NONE, POST_REG)

M64 = 2**64 - 1
_IMM9_MODE = {0: MODE_OFFSET, 1: MODE_POST, 2: MODE_OFFSET, 3: MODE_PRE}


def _kind(size, opc, v):
    """(bytes, kind) of a single-register load/store from its size, opc and V fields, or None
    when unallocated (size 3 opc 2, the PRFM slot, is matched by earlier rows)."""
    if v:
        if opc & 2:
            return (16, K_LDV if opc & 1 else K_STV) if size == 0 else None
        return 1 << size, K_LDV if opc & 1 else K_STV
    if opc == 0:
        return 1 << size, K_ST
    if opc == 1:
        return 1 << size, K_LD
    if opc == 2:
        return (1 << size, K_LDS64) if size < 3 else None
    return (1 << size, K_LDS32) if size < 2 else None


def _uimm(f):
    k = _kind(f.size, f.opc, f.V)
    if k is None:
        return None
    nbytes, kind = k
    return f.rt, f.rn, f.imm12 * nbytes, nbytes, kind, MODE_OFFSET


def _imm9(f):
    if f.idx == 2 and f.V:          # unprivileged forms exist for general registers only
        return None
    k = _kind(f.size, f.opc, f.V)
    if k is None:
        return None
    return f.rt, f.rn, sext(f.imm9, 9), k[0], k[1], _IMM9_MODE[f.idx]


def _regoff(f):
    if not f.opt & 2:
        return None
    k = _kind(f.size, f.opc, f.V)
    if k is None:
        return None
    nbytes, kind = k
    shift = nbytes.bit_length() - 1 if f.S else 0
    return f.rt, f.rn, f.rm, f.opt | shift << 3, nbytes, kind


_LIT = {(0, 0): (4, K_LD), (1, 0): (8, K_LD), (2, 0): (4, K_LDS64),
        (0, 1): (4, K_LDV), (1, 1): (8, K_LDV), (2, 1): (16, K_LDV)}


def _literal(f):
    k = _LIT.get((f.opc, f.V))
    if k is None:
        return None
    return f.rt, 0, (f.pc + sext(f.imm19, 19) * 4) & M64, k[0], k[1], MODE_ABS


_PAIR_MODE = {0: MODE_OFFSET, 1: MODE_POST, 2: MODE_OFFSET, 3: MODE_PRE}


def _pair(f):
    if f.V:
        if f.opc == 3:
            return None
        nbytes = 4 << f.opc
        kind = K_LDV if f.L else K_STV
    elif f.opc == 0 or f.opc == 2:
        nbytes = 4 << (f.opc >> 1)
        kind = K_LD if f.L else K_ST
    elif f.opc == 1 and f.L and f.idx != 0:     # LDPSW (opc 1 with L=0 is MTE's STGP)
        nbytes, kind = 4, K_LDS64
    else:
        return None
    return f.rt, f.rt2, f.rn, sext(f.imm7, 7) * nbytes, nbytes | kind << 5, _PAIR_MODE[f.idx]


def _ldapur(f):
    k = _kind(f.size, f.opc, 0)
    if k is None:
        return None
    return f.rt, f.rn, sext(f.imm9, 9), k[0], k[1], MODE_OFFSET


def _atomic(f):
    """Atomic memory operations (o3 opc): 0 ooo LD<op>, 1 000 SWP; 1 100 is LDAPR (its own row,
    Rs = 11111); the rest (FEAT_LS64's LD64B/ST64B...) is unallocated here."""
    if f.o3:
        if f.opc:
            return None
        op = ldst.AOP_SWP
    else:
        op = f.opc
    return f.rs, f.rt, f.rn, 1 << f.size, op


def _casp(f):
    """CASP: Rs and Rt must be even (odd ones are UNDEFINED)."""
    if (f.rs | f.rt) & 1:
        return None
    return f.rs, f.rt, f.rn, 4 << f.sz, 1


# LD/ST multiple structures: opcode -> (selem, rpt)
_MULTI = {0b0000: (4, 1), 0b0010: (1, 4), 0b0100: (3, 1), 0b0110: (1, 3), 0b0111: (1, 1),
          0b1000: (2, 1), 0b1010: (1, 2)}


def _simd_post(f, p, nbytes):
    """(inc, post) for an AdvSIMD structure access; None when unallocated."""
    if not p:
        return (0, POST_NONE) if f.rm == 0 else None
    if f.rm == 31:
        return nbytes, POST_IMM
    return f.rm, POST_REG


def _multi(f):
    sr = _MULTI.get(f.opcode)
    if sr is None:
        return None
    selem, rpt = sr
    if f.size == 3 and not f.Q and selem > 1:
        return None
    post = _simd_post(f, f.p, (8 << f.Q) * selem * rpt)
    if post is None:
        return None
    shape = f.size | f.Q << 2 | selem << 3 | rpt << 6
    return f.rt, f.rn, post[0], post[1], shape, f.L


def _single(f):
    scale = f.opcode >> 1
    selem = ((f.opcode & 1) << 1 | f.R) + 1
    repl = 0
    if scale == 3:                  # LDnR
        if not f.L or f.S:
            return None
        scale = f.size
        index = 0
        repl = 1
    elif scale == 0:
        index = f.Q << 3 | f.S << 2 | f.size
    elif scale == 1:
        if f.size & 1:
            return None
        index = f.Q << 2 | f.S << 1 | f.size >> 1
    elif f.size == 0:
        index = f.Q << 1 | f.S
    elif f.size == 1 and not f.S:
        scale = 3
        index = f.Q
    else:
        return None
    post = _simd_post(f, f.p, selem << scale)
    if post is None:
        return None
    shape = scale | index << 2 | selem << 6 | repl << 9 | f.Q << 10
    return f.rt, f.rn, post[0], post[1], shape, f.L


PATTERNS = [
    # ----- load/store register -----
    Pattern('PRFM (immediate)', '11 111 0 01 10 imm12:12 rn:5 rt:5', system.nop, pure=True),
    Pattern('LDR/STR (unsigned immediate)', 'size:2 111 V:1 01 opc:2 imm12:12 rn:5 rt:5',
            ldst.ldst_imm, _uimm),
    Pattern('PRFUM', '11 111 0 00 10 0 imm9:9 00 rn:5 rt:5', system.nop, pure=True),
    Pattern('LDR/STR (unscaled, pre/post-index, unprivileged)',
            'size:2 111 V:1 00 opc:2 0 imm9:9 idx:2 rn:5 rt:5', ldst.ldst_imm, _imm9),
    Pattern('PRFM (register)', '11 111 0 00 10 1 rm:5 opt:3 S:1 10 rn:5 rt:5', system.nop,
            lambda f: () if f.opt & 2 else None, pure=True),
    Pattern('LDR/STR (register offset)', 'size:2 111 V:1 00 opc:2 1 rm:5 opt:3 S:1 10 rn:5 rt:5',
            ldst.ldst_reg, _regoff),
    Pattern('PRFM (literal)', '11 011 0 00 imm19:19 rt:5', system.nop, pure=True),
    Pattern('LDR (literal)', 'opc:2 011 V:1 00 imm19:19 rt:5', ldst.ldst_imm, _literal),
    Pattern('LDAPR', 'size:2 111000 101 11111 110000 rn:5 rt:5', ldst.ldst_imm,
            lambda f: (f.rt, f.rn, 0, 1 << f.size, K_LD, MODE_OFFSET), feature=features.LRCPC),
    Pattern('LDAPUR/STLUR', 'size:2 011001 opc:2 0 imm9:9 00 rn:5 rt:5', ldst.ldst_imm, _ldapur,
            feature=features.LRCPC2),
    # ----- pairs -----
    Pattern('LDP/STP/LDNP/STNP/LDPSW', 'opc:2 101 V:1 0 idx:2 L:1 imm7:7 rt2:5 rn:5 rt:5',
            ldst.ldst_pair, _pair),
    # ----- exclusives and ordered -----
    Pattern('STXR/STLXR', 'size:2 001000 000 rs:5 o0:1 rt2:5 rn:5 rt:5', ldst.st_excl,
            lambda f: (f.rs, f.rt, 31, f.rn, 1 << f.size, 0)),
    Pattern('LDXR/LDAXR', 'size:2 001000 010 rs:5 o0:1 rt2:5 rn:5 rt:5', ldst.ld_excl,
            lambda f: (f.rt, 31, f.rn, 1 << f.size, 0)),
    Pattern('STXP/STLXP', '1 sz:1 001000 001 rs:5 o0:1 rt2:5 rn:5 rt:5', ldst.st_excl,
            lambda f: (f.rs, f.rt, f.rt2, f.rn, 4 << f.sz, 1)),
    Pattern('LDXP/LDAXP', '1 sz:1 001000 011 rs:5 o0:1 rt2:5 rn:5 rt:5', ldst.ld_excl,
            lambda f: (f.rt, f.rt2, f.rn, 4 << f.sz, 1)),
    # Rs and Rt2 are should-be-one fields ((1)(1)(1)(1)(1) in the Arm ARM): with other values
    # the encoding is CONSTRAINED UNPREDICTABLE, UNDEFINED or as if they were ones; QEMU (the
    # whole-program reference) and Unicorn run it, and so does nbemu
    Pattern('STLR/STLLR', 'size:2 001000 100 xxxxx o0:1 xxxxx rn:5 rt:5', ldst.ldst_imm,
            lambda f: (f.rt, f.rn, 0, 1 << f.size, K_ST, MODE_OFFSET)),
    Pattern('LDAR/LDLAR', 'size:2 001000 110 xxxxx o0:1 xxxxx rn:5 rt:5', ldst.ldst_imm,
            lambda f: (f.rt, f.rn, 0, 1 << f.size, K_LD, MODE_OFFSET)),
    # ----- FEAT_LSE (A/R, L/o0: acquire/release orderings, plain here) -----
    # CAS/CASP: the Rt2 field is 11111; QEMU and Unicorn treat other values as unallocated
    Pattern('CAS', 'size:2 001000 1 L:1 1 rs:5 o0:1 11111 rn:5 rt:5', ldst.cas,
            lambda f: (f.rs, f.rt, f.rn, 1 << f.size, 0), feature=features.LSE),
    Pattern('CASP', '0 sz:1 001000 0 L:1 1 rs:5 o0:1 11111 rn:5 rt:5', ldst.cas, _casp,
            feature=features.LSE),
    Pattern('LDADD..LDUMIN/SWP', 'size:2 111 0 00 A:1 R:1 1 rs:5 o3:1 opc:3 00 rn:5 rt:5',
            ldst.atomic_op, _atomic, feature=features.LSE),
    Pattern('CLREX', '11010101 00000011 0011 crm:4 010 11111', ldst.clrex, pure=True),
    # ----- AdvSIMD structures -----
    Pattern('LD1-4/ST1-4 (multiple structures)',
            '0 Q:1 001100 p:1 L:1 0 rm:5 opcode:4 size:2 rn:5 rt:5', ldst.simd_multi, _multi),
    Pattern('LD1-4/ST1-4 (single structure), LD1R-LD4R',
            '0 Q:1 001101 p:1 L:1 R:1 rm:5 opcode:3 S:1 size:2 rn:5 rt:5', ldst.simd_single,
            _single),
]
