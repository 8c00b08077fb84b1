"""FEAT_MTE encodings (Arm ARM C4.1: data-processing 2 source IRG, GMI, SUBP, SUBPS; add/subtract
immediate with tags ADDG, SUBG; load/store memory tags; STGP; DC GVA, DC GZVA).

LDGM, STGM and STZGM are EL1-only: they have no row, so at EL0 they are UNDEFINED, as are all
of these on a CPU without the feature.
"""
from .. import features
from ..decode import Pattern, sext
from ..sem import mte

MTE = features.MTE
# op2 of the tag stores and STGP's index field: 1 post-index, 2 offset, 3 pre-index -> mode
_MODE = {1: 2, 2: 0, 3: 1}


def _tag_store(f):
    """opc 00 STG, 01 STZG, 10 ST2G, 11 STZ2G; op2 00 is LDG (opc 01) or an EL1 form."""
    if f.op2 == 0:
        return None
    return f.rt, f.rn, sext(f.imm9, 9) << 4, {0: 0, 1: 1, 2: 2, 3: 3}[f.opc], _MODE[f.op2]


def _stgp(f):
    if f.idx not in _MODE:
        return None
    return f.rt, f.rt2, f.rn, sext(f.imm7, 7) << 4, _MODE[f.idx]


PATTERNS = [
    Pattern('IRG', '1 0 0 11010110 rm:5 000100 rn:5 rd:5', mte.irg,
            lambda f: (f.rd, f.rn, f.rm), pure=True, feature=MTE),
    Pattern('GMI', '1 0 0 11010110 rm:5 000101 rn:5 rd:5', mte.gmi,
            lambda f: (f.rd, f.rn, f.rm), pure=True, feature=MTE),
    Pattern('SUBP/SUBPS', '1 0 S:1 11010110 rm:5 000000 rn:5 rd:5', mte.subp,
            lambda f: (f.rd, f.rn, f.rm, f.S), pure=True, feature=MTE),
    Pattern('ADDG/SUBG', '1 op:1 0 100011 0 uimm6:6 00 uimm4:4 rn:5 rd:5', mte.addg,
            lambda f: (f.rd, f.rn, f.uimm6 << 4, f.uimm4, f.op), pure=True, feature=MTE),
    Pattern('LDG', '11011001 01 1 imm9:9 00 rn:5 rt:5', mte.ldg,
            lambda f: (f.rt, f.rn, sext(f.imm9, 9) << 4), feature=MTE),
    Pattern('STG/STZG/ST2G/STZ2G', '11011001 opc:2 1 imm9:9 op2:2 rn:5 rt:5', mte.stg,
            _tag_store, feature=MTE),
    Pattern('STGP', '01 101 0 idx:3 0 imm7:7 rt2:5 rn:5 rt:5', mte.stgp, _stgp, feature=MTE),
    Pattern('DC GVA/GZVA', '1101010100 0 01 011 0111 0100 op2:3 rt:5', mte.dc_gva,
            lambda f: (f.rt, f.op2 - 3) if f.op2 in (3, 4) else None, feature=MTE),
]
