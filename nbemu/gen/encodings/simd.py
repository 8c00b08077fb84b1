"""AdvSIMD integer encodings (C4.1.6 / C4.1.7 "Data Processing -- Scalar FP and Advanced SIMD").

Each row covers one encoding group; the `args` functions map the opcode fields to a helper of
nbemu/gen/sem/simd.py and its operation selector, or return None for unallocated (or not
implemented) combinations. Scalar forms pass q=2 to the element-wise helpers: one element, the
rest of the register cleared. The AdvSIMD FP groups live in nbemu/gen/encodings/fp.py.
"""
from .. import features
from ..decode import Pattern
from ..sem import bf16 as B
from ..sem import fcma as C
from ..sem import fhm as FH
from ..sem import fp as F
from ..sem import simd as S

M64 = (1 << 64) - 1


def _rep(v, bits):
    """Replicate a `bits`-wide value across 64 bits."""
    r = 0
    for i in range(0, 64, bits):
        r |= v << i
    return r


def vfp_expand_imm(imm8, n):
    """VFPExpandImm: the FMOV 8-bit immediate as an n-bit (16/32/64) FP value."""
    e = {16: 5, 32: 8, 64: 11}[n]
    f = n - e - 1
    sign = imm8 >> 7
    b6 = (imm8 >> 6) & 1
    exp = ((b6 ^ 1) << (e - 1)) | ((((1 << (e - 3)) - 1) if b6 else 0) << 2) | ((imm8 >> 4) & 3)
    frac = (imm8 & 15) << (f - 4)
    return (sign << (n - 1)) | (exp << f) | frac


def adv_simd_expand_imm(op, cmode, imm8):
    c3 = cmode >> 1
    if c3 < 4:
        return _rep(imm8 << (8 * c3), 32)
    if c3 < 6:
        return _rep(imm8 << (8 * (c3 & 1)), 16)
    if c3 == 6:
        if cmode & 1:
            return _rep((imm8 << 16) | 0xFFFF, 32)
        return _rep((imm8 << 8) | 0xFF, 32)
    if cmode == 14:
        if op == 0:
            return _rep(imm8, 8)
        return sum(0xFF << (8 * i) for i in range(8) if (imm8 >> i) & 1)
    if op == 0:
        return _rep(vfp_expand_imm(imm8, 32), 32)
    return vfp_expand_imm(imm8, 64)


def _modimm(f):
    imm8 = (f.a << 7) | (f.b << 6) | (f.c << 5) | f.defgh
    op, cmode, q = f.op, f.cmode, f.q
    if f.o2:
        if op == 0 and cmode == 15 and f.cpu.has(features.FP16_SIMD):   # FMOV .4H/.8H
            v = _rep(vfp_expand_imm(imm8, 16), 16)
            return (S.simd_const, (f.rd, v, v if q else 0))
        return None
    if cmode == 15 and op == 1 and q == 0:
        return None
    imm = adv_simd_expand_imm(op, cmode, imm8)
    if cmode < 12 and cmode & 1:             # ORR / BIC (immediate)
        return (S.simd_orrbic_imm, (f.rd, _s64(imm), q, op))
    if op == 1 and cmode != 14 and cmode != 15:   # MVNI
        imm = ~imm & M64
    return (S.simd_const, (f.rd, _s64(imm), _s64(imm) if q else 0))


def _s64(v):
    v &= M64
    return v - (1 << 64) if v >> 63 else v


def _lowbit(imm5):
    for s in range(4):
        if (imm5 >> s) & 1:
            return s
    return None


def _copy(f):
    size = _lowbit(f.imm5)
    if size is None:
        return None
    idx = f.imm5 >> (size + 1)
    q, op, imm4 = f.q, f.op, f.imm4
    if op == 1:
        if q == 0:
            return None
        return (S.simd_copy, (S.CP_INS_ELEM, f.rd, f.rn, size, idx, imm4 >> size))
    if imm4 == 0:
        if size == 3 and q == 0:
            return None
        return (S.simd_copy, (S.CP_DUP_ELEM, f.rd, f.rn, size, idx, q))
    if imm4 == 1:
        if size == 3 and q == 0:
            return None
        return (S.simd_copy, (S.CP_DUP_GEN, f.rd, f.rn, size, 0, q))
    if imm4 == 3 and q == 1:
        return (S.simd_copy, (S.CP_INS_GEN, f.rd, f.rn, size, idx, 0))
    if imm4 == 5:
        if size >= 2 + q:
            return None
        return (S.simd_copy, (S.CP_SMOV, f.rd, f.rn, size, idx, q))
    if imm4 == 7:
        if (q == 0 and size == 3) or (q == 1 and size != 3):
            return None
        return (S.simd_copy, (S.CP_UMOV, f.rd, f.rn, size, idx, 0))
    return None


def _scalar_dup(f):
    size = _lowbit(f.imm5)
    if size is None:
        return None
    return (S.simd_copy, (S.CP_DUP_SCALAR, f.rd, f.rn, size, f.imm5 >> (size + 1), 0))


# three same (integer): (u, opcode) -> (helper, op, allowed sizes vector, allowed sizes scalar)
_ALL = (0, 1, 2, 3)
_N3 = (0, 1, 2)
_D = (3,)
_HS = (1, 2)
_3SAME = {}


def _t(u, opc, helper, op, vsizes, ssizes=()):
    _3SAME[(u, opc)] = (helper, op, vsizes, ssizes)


for _u in (0, 1):
    _sg = _u == 0
    _t(_u, 0b00000, S.simd_arith3, S.A_SHADD if _sg else S.A_UHADD, _N3)
    _t(_u, 0b00001, S.simd_arith3, S.A_SQADD if _sg else S.A_UQADD, _ALL, _ALL)
    _t(_u, 0b00010, S.simd_arith3, S.A_SRHADD if _sg else S.A_URHADD, _N3)
    _t(_u, 0b00100, S.simd_arith3, S.A_SHSUB if _sg else S.A_UHSUB, _N3)
    _t(_u, 0b00101, S.simd_arith3, S.A_SQSUB if _sg else S.A_UQSUB, _ALL, _ALL)
    _t(_u, 0b00110, S.simd_cmp, S.CM_GT if _sg else S.CM_HI, _ALL, _D)
    _t(_u, 0b00111, S.simd_cmp, S.CM_GE if _sg else S.CM_HS, _ALL, _D)
    _t(_u, 0b01000, S.simd_shl_reg, S.SH_SSHL if _sg else S.SH_USHL, _ALL, _D)
    _t(_u, 0b01001, S.simd_shl_reg, S.SH_SQSHL if _sg else S.SH_UQSHL, _ALL, _ALL)
    _t(_u, 0b01010, S.simd_shl_reg, S.SH_SRSHL if _sg else S.SH_URSHL, _ALL, _D)
    _t(_u, 0b01011, S.simd_shl_reg, S.SH_SQRSHL if _sg else S.SH_UQRSHL, _ALL, _ALL)
    _t(_u, 0b01100, S.simd_arith3, S.A_SMAX if _sg else S.A_UMAX, _N3)
    _t(_u, 0b01101, S.simd_arith3, S.A_SMIN if _sg else S.A_UMIN, _N3)
    _t(_u, 0b01110, S.simd_arith3, S.A_SABD if _sg else S.A_UABD, _N3)
    _t(_u, 0b01111, S.simd_arith3, S.A_SABA if _sg else S.A_UABA, _N3)
    _t(_u, 0b10100, S.simd_pairwise, S.P_SMAX if _sg else S.P_UMAX, _N3)
    _t(_u, 0b10101, S.simd_pairwise, S.P_SMIN if _sg else S.P_UMIN, _N3)
_t(0, 0b10000, S.simd_arith3, S.A_ADD, _ALL, _D)
_t(1, 0b10000, S.simd_arith3, S.A_SUB, _ALL, _D)
_t(0, 0b10001, S.simd_cmp, S.CM_TST, _ALL, _D)
_t(1, 0b10001, S.simd_cmp, S.CM_EQ, _ALL, _D)
_t(0, 0b10010, S.simd_arith3, S.A_MLA, _N3)
_t(1, 0b10010, S.simd_arith3, S.A_MLS, _N3)
_t(0, 0b10011, S.simd_arith3, S.A_MUL, _N3)
_t(1, 0b10011, S.simd_arith3, S.A_PMUL, (0,))
_t(0, 0b10110, S.simd_arith3, S.A_SQDMULH, _HS, _HS)
_t(1, 0b10110, S.simd_arith3, S.A_SQRDMULH, _HS, _HS)
_t(0, 0b10111, S.simd_pairwise, S.P_ADD, _ALL)


def _three_same(f, scalar):
    if f.opc == 0b00011:
        if scalar:
            return None
        return (S.simd_logic, ((f.u << 2) | f.size, f.rd, f.rn, f.rm, f.q))
    e = _3SAME.get((f.u, f.opc))
    if e is None:
        return None
    helper, op, vs, ss = e
    if scalar:
        if f.size not in ss:
            return None
        q = 2
    else:
        if f.size not in vs or (f.size == 3 and f.q == 0):
            return None
        q = f.q
    return (helper, (op, f.rd, f.rn, f.rm, f.size, q))


# two-register misc: (u, opcode) -> (helper, op, vector sizes, scalar sizes)
_MISC = {
    (0, 0b00000): (S.simd_misc, S.M_REV64, _N3, ()),
    (1, 0b00000): (S.simd_misc, S.M_REV32, (0, 1), ()),
    (0, 0b00001): (S.simd_misc, S.M_REV16, (0,), ()),
    (0, 0b00010): (S.simd_misc, S.M_SADDLP, _N3, ()),
    (1, 0b00010): (S.simd_misc, S.M_UADDLP, _N3, ()),
    (0, 0b00011): (S.simd_misc, S.M_SUQADD, _ALL, _ALL),
    (1, 0b00011): (S.simd_misc, S.M_USQADD, _ALL, _ALL),
    (0, 0b00100): (S.simd_misc, S.M_CLS, _N3, ()),
    (1, 0b00100): (S.simd_misc, S.M_CLZ, _N3, ()),
    (0, 0b00101): (S.simd_misc, S.M_CNT, (0,), ()),
    (0, 0b00110): (S.simd_misc, S.M_SADALP, _N3, ()),
    (1, 0b00110): (S.simd_misc, S.M_UADALP, _N3, ()),
    (0, 0b00111): (S.simd_misc, S.M_SQABS, _ALL, _ALL),
    (1, 0b00111): (S.simd_misc, S.M_SQNEG, _ALL, _ALL),
    (0, 0b01000): (S.simd_cmp, S.CM_GT0, _ALL, _D),
    (1, 0b01000): (S.simd_cmp, S.CM_GE0, _ALL, _D),
    (0, 0b01001): (S.simd_cmp, S.CM_EQ0, _ALL, _D),
    (1, 0b01001): (S.simd_cmp, S.CM_LE0, _ALL, _D),
    (0, 0b01010): (S.simd_cmp, S.CM_LT0, _ALL, _D),
    (0, 0b01011): (S.simd_misc, S.M_ABS, _ALL, _D),
    (1, 0b01011): (S.simd_misc, S.M_NEG, _ALL, _D),
}
_NARROW_MISC = {(0, 0b10010): S.N_XTN, (1, 0b10010): S.N_SQXTUN, (0, 0b10100): S.N_SQXTN,
                (1, 0b10100): S.N_UQXTN}


def _two_misc(f, scalar):
    key = (f.u, f.opc)
    if key in _NARROW_MISC:
        if f.size == 3 or (scalar and key == (0, 0b10010)):
            return None
        return (S.simd_narrow, (_NARROW_MISC[key], f.rd, f.rn, f.size, 0, 2 if scalar else f.q))
    if key == (1, 0b10011):                   # SHLL, SHLL2
        if scalar or f.size == 3:
            return None
        return (S.simd_widen, (f.rd, f.rn, f.size, 8 << f.size, 0, f.q))
    if key == (1, 0b00101):                   # NOT, RBIT
        if scalar or f.size > 1:
            return None
        return (S.simd_misc, (S.M_NOT if f.size == 0 else S.M_RBIT, f.rd, f.rn, 0, f.q))
    e = _MISC.get(key)
    if e is None:
        return None
    helper, op, vs, ss = e
    if scalar:
        if f.size not in ss:
            return None
        q = 2
    else:
        if f.size not in vs or (f.size == 3 and f.q == 0):
            return None
        q = f.q
    if helper is S.simd_cmp:
        return (helper, (op, f.rd, f.rn, f.rn, f.size, q))
    return (helper, (op, f.rd, f.rn, f.size, q))


_ACROSS = {(0, 0b00011): S.R_SADDLV, (1, 0b00011): S.R_UADDLV, (0, 0b01010): S.R_SMAXV,
           (1, 0b01010): S.R_UMAXV, (0, 0b11010): S.R_SMINV, (1, 0b11010): S.R_UMINV,
           (0, 0b11011): S.R_ADDV}


def _across(f):
    op = _ACROSS.get((f.u, f.opc))
    if op is None or f.size == 3 or (f.size == 2 and f.q == 0):
        return None
    return (S.simd_reduce, (op, f.rd, f.rn, f.size, f.q))


def _scalar_pair(f):
    if f.u == 0 and f.opc == 0b11011 and f.size == 3:
        return (S.simd_reduce, (S.R_ADDV, f.rd, f.rn, 3, 1))
    return None


_SHIFT_R = {0b00000: (S.SI_SSHR, S.SI_USHR), 0b00010: (S.SI_SSRA, S.SI_USRA),
            0b00100: (S.SI_SRSHR, S.SI_URSHR), 0b00110: (S.SI_SRSRA, S.SI_URSRA),
            0b01000: (None, S.SI_SRI)}
_SHIFT_L = {0b01010: (S.SI_SHL, S.SI_SLI), 0b01100: (None, S.SI_SQSHLU),
            0b01110: (S.SI_SQSHL, S.SI_UQSHL)}
_SHIFT_N = {0b10000: (S.N_SHRN, S.N_SQSHRUN), 0b10001: (S.N_RSHRN, S.N_SQRSHRUN),
            0b10010: (S.N_SQSHRN, S.N_UQSHRN), 0b10011: (S.N_SQRSHRN, S.N_UQRSHRN)}


def _shift_imm(f, scalar):
    if f.immh == 0:
        return None
    size = f.immh.bit_length() - 1
    esize = 8 << size
    immhb = (f.immh << 3) | f.immb
    q = 2 if scalar else f.q
    if f.opc in _SHIFT_R or f.opc in _SHIFT_L:
        if f.opc in _SHIFT_R:
            op = _SHIFT_R[f.opc][f.u]
            sh = 2 * esize - immhb
        else:
            op = _SHIFT_L[f.opc][f.u]
            sh = immhb - esize
        if op is None:
            return None
        saturating = op in (S.SI_SQSHL, S.SI_UQSHL, S.SI_SQSHLU)
        if scalar and size != 3 and not saturating:
            return None
        if not scalar and size == 3 and f.q == 0:
            return None
        return (S.simd_shift_imm, (op, f.rd, f.rn, size, sh, q))
    if f.opc in _SHIFT_N:
        if size == 3:
            return None
        op = _SHIFT_N[f.opc][f.u]
        if scalar and op in (S.N_SHRN, S.N_RSHRN):
            return None
        return (S.simd_narrow, (op, f.rd, f.rn, size, 2 * esize - immhb, q))
    if f.opc == 0b10100:                      # SSHLL/USHLL
        if scalar or size == 3:
            return None
        return (S.simd_widen, (f.rd, f.rn, size, immhb - esize, 1 - f.u, f.q))
    return None


_3DIFF = {0b0000: S.L_ADDL, 0b0001: S.L_ADDW, 0b0010: S.L_SUBL, 0b0011: S.L_SUBW,
          0b0101: S.L_ABAL, 0b0111: S.L_ABDL, 0b1000: S.L_MLAL, 0b1010: S.L_MLSL,
          0b1100: S.L_MULL}


def _three_diff(f):
    opc, u = f.opc, f.u
    if f.size == 3:                 # PMULL .1Q has its own row (FEAT_PMULL)
        return None
    if opc in _3DIFF:
        op = _3DIFF[opc] | (32 if u == 0 else 0)
    elif opc == 0b0100:
        op = S.L_RADDHN if u else S.L_ADDHN
    elif opc == 0b0110:
        op = S.L_RSUBHN if u else S.L_SUBHN
    elif opc == 0b1110 and u == 0 and f.size == 0:
        op = S.L_PMULL
    elif opc in (0b1001, 0b1011, 0b1101) and u == 0 and f.size in (1, 2):
        op = {0b1001: S.L_SQDMLAL, 0b1011: S.L_SQDMLSL, 0b1101: S.L_SQDMULL}[opc]
    else:
        return None
    return (S.simd_3diff, (op, f.rd, f.rn, f.rm, f.size, f.q))


def _perm(f):
    if f.opc & 3 == 0 or (f.size == 3 and f.q == 0):
        return None
    op = (f.opc & 3) - 1 + 3 * (f.opc >> 2)
    return (S.simd_perm, (op, f.rd, f.rn, f.rm, f.size, f.q))


def _elem_index(f):
    if f.size == 1:
        return (f.H << 2) | (f.L << 1) | f.M, f.rm
    return (f.H << 1) | f.L, (f.M << 4) | f.rm


_ELEM = {(0, 0b1000): S.E_MUL, (1, 0b0000): S.E_MLA, (1, 0b0100): S.E_MLS,
         (0, 0b1100): S.E_SQDMULH, (0, 0b1101): S.E_SQRDMULH}
_ELEM_L = {0b0010: S.L_MLAL, 0b0110: S.L_MLSL, 0b1010: S.L_MULL}
_ELEM_SQ = {0b0011: S.L_SQDMLAL, 0b0111: S.L_SQDMLSL, 0b1011: S.L_SQDMULL}


def _by_elem(f, scalar=False):
    if f.size not in (1, 2):
        return None
    idx, rm = _elem_index(f)
    key = (f.u, f.opc)
    q = 2 if scalar else f.q
    if key in _ELEM:
        if scalar and _ELEM[key] not in (S.E_SQDMULH, S.E_SQRDMULH):
            return None
        return (S.simd_elem, (_ELEM[key], f.rd, f.rn, rm, f.size, (idx << 2) | q))
    if f.opc in _ELEM_L and not scalar:
        op = _ELEM_L[f.opc] | (32 if f.u == 0 else 0)
        return (S.simd_elem_long, (op, f.rd, f.rn, rm, f.size, (idx << 2) | q))
    if f.opc in _ELEM_SQ and f.u == 0:
        return (S.simd_elem_long, (_ELEM_SQ[f.opc], f.rd, f.rn, rm, f.size, (idx << 2) | q))
    return None


def _scalar_three_diff(f):
    if f.u or f.size not in (1, 2) or f.opc not in (0b1001, 0b1011, 0b1101):
        return None
    op = {0b1001: S.L_SQDMLAL, 0b1011: S.L_SQDMLSL, 0b1101: S.L_SQDMULL}[f.opc]
    return (S.simd_3diff, (op, f.rd, f.rn, f.rm, f.size, 2))


def _rows(name, layout, fn, helpers):
    """One Pattern per helper the group can select, so each row names exactly one handler."""
    out = []
    for h in helpers:
        def args(f, h=h):
            r = fn(f)
            if r is None or r[0] is not h:
                return None
            return r[1]
        out.append(Pattern(name, layout, h, args, pure=True))
    return out


# FEAT_I8MM and FEAT_BF16 (Arm ARM C4.1.95 "three register extension", "vector x indexed
# element", "floating-point data-processing (1 source)", "two-register miscellaneous"); tried
# before the general by-element rows, whose opcode 1111 would be SQRDMLSH
_I8MM_BF16_ROWS = [
    Pattern('USDOT (vector)', '0 q:1 0 01110 10 0 rm:5 100111 rn:5 rd:5', S.simd_dot,
            lambda f: (f.rd, f.rn, f.rm, 2, f.q, -1), pure=True, feature=features.I8MM),
    Pattern('SMMLA/UMMLA', '0 1 u:1 01110 10 0 rm:5 101001 rn:5 rd:5', S.simd_dot,
            lambda f: (f.rd, f.rn, f.rm, 3 * (1 - f.u), 1, -2), pure=True,
            feature=features.I8MM),
    Pattern('USMMLA', '0 1 0 01110 10 0 rm:5 101011 rn:5 rd:5', S.simd_dot,
            lambda f: (f.rd, f.rn, f.rm, 2, 1, -2), pure=True, feature=features.I8MM),
    # SUDOT: Vn signed, Vm unsigned; USDOT the other way round
    Pattern('SUDOT/USDOT (by element)',
            '0 q:1 0 01111 s:1 0 L:1 M:1 rm:4 1111 H:1 0 rn:5 rd:5', S.simd_dot,
            lambda f: (f.rd, f.rn, (f.M << 4) | f.rm, 2 if f.s else 1, f.q, (f.H << 1) | f.L),
            pure=True, feature=features.I8MM),
    Pattern('BFDOT (vector)', '0 q:1 1 01110 01 0 rm:5 111111 rn:5 rd:5', B.bf16_dot,
            lambda f: (B.BF_DOT, f.rd, f.rn, f.rm, f.q, -1), pure=True,
            feature=features.BF16),
    Pattern('BFDOT (by element)', '0 q:1 0 01111 01 L:1 M:1 rm:4 1111 H:1 0 rn:5 rd:5',
            B.bf16_dot, lambda f: (B.BF_DOT, f.rd, f.rn, (f.M << 4) | f.rm, f.q,
                                   (f.H << 1) | f.L), pure=True, feature=features.BF16),
    Pattern('BFMMLA', '0 1 1 01110 01 0 rm:5 111011 rn:5 rd:5', B.bf16_dot,
            lambda f: (B.BF_MMLA, f.rd, f.rn, f.rm, 1, -1), pure=True, feature=features.BF16),
    # q selects BFMLALB (even halves) or BFMLALT (odd halves); the vector is always 128 bits
    Pattern('BFMLALB/BFMLALT (vector)', '0 q:1 1 01110 11 0 rm:5 111111 rn:5 rd:5',
            B.bf16_dot, lambda f: (B.BF_MLAL, f.rd, f.rn, f.rm, f.q, -1), pure=True,
            feature=features.BF16),
    Pattern('BFMLALB/BFMLALT (by element)',
            '0 q:1 0 01111 11 L:1 M:1 rm:4 1111 H:1 0 rn:5 rd:5', B.bf16_dot,
            lambda f: (B.BF_MLAL, f.rd, f.rn, f.rm, f.q, (f.H << 2) | (f.L << 1) | f.M),
            pure=True, feature=features.BF16),
    Pattern('BFCVT', '0001 1110 0110 0011 0100 00 rn:5 rd:5', F.simd_fpcvt_len,
            lambda f: (F.CL_BFCVTN, f.rd, f.rn, 0, 2), pure=True, feature=features.BF16),
    Pattern('BFCVTN/BFCVTN2', '0 q:1 0 01110 10 10000 10110 10 rn:5 rd:5', F.simd_fpcvt_len,
            lambda f: (F.CL_BFCVTN, f.rd, f.rn, 0, f.q), pure=True, feature=features.BF16),
]



def _has_fp16(model):
    """FEAT_FP16 in both FP and AdvSIMD (their fields read 1), which half-precision forms of
    later features need as well as their own field."""
    return (features.FIELDS['FP'].get(model.id_regs) >= 1
            and features.FIELDS['AdvSIMD'].get(model.id_regs) >= 1)


def _fcma_ft(f):
    """The element format of an FCMLA/FCADD vector: H (FP16 too), S, or D (128-bit only)."""
    if f.size == 1:
        return 3 if _has_fp16(f.cpu) else None
    if f.size == 2:
        return 0
    if f.size == 3 and f.q:
        return 1
    return None


def _fcma_vec(f, op):
    ft = _fcma_ft(f)
    if ft is None:
        return None
    return (op, f.rd, f.rn, f.rm, ft, f.rot | (f.q << 2))


def _fcmla_elem(f):
    """FCMLA (by element): H pairs indexed by H:L (4H: H = 0), S pairs by H (4S only)."""
    if f.size == 1 and _has_fp16(f.cpu) and not (f.H and f.q == 0):
        ft, idx = 3, (f.H << 1) | f.L
    elif f.size == 2 and f.L == 0 and f.q:
        ft, idx = 0, f.H
    else:
        return None
    return (C.FC_MLA, f.rd, f.rn, (f.M << 4) | f.rm, ft, f.rot | (f.q << 2) | ((idx + 1) << 3))


# FEAT_FCMA (Arm ARM C4.1.95 "three register extension", "vector x indexed element")
_FCMA_ROWS = [
    Pattern('FCMLA (vector)', '0 q:1 1 01110 size:2 0 rm:5 110 rot:2 1 rn:5 rd:5', C.simd_fcma,
            lambda f: _fcma_vec(f, C.FC_MLA), pure=True,
            feature=features.FCMA),
    Pattern('FCADD', '0 q:1 1 01110 size:2 0 rm:5 111 rot:1 0 1 rn:5 rd:5', C.simd_fcma,
            lambda f: _fcma_vec(f, C.FC_ADD), pure=True,
            feature=features.FCMA),
    Pattern('FCMLA (by element)', '0 q:1 1 01111 size:2 L:1 M:1 rm:4 0 rot:2 1 H:1 0 rn:5 rd:5',
            C.simd_fcma, _fcmla_elem, pure=True,
            feature=features.FCMA),
]

# FEAT_FHM (Arm ARM C4.1.95 "three same", "vector x indexed element"): bit 23 S (FMLSL), bit
# 29 the "2" form. Gated by FHM alone, as QEMU 7.2's aa64_fhm (no separate FP16 check). By
# element: halves of Vm indexed by H:L:M, so Rm is 4 bits (V0-V15); size 10 only, no scalar.
_FHM_ROWS = [
    Pattern('FMLAL/FMLSL/FMLAL2/FMLSL2 (vector)',
            '0 q:1 u:1 01110 s:1 0 1 rm:5 1 1 u2:1 0 1 1 rn:5 rd:5', FH.simd_fhm,
            lambda f: None if f.u == f.u2 else (f.rd, f.rn, f.rm, f.s | (f.u << 1) | (f.q << 2)),
            pure=True, feature=features.FHM),
    Pattern('FMLAL/FMLSL/FMLAL2/FMLSL2 (by element)',
            '0 q:1 u:1 01111 10 L:1 M:1 rm:4 u2:1 s:1 00 H:1 0 rn:5 rd:5', FH.simd_fhm,
            lambda f: None if f.u != f.u2 else
            (f.rd, f.rn, f.rm, f.s | (f.u << 1) | (f.q << 2)
             | ((((f.H << 2) | (f.L << 1) | f.M) + 1) << 3)),
            pure=True, feature=features.FHM),
]
def _rdm_size(f, scalar):
    """SQRDMLAH/SQRDMLSH take 16- and 32-bit elements; q 2 is the scalar form."""
    return None if f.size not in (1, 2) else (2 if scalar else f.q)


def _rdm_elem(f, scalar):
    q = _rdm_size(f, scalar)
    if q is None:
        return None
    idx, rm = _elem_index(f)
    return (S.E_SQRDMLSH if f.s else S.E_SQRDMLAH, f.rd, f.rn, rm, f.size, (idx << 2) | q)


def _rdm_rows(scalar):
    top = '01 1 1111' if scalar else '0 q:1 1 0111'
    kind = ' (scalar)' if scalar else ''

    def same(f):
        q = _rdm_size(f, scalar)
        return None if q is None else (S.A_SQRDMLSH if f.s else S.A_SQRDMLAH, f.rd, f.rn,
                                       f.rm, f.size, q)
    return [
        Pattern('SQRDMLAH/SQRDMLSH' + kind, top + '0 size:2 0 rm:5 1000 s:1 1 rn:5 rd:5',
                S.simd_arith3, same, pure=True, feature=features.RDM),
        Pattern('SQRDMLAH/SQRDMLSH (by element)' + kind,
                top + '1 size:2 L:1 M:1 rm:4 11 s:1 1 H:1 0 rn:5 rd:5', S.simd_elem,
                lambda f: _rdm_elem(f, scalar), pure=True, feature=features.RDM),
    ]


# FEAT_RDM (Arm ARM C4.1.95 "three same extra", "x indexed element", and their scalar forms)
_RDM_ROWS = _rdm_rows(False) + _rdm_rows(True)

_TS_HELPERS = (S.simd_arith3, S.simd_cmp, S.simd_shl_reg, S.simd_pairwise, S.simd_logic)
_MISC_HELPERS = (S.simd_misc, S.simd_cmp, S.simd_narrow, S.simd_widen)

PATTERNS = (
    _rows('MOVI/MVNI/ORR/BIC/FMOV (vector, immediate)',
          '0 q:1 op:1 0111100000 a:1 b:1 c:1 cmode:4 o2:1 1 defgh:5 rd:5', _modimm,
          (S.simd_const, S.simd_orrbic_imm)) +
    _rows('DUP/INS/UMOV/SMOV', '0 q:1 op:1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5', _copy,
          (S.simd_copy,)) +
    _rows('DUP (scalar, element)', '01 0 11110000 imm5:5 0 0000 1 rn:5 rd:5', _scalar_dup,
          (S.simd_copy,)) +
    _rows('AdvSIMD three same', '0 q:1 u:1 01110 size:2 1 rm:5 opc:5 1 rn:5 rd:5',
          lambda f: _three_same(f, False), _TS_HELPERS) +
    _rows('AdvSIMD scalar three same', '01 u:1 11110 size:2 1 rm:5 opc:5 1 rn:5 rd:5',
          lambda f: _three_same(f, True), _TS_HELPERS) +
    _rows('AdvSIMD two-reg misc', '0 q:1 u:1 01110 size:2 10000 opc:5 10 rn:5 rd:5',
          lambda f: _two_misc(f, False), _MISC_HELPERS) +
    _rows('AdvSIMD scalar two-reg misc', '01 u:1 11110 size:2 10000 opc:5 10 rn:5 rd:5',
          lambda f: _two_misc(f, True), _MISC_HELPERS) +
    _rows('AdvSIMD across lanes', '0 q:1 u:1 01110 size:2 11000 opc:5 10 rn:5 rd:5', _across,
          (S.simd_reduce,)) +
    _rows('AdvSIMD scalar pairwise', '01 u:1 11110 size:2 11000 opc:5 10 rn:5 rd:5',
          _scalar_pair, (S.simd_reduce,)) +
    _rows('AdvSIMD shift by immediate', '0 q:1 u:1 011110 immh:4 immb:3 opc:5 1 rn:5 rd:5',
          lambda f: _shift_imm(f, False), (S.simd_shift_imm, S.simd_narrow, S.simd_widen)) +
    _rows('AdvSIMD scalar shift by immediate', '01 u:1 111110 immh:4 immb:3 opc:5 1 rn:5 rd:5',
          lambda f: _shift_imm(f, True), (S.simd_shift_imm, S.simd_narrow)) +
    _rows('AdvSIMD three different', '0 q:1 u:1 01110 size:2 1 rm:5 opc:4 00 rn:5 rd:5',
          _three_diff, (S.simd_3diff,)) +
    [Pattern('PMULL/PMULL2 (1Q)', '0 q:1 0 01110 11 1 rm:5 1110 00 rn:5 rd:5', S.simd_3diff,
             lambda f: (S.L_PMULL, f.rd, f.rn, f.rm, 3, f.q), pure=True,
             feature=features.PMULL),
     # FEAT_DotProd (Arm ARM C4.1.95 "three register extension", "vector x indexed element")
     Pattern('SDOT/UDOT (vector)', '0 q:1 u:1 01110 10 0 rm:5 100101 rn:5 rd:5', S.simd_dot,
             lambda f: (f.rd, f.rn, f.rm, 3 * (1 - f.u), f.q, -1), pure=True,
             feature=features.DOTPROD),
     Pattern('SDOT/UDOT (by element)', '0 q:1 u:1 01111 10 L:1 M:1 rm:4 1110 H:1 0 rn:5 rd:5',
             S.simd_dot, lambda f: (f.rd, f.rn, (f.M << 4) | f.rm, 3 * (1 - f.u), f.q,
                                    (f.H << 1) | f.L), pure=True, feature=features.DOTPROD)] +
    _I8MM_BF16_ROWS + _FCMA_ROWS + _FHM_ROWS + _RDM_ROWS +
    _rows('AdvSIMD scalar three different', '01 u:1 11110 size:2 1 rm:5 opc:4 00 rn:5 rd:5',
          _scalar_three_diff, (S.simd_3diff,)) +
    _rows('AdvSIMD permute', '0 q:1 001110 size:2 0 rm:5 0 opc:3 10 rn:5 rd:5', _perm,
          (S.simd_perm,)) +
    _rows('EXT', '0 q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5',
          lambda f: None if f.q == 0 and f.imm4 >= 8
          else (S.simd_ext, (f.rd, f.rn, f.rm, f.imm4, f.q)), (S.simd_ext,)) +
    _rows('TBL/TBX', '0 q:1 001110 00 0 rm:5 0 len:2 op:1 00 rn:5 rd:5',
          lambda f: (S.simd_tbl, (f.rd, f.rn, f.rm, f.len + 1, f.op, f.q)), (S.simd_tbl,)) +
    _rows('AdvSIMD vector x indexed element (integer)',
          '0 q:1 u:1 01111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5', _by_elem,
          (S.simd_elem, S.simd_elem_long)) +
    _rows('AdvSIMD scalar x indexed element (integer)',
          '01 u:1 11111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5',
          lambda f: _by_elem(f, True), (S.simd_elem, S.simd_elem_long))
)
