"""FEAT_PAuth encodings (Arm ARM C4.1: data-processing 1 and 2 source, hints, unconditional
branch (register), LDRAA/LDRAB).

The hint-space forms (PACIASP, AUTIBZ, PACIA1716, XPACLRI, ...) are NOPs on a CPU without
PAuth: their rows reject the encoding then, so it falls through to the HINT row (this module is
decoded before system.py). Every other row is UNDEFINED without the feature.
"""
from .. import features
from ..decode import Pattern, sext
from ..sem import pauth
from ..sem.bti import branch_btype
from ..sem.pauth import KEY_DA, KEY_IA, NO_MOD

PAUTH = features.PAUTH

# CRm:op2 of the hint-space forms -> (register, modifier register, key, authenticate)
_HINTS = {
    (1, 0): (17, 16, KEY_IA, 0), (1, 2): (17, 16, KEY_IA + 1, 0),          # PACIA1716, PACIB1716
    (1, 4): (17, 16, KEY_IA, 1), (1, 6): (17, 16, KEY_IA + 1, 1),          # AUTIA1716, AUTIB1716
    (3, 0): (30, NO_MOD, KEY_IA, 0), (3, 1): (30, 31, KEY_IA, 0),          # PACIAZ, PACIASP
    (3, 2): (30, NO_MOD, KEY_IA + 1, 0), (3, 3): (30, 31, KEY_IA + 1, 0),  # PACIBZ, PACIBSP
    (3, 4): (30, NO_MOD, KEY_IA, 1), (3, 5): (30, 31, KEY_IA, 1),          # AUTIAZ, AUTIASP
    (3, 6): (30, NO_MOD, KEY_IA + 1, 1), (3, 7): (30, 31, KEY_IA + 1, 1),  # AUTIBZ, AUTIBSP
}


def _hint(f, aut):
    h = _HINTS.get((f.crm, f.op2))
    if h is None or h[3] != aut or not f.cpu.has(PAUTH):
        return None
    return h[:3]


def _dp1(f):
    """Data-processing (1 source) opcode 00 Z:1 AUT:1 D:1 B:1: Rd, modifier Rn|SP (Z forms: Rn
    must be 11111 and the modifier is zero), key IA/IB/DA/DB."""
    if f.z and f.rn != 31:
        return None
    return f.rd, NO_MOD if f.z else f.rn, (KEY_DA if f.d else KEY_IA) + f.b


def _branch(f, link):
    """BRA*/BLRA*: Z=1 takes the modifier from Rm|SP, Z=0 (BRAAZ, BLRAAZ) needs Rm = 11111.
    Their BTYPE is BR's and BLR's (FEAT_BTI)."""
    if not f.z and f.rm != 31:
        return None
    return (f.rn, f.rm if f.z else NO_MOD, KEY_IA + f.m, link, f.pc + 4,
            branch_btype(f.cpu, features.BTI, f.rn, link))


PATTERNS = [
    Pattern('PACIA/PACIB/PACDA/PACDB (+Z)', '1 1 0 11010110 00001 00 z:1 0 d:1 b:1 rn:5 rd:5',
            pauth.pac, _dp1, pure=True, feature=PAUTH),
    Pattern('AUTIA/AUTIB/AUTDA/AUTDB (+Z)', '1 1 0 11010110 00001 00 z:1 1 d:1 b:1 rn:5 rd:5',
            pauth.aut, _dp1, pure=True, feature=PAUTH),
    Pattern('XPACI/XPACD', '1 1 0 11010110 00001 01000 d:1 11111 rd:5', pauth.xpac,
            lambda f: (f.rd,), pure=True, feature=PAUTH),
    Pattern('PACGA', '1 0 0 11010110 rm:5 001100 rn:5 rd:5', pauth.pacga,
            lambda f: (f.rd, f.rn, f.rm), pure=True, feature=PAUTH),
    # hint space: without PAuth these fall through to HINT (a NOP)
    Pattern('XPACLRI', '11010101 00000011 0010 0000 111 11111', pauth.xpac,
            lambda f: (30,) if f.cpu.has(PAUTH) else None, pure=True),
    Pattern('PAC*1716/PAC*SP/PAC*Z', '11010101 00000011 0010 crm:4 op2:3 11111', pauth.pac,
            lambda f: _hint(f, 0), pure=True),
    Pattern('AUT*1716/AUT*SP/AUT*Z', '11010101 00000011 0010 crm:4 op2:3 11111', pauth.aut,
            lambda f: _hint(f, 1), pure=True),
    # unconditional branch (register) with A=1: key A (M=0) or B (M=1)
    Pattern('BRAA/BRAB/BRAAZ/BRABZ', '1101011 z:1 0 00 11111 0000 1 m:1 rn:5 rm:5',
            pauth.br_auth, lambda f: _branch(f, 0), ends_tb=True, feature=PAUTH),
    Pattern('BLRAA/BLRAB/BLRAAZ/BLRABZ', '1101011 z:1 0 01 11111 0000 1 m:1 rn:5 rm:5',
            pauth.br_auth, lambda f: _branch(f, 1), ends_tb=True, feature=PAUTH),
    Pattern('RETAA/RETAB', '1101011 0 0 10 11111 0000 1 m:1 11111 11111', pauth.br_auth,
            lambda f: (30, 31, KEY_IA + f.m, 0, 0, 0), ends_tb=True, pure=True, feature=PAUTH),
    # LDRAA/LDRAB: offset S:imm9 scaled by 8, W = pre-indexed with writeback
    Pattern('LDRAA/LDRAB', '11 111 0 00 m:1 s:1 1 imm9:9 w:1 1 rn:5 rt:5', pauth.ldra,
            lambda f: (f.rt, f.rn, sext(f.s << 9 | f.imm9, 10) * 8, KEY_DA + f.m, f.w),
            feature=PAUTH),
]
