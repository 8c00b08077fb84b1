"""Differential tests of FEAT_FlagM and FEAT_FlagM2 against Unicorn: CFINV, RMIF, SETF8,
SETF16 (Arm ARM C4.1.5 "Rotate right into flags", "Evaluate into flags", C4.1.4 "PSTATE"),
AXFLAG and XAFLAG, from random registers and NZCV, compared in full (registers and flags), in
the interpreter and as compiled code. The instructions' gating by CPU model is tested in
tests/isa/test_crypto.py (test_decode_gated_by_model, test_sigill_without_feature).
"""
import pytest

from tests.isa.encoding import Form, cases
from tests.isa.harness import run_class
from tests.isa.test_alu import make_start

MODES = ('off', 'all')

CLASSES = {
    # RMIF: sf=1 op=0 S=1 11010000 imm6 00001 Rn o2=0 mask
    'rmif': [Form('1 0 1 11010000 imm6:6 00001 rn:5 o2:1 mask:4', o2=[0])],
    # SETF8/SETF16: sf=0 op=0 S=1 11010000 opcode2=000000 sz 0010 Rn o3=0 1101
    'setf': [Form('0 0 1 11010000 opcode2:6 sz:1 0010 rn:5 o3:1 1101', opcode2=[0], o3=[0])],
    # MSR (immediate) op1=000 CRn=0100 CRm=0000 op2 000 CFINV, 001 XAFLAG, 010 AXFLAG: fully
    # fixed words, as the neighbouring op2 values are PSTATE writes (UAO, PAN, SPSel) that
    # Unicorn, running at EL1, executes where Linux's EL0 gets SIGILL
    'cfinv_xaflag_axflag': [Form(f'1101010100 0 00 000 0100 0000 {op2:03b} 11111')
                            for op2 in (0, 1, 2)],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'flagm.{cls}', mode, cases(CLASSES[cls], make_start))
