"""Scalar floating-point encodings (C4.1.6 "Data Processing -- Scalar Floating-Point") and the
AdvSIMD floating-point groups (vector and scalar forms of three-same, two-reg misc, compare,
pairwise, across-lanes, by-element, shift-to-fixed conversions).

ftype: 0 = single, 1 = double, 3 = half (2 is unallocated except for FMOV Vd.D[1]). Every
half-precision data-processing form needs FEAT_FP16 (QEMU's dc_isar_feature(aa64_fp16) checks);
the conversions between half and single/double (FCVT, FCVTL, FCVTN) are Armv8.0.
"""
from .. import features
from ..decode import Pattern
from ..sem import fp as F
from ..sem import simd as S
from .simd import _s64, vfp_expand_imm


def _ft_ok(f):
    return f.ftype != 2 and (f.ftype != 3 or f.cpu.has(features.FP16))


def _h_ok(f, half):
    """An AdvSIMD form: the half-precision ones need FEAT_FP16 (AdvSIMD)."""
    return not half or f.cpu.has(features.FP16_SIMD)


def _dp1(f):
    ft, opc = f.ftype, f.opc
    if ft == 2:
        return None
    if opc >> 2 == 1:                              # FCVT (from or to half too: Armv8.0)
        to = opc & 3
        if to == 2 or to == ft:
            return None
        return (F.U_CVT, f.rd, f.rn, ft, to)
    if not _ft_ok(f):
        return None
    if opc <= 3:
        return (opc, f.rd, f.rn, ft, 0)
    if 8 <= opc <= 15 and opc != 13:
        op = {8: F.U_RINTN, 9: F.U_RINTP, 10: F.U_RINTM, 11: F.U_RINTZ, 12: F.U_RINTA,
              14: F.U_RINTX, 15: F.U_RINTI}[opc]
        return (op, f.rd, f.rn, ft, 0)
    if 16 <= opc <= 19 and ft != 3 and f.cpu.has(features.FRINTTS):    # FRINT32Z/32X/64Z/64X
        return (F.U_RINT32Z + (opc - 16), f.rd, f.rn, ft, 0)
    return None


def _dp2(f):
    if not _ft_ok(f) or f.opc > 8:
        return None
    op = [F.OP_MUL, F.OP_DIV, F.OP_ADD, F.OP_SUB, F.OP_MAX, F.OP_MIN, F.OP_MAXNM, F.OP_MINNM,
          F.OP_NMUL][f.opc]
    return (op, f.rd, f.rn, f.rm, f.ftype)


def _fmov_imm(f):
    if not _ft_ok(f) or f.imm5:
        return None
    n = {0: 32, 1: 64, 3: 16}[f.ftype]
    return (f.rd, _s64(vfp_expand_imm(f.imm8, n)), 0)


def _conv_fixed(f):
    if not _ft_ok(f) or (f.sf == 0 and f.scale < 32):
        return None
    fbits = 64 - f.scale
    if f.rmode == 0 and f.opc in (2, 3):
        return (F.int_to_fp, (f.rd, f.rn, f.ftype, f.sf, f.opc & 1, fbits))
    if f.rmode == 3 and f.opc in (0, 1):
        return (F.fp_to_int, (f.rd, f.rn, f.ftype, f.sf, F.RM_Z | (f.opc << 3), fbits))
    return None


def _conv_int(f):
    ft, sf, rmode, opc = f.ftype, f.sf, f.rmode, f.opc
    if ft == 2:
        if sf == 1 and rmode == 1 and opc == 6:
            return (F.fmov_gen, (f.rd, f.rn, 1, 1, F.FM_TO_GEN_HI))
        if sf == 1 and rmode == 1 and opc == 7:
            return (F.fmov_gen, (f.rd, f.rn, 1, 1, F.FM_FROM_GEN_HI))
        return None
    if ft == 3 and not f.cpu.has(features.FP16):
        return None
    if ft == 1 and sf == 0 and rmode == 3 and opc == 6:
        return (F.fp_jcvt, (f.rd, f.rn)) if f.cpu.has(features.JSCVT) else None
    if opc <= 1:
        return (F.fp_to_int, (f.rd, f.rn, ft, sf, rmode | (opc << 3), 0))
    if rmode != 0:
        return None
    if opc <= 3:
        return (F.int_to_fp, (f.rd, f.rn, ft, sf, opc & 1, 0))
    if opc <= 5:
        return (F.fp_to_int, (f.rd, f.rn, ft, sf, F.RM_A | ((opc & 1) << 3), 0))
    if ft != 3 and sf != ft:
        return None
    return (F.fmov_gen, (f.rd, f.rn, ft, sf, F.FM_TO_GEN if opc == 6 else F.FM_FROM_GEN))


def _rows(name, layout, fn, helpers, feature=None):
    out = []
    for h in helpers:
        def args(f, h=h):
            r = fn(f)
            if r is None or r[0] is not h:
                return None
            return r[1]
        out.append(Pattern(name, layout, h, args, pure=True, feature=feature))
    return out


SCALAR = [
    Pattern('FP data-processing (1 source)', '000 11110 ftype:2 1 opc:6 10000 rn:5 rd:5',
            F.fp_dp1, _dp1, pure=True),
    Pattern('FP data-processing (2 source)', '000 11110 ftype:2 1 rm:5 opc:4 10 rn:5 rd:5',
            F.fp_dp2, _dp2, pure=True),
    Pattern('FP data-processing (3 source)', '000 11111 ftype:2 o1:1 rm:5 o0:1 ra:5 rn:5 rd:5',
            F.fp_dp3, lambda f: (f.rd, f.rn, f.rm, f.ra, f.ftype, f.o1 << 1 | f.o0)
            if _ft_ok(f) else None, pure=True),
    Pattern('FCMP/FCMPE', '000 11110 ftype:2 1 rm:5 00 1000 rn:5 opc2:5', F.fp_cmp,
            lambda f: (f.rn, f.rm, f.ftype, (f.opc2 >> 3) & 1, f.opc2 >> 4)
            if _ft_ok(f) and f.opc2 & 7 == 0 else None, pure=True),
    Pattern('FCCMP/FCCMPE', '000 11110 ftype:2 1 rm:5 cond:4 01 rn:5 op:1 nzcv:4', F.fp_ccmp,
            lambda f: (f.rn, f.rm, f.ftype, f.nzcv, f.cond, f.op) if _ft_ok(f) else None,
            pure=True),
    Pattern('FCSEL', '000 11110 ftype:2 1 rm:5 cond:4 11 rn:5 rd:5', F.fp_csel,
            lambda f: (f.rd, f.rn, f.rm, f.cond, f.ftype) if _ft_ok(f) else None,
            pure=True),
    Pattern('FMOV (scalar, immediate)', '000 11110 ftype:2 1 imm8:8 100 imm5:5 rd:5',
            S.simd_const, _fmov_imm, pure=True),
] + _rows('FP <-> fixed-point', 'sf:1 00 11110 ftype:2 0 rmode:2 opc:3 scale:6 rn:5 rd:5',
          _conv_fixed, (F.int_to_fp, F.fp_to_int)) + \
    _rows('FP <-> integer', 'sf:1 00 11110 ftype:2 1 rmode:2 opc:3 000000 rn:5 rd:5', _conv_int,
          (F.fp_to_int, F.int_to_fp, F.fmov_gen, F.fp_jcvt))


# ----- AdvSIMD floating point -----
_F3 = {
    (0, 0, 0x18): (F.simd_fp3, F.OP_MAXNM), (0, 1, 0x18): (F.simd_fp3, F.OP_MINNM),
    (0, 0, 0x19): (F.simd_fp3, F.VOP_FMLA), (0, 1, 0x19): (F.simd_fp3, F.VOP_FMLS),
    (0, 0, 0x1a): (F.simd_fp3, F.OP_ADD), (0, 1, 0x1a): (F.simd_fp3, F.OP_SUB),
    (0, 0, 0x1b): (F.simd_fp3, F.OP_MULX), (0, 0, 0x1c): (F.simd_fpcmp, F.FC_EQ),
    (0, 0, 0x1e): (F.simd_fp3, F.OP_MAX), (0, 1, 0x1e): (F.simd_fp3, F.OP_MIN),
    (0, 0, 0x1f): (F.simd_fp3, F.VOP_RECPS), (0, 1, 0x1f): (F.simd_fp3, F.VOP_RSQRTS),
    (1, 0, 0x18): (F.simd_fppair, F.OP_MAXNM), (1, 1, 0x18): (F.simd_fppair, F.OP_MINNM),
    (1, 0, 0x1a): (F.simd_fppair, F.OP_ADD), (1, 1, 0x1a): (F.simd_fp3, F.OP_ABD),
    (1, 0, 0x1b): (F.simd_fp3, F.OP_MUL), (1, 0, 0x1c): (F.simd_fpcmp, F.FC_GE),
    (1, 1, 0x1c): (F.simd_fpcmp, F.FC_GT), (1, 0, 0x1d): (F.simd_fpcmp, F.FAC_GE),
    (1, 1, 0x1d): (F.simd_fpcmp, F.FAC_GT), (1, 0, 0x1e): (F.simd_fppair, F.OP_MAX),
    (1, 1, 0x1e): (F.simd_fppair, F.OP_MIN), (1, 0, 0x1f): (F.simd_fp3, F.OP_DIV),
}
_F3_SCALAR = {(0, 0, 0x1b), (0, 0, 0x1c), (0, 0, 0x1f), (0, 1, 0x1f), (1, 0, 0x1c), (1, 0, 0x1d),
              (1, 1, 0x1a), (1, 1, 0x1c), (1, 1, 0x1d)}


def _fp3(f, scalar, half=False):
    if half:
        f.opc |= 0x18
        f.sz = 3
        f.q = getattr(f, 'q', 0)
    key = (f.u, f.a, f.opc)
    e = _F3.get(key)
    if e is None:
        return None
    if scalar:
        if key not in _F3_SCALAR:
            return None
        q = 2
    else:
        if f.sz == 1 and f.q == 0:
            return None
        q = f.q
    return (e[0], (e[1], f.rd, f.rn, f.rm, f.sz, q))


def _fmisc_half(f, scalar):
    """FP16 two-reg misc: the same opcodes as the single/double group, minus the conversions
    between precisions and FRINT32/64."""
    if f.opc in (0x16, 0x17, 0x1e) or (f.opc == 0x1f and f.a == 0):
        return None
    f.sz = 3
    if not scalar:
        r = _fmisc(f, False)
    else:
        r = _fmisc(f, True)
    if r is None:
        return None
    return r


_FMISC = {
    (0, 0, 0x18): (F.simd_fpmisc, F.U_RINTN), (0, 0, 0x19): (F.simd_fpmisc, F.U_RINTM),
    (0, 1, 0x18): (F.simd_fpmisc, F.U_RINTP), (0, 1, 0x19): (F.simd_fpmisc, F.U_RINTZ),
    (1, 0, 0x18): (F.simd_fpmisc, F.U_RINTA), (1, 0, 0x19): (F.simd_fpmisc, F.U_RINTX),
    (1, 1, 0x19): (F.simd_fpmisc, F.U_RINTI),
    (0, 0, 0x1e): (F.simd_fpmisc, F.U_RINT32Z), (1, 0, 0x1e): (F.simd_fpmisc, F.U_RINT32X),
    (0, 0, 0x1f): (F.simd_fpmisc, F.U_RINT64Z), (1, 0, 0x1f): (F.simd_fpmisc, F.U_RINT64X),
    (0, 1, 0x0f): (F.simd_fpmisc, F.U_ABS), (1, 1, 0x0f): (F.simd_fpmisc, F.U_NEG),
    (1, 1, 0x1f): (F.simd_fpmisc, F.U_SQRT),
    (0, 1, 0x1d): (F.simd_fpmisc, F.U_RECPE), (1, 1, 0x1d): (F.simd_fpmisc, F.U_RSQRTE),
    (0, 0, 0x1a): (F.simd_fpcvt, F.RM_N), (0, 0, 0x1b): (F.simd_fpcvt, F.RM_M),
    (0, 0, 0x1c): (F.simd_fpcvt, F.RM_A), (0, 0, 0x1d): (F.simd_fpcvt, F.CV_SCVTF),
    (0, 1, 0x1a): (F.simd_fpcvt, F.RM_P), (0, 1, 0x1b): (F.simd_fpcvt, F.RM_Z),
    (1, 0, 0x1a): (F.simd_fpcvt, F.RM_N | 8), (1, 0, 0x1b): (F.simd_fpcvt, F.RM_M | 8),
    (1, 0, 0x1c): (F.simd_fpcvt, F.RM_A | 8), (1, 0, 0x1d): (F.simd_fpcvt, F.CV_UCVTF),
    (1, 1, 0x1a): (F.simd_fpcvt, F.RM_P | 8), (1, 1, 0x1b): (F.simd_fpcvt, F.RM_Z | 8),
    (0, 1, 0x0c): (F.simd_fpcmp, F.FC_GT0), (0, 1, 0x0d): (F.simd_fpcmp, F.FC_EQ0),
    (0, 1, 0x0e): (F.simd_fpcmp, F.FC_LT0), (1, 1, 0x0c): (F.simd_fpcmp, F.FC_GE0),
    (1, 1, 0x0d): (F.simd_fpcmp, F.FC_LE0),
}
_FMISC_VEC_ONLY = {F.U_RINTN, F.U_RINTM, F.U_RINTP, F.U_RINTZ, F.U_RINTA, F.U_RINTX, F.U_RINTI,
                   F.U_RINT32Z, F.U_RINT32X, F.U_RINT64Z, F.U_RINT64X, F.U_ABS, F.U_NEG,
                   F.U_SQRT}


_FRINTTS_KEYS = {(0, 0, 0x1e), (1, 0, 0x1e), (0, 0, 0x1f), (1, 0, 0x1f)}


def _fmisc(f, scalar):
    key = (f.u, f.a, f.opc)
    if key in _FRINTTS_KEYS and not f.cpu.has(features.FRINTTS):
        return None
    if f.sz == 3:
        return _fmisc_ft(f, scalar, key, 3)
    return _fmisc_ft(f, scalar, key, f.sz)


def _fmisc_ft(f, scalar, key, ft):
    if key == (0, 0, 0x16) or key == (1, 0, 0x16):         # FCVTN / FCVTXN
        xn = key[0] == 1
        if xn and f.sz == 0:
            return None
        if scalar:
            if not xn:
                return None
            return (F.simd_fpcvt_len, (F.CL_FCVTXN, f.rd, f.rn, 1, 2))
        return (F.simd_fpcvt_len, (F.CL_FCVTXN if xn else F.CL_FCVTN, f.rd, f.rn, f.sz, f.q))
    if key == (0, 0, 0x17):                                  # FCVTL
        if scalar:
            return None
        return (F.simd_fpcvt_len, (F.CL_FCVTL, f.rd, f.rn, f.sz, f.q))
    if key in ((0, 1, 0x1c), (1, 1, 0x1c)):                 # URECPE / URSQRTE
        if scalar or ft != 0:
            return None
        return (F.simd_fpmisc, (F.U_URECPE if f.u == 0 else F.U_URSQRTE, f.rd, f.rn, 0, f.q))
    if scalar and key == (0, 1, 0x1f):                       # FRECPX
        return (F.simd_fpmisc, (F.U_RECPX, f.rd, f.rn, ft, 2))
    e = _FMISC.get(key)
    if e is None:
        return None
    h, op = e
    if scalar:
        if h is F.simd_fpmisc and op not in (F.U_RECPE, F.U_RSQRTE):
            return None
        q = 2
    else:
        if ft == 1 and f.q == 0:
            return None
        q = f.q
    if h is F.simd_fpcmp:
        return (h, (op, f.rd, f.rn, f.rn, ft, q))
    if h is F.simd_fpcvt:
        return (h, (op, f.rd, f.rn, ft, q, 0))
    return (h, (op, f.rd, f.rn, ft, q))


def _facross(f):
    """FMAXNMV/FMINNMV/FMAXV/FMINV: U=1 singles (4S only), U=0 halves (4H, 8H)."""
    if f.sz != 0 or f.opc not in (0x0c, 0x0f) or (f.u == 1 and f.q != 1) or \
            not _h_ok(f, f.u == 0):
        return None
    op = {(0, 0x0c): F.OP_MAXNM, (1, 0x0c): F.OP_MINNM, (0, 0x0f): F.OP_MAX,
          (1, 0x0f): F.OP_MIN}[(f.a, f.opc)]
    return (F.simd_fppair, (op, f.rd, f.rn, f.rn, 0 if f.u else 3, 3 if f.q else 4))


def _fpair_scalar(f):
    """U=1: single/double (sz); U=0: the half-precision forms (sz must be 0)."""
    if f.u == 0 and f.sz or not _h_ok(f, f.u == 0):
        return None
    op = {(0, 0x0c): F.OP_MAXNM, (0, 0x0d): F.OP_ADD, (0, 0x0f): F.OP_MAX, (1, 0x0c): F.OP_MINNM,
          (1, 0x0f): F.OP_MIN}.get((f.a, f.opc))
    if op is None:
        return None
    return (F.simd_fppair, (op, f.rd, f.rn, f.rn, f.sz if f.u else 3, 2))


_FELEM = {(0, 1): F.FE_MLA, (0, 5): F.FE_MLS, (0, 9): F.FE_MUL, (1, 9): F.FE_MULX}


def _felem(f, scalar):
    op = _FELEM.get((f.u, f.opc))
    if op is None or f.size == 1 or not _h_ok(f, f.size == 0):
        return None
    rm = (f.M << 4) | f.rm
    if f.size == 0:                     # half precision (FEAT_FP16): index H:L:M, Vm in V0-V15
        idx = (f.H << 2) | (f.L << 1) | f.M
        rm = f.rm
        ft = 3
    elif f.size == 2:
        idx = (f.H << 1) | f.L
        ft = 0
    else:
        if f.L or (not scalar and f.q == 0):
            return None
        idx = f.H
        ft = 1
    return (F.simd_fp_elem, (op, f.rd, f.rn, rm, ft, (idx << 2) | (2 if scalar else f.q)))


def _fshift(f, scalar):
    if f.opc not in (0x1c, 0x1f) or f.immh < 2 or not _h_ok(f, f.immh < 4):
        return None
    immhb = (f.immh << 3) | f.immb
    if f.immh < 4:                      # half precision (FEAT_FP16)
        ft, fbits = 3, 32 - immhb
    elif f.immh >= 8:
        if not scalar and f.q == 0:
            return None
        ft, fbits = 1, 128 - immhb
    else:
        ft, fbits = 0, 64 - immhb
    if f.opc == 0x1c:
        op = F.CV_UCVTF if f.u else F.CV_SCVTF
    else:
        op = F.RM_Z | (f.u << 3)
    return (F.simd_fpcvt, (op, f.rd, f.rn, ft, 2 if scalar else f.q, fbits))


_F3H = (F.simd_fp3, F.simd_fpcmp, F.simd_fppair)
_FMH = (F.simd_fpmisc, F.simd_fpcvt, F.simd_fpcmp, F.simd_fpcvt_len)

VECTOR = (
    _rows('AdvSIMD three same (FP)', '0 q:1 u:1 01110 a:1 sz:1 1 rm:5 opc:5 1 rn:5 rd:5',
          lambda f: _fp3(f, False), _F3H) +
    _rows('AdvSIMD scalar three same (FP)', '01 u:1 11110 a:1 sz:1 1 rm:5 opc:5 1 rn:5 rd:5',
          lambda f: _fp3(f, True), _F3H) +
    _rows('AdvSIMD two-reg misc (FP)', '0 q:1 u:1 01110 a:1 sz:1 10000 opc:5 10 rn:5 rd:5',
          lambda f: _fmisc(f, False), _FMH) +
    _rows('AdvSIMD scalar two-reg misc (FP)', '01 u:1 11110 a:1 sz:1 10000 opc:5 10 rn:5 rd:5',
          lambda f: _fmisc(f, True), _FMH) +
    _rows('AdvSIMD three same (FP16)', '0 q:1 u:1 01110 a:1 10 rm:5 00 opc:3 1 rn:5 rd:5',
          lambda f: _fp3(f, False, True), _F3H, features.FP16_SIMD) +
    _rows('AdvSIMD scalar three same (FP16)', '01 u:1 11110 a:1 10 rm:5 00 opc:3 1 rn:5 rd:5',
          lambda f: _fp3(f, True, True), _F3H, features.FP16_SIMD) +
    _rows('AdvSIMD two-reg misc (FP16)', '0 q:1 u:1 01110 a:1 1111 00 opc:5 10 rn:5 rd:5',
          lambda f: _fmisc_half(f, False), _FMH, features.FP16_SIMD) +
    _rows('AdvSIMD scalar two-reg misc (FP16)', '01 u:1 11110 a:1 1111 00 opc:5 10 rn:5 rd:5',
          lambda f: _fmisc_half(f, True), _FMH, features.FP16_SIMD) +
    _rows('AdvSIMD across lanes (FP)', '0 q:1 u:1 01110 a:1 sz:1 11000 opc:5 10 rn:5 rd:5',
          _facross, (F.simd_fppair,)) +
    _rows('AdvSIMD scalar pairwise (FP)', '01 u:1 11110 a:1 sz:1 11000 opc:5 10 rn:5 rd:5',
          _fpair_scalar, (F.simd_fppair,)) +
    _rows('AdvSIMD by element (FP)', '0 q:1 u:1 01111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5',
          lambda f: _felem(f, False), (F.simd_fp_elem,)) +
    _rows('AdvSIMD scalar by element (FP)',
          '01 u:1 11111 size:2 L:1 M:1 rm:4 opc:4 H:1 0 rn:5 rd:5',
          lambda f: _felem(f, True), (F.simd_fp_elem,)) +
    _rows('AdvSIMD shift by immediate (FP fixed-point)',
          '0 q:1 u:1 011110 immh:4 immb:3 opc:5 1 rn:5 rd:5', lambda f: _fshift(f, False),
          (F.simd_fpcvt,)) +
    _rows('AdvSIMD scalar shift by immediate (FP fixed-point)',
          '01 u:1 111110 immh:4 immb:3 opc:5 1 rn:5 rd:5', lambda f: _fshift(f, True),
          (F.simd_fpcvt,))
)

PATTERNS = SCALAR + VECTOR
