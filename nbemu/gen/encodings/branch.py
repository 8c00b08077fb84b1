"""A64 branch encodings (C4.1.3).

The PAuth branches (BRAA, BLRAA, RETAA, ...) are in pauth.py. ERET/DRPS and BC.cond (FEAT_HBC)
have no row: nbemu advertises no FEAT_HBC and ERET is EL1-only, so they are unallocated (SIGILL).
"""
from .. import features
from ..decode import Pattern, sext
from ..sem import branch
from ..sem.bti import branch_btype

M64 = 2**64 - 1


def _rel(f, imm, bits):
    return (f.pc + sext(imm, bits) * 4) & M64


PATTERNS = [
    Pattern('B', '000101 imm26:26', branch.b,
            lambda f: (_rel(f, f.imm26, 26),), ends_tb=True, pure=True, target_arg=0),
    Pattern('BL', '100101 imm26:26', branch.bl,
            lambda f: (_rel(f, f.imm26, 26), f.pc + 4), ends_tb=True, pure=True, target_arg=0),
    Pattern('B.cond', '01010100 imm19:19 0 cond:4', branch.b_cond,
            lambda f: (f.cond, _rel(f, f.imm19, 19)), ends_tb=True, pure=True, target_arg=1),
    Pattern('CBZ/CBNZ', 'sf:1 011010 op:1 imm19:19 rt:5', branch.test_branch,
            lambda f: (f.rt, M64 if f.sf else 0xFFFFFFFF, f.op, _rel(f, f.imm19, 19)),
            ends_tb=True, pure=True, target_arg=3),
    Pattern('TBZ/TBNZ', 'b5:1 011011 op:1 b40:5 imm14:14 rt:5', branch.test_branch,
            lambda f: (f.rt, 1 << (f.b5 << 5 | f.b40), f.op, _rel(f, f.imm14, 14)),
            ends_tb=True, pure=True, target_arg=3),
    # unconditional branch (register): opc 0000 BR, 0001 BLR, 0010 RET; op2=11111, op3=0, op4=0.
    # BR and BLR may raise the Branch Target exception (FEAT_BTI), so they are not pure.
    Pattern('BR', '1101011 0000 11111 000000 rn:5 00000', branch.br_reg,
            lambda f: (f.rn, 0, f.pc + 4, branch_btype(f.cpu, features.BTI, f.rn, 0)),
            ends_tb=True),
    Pattern('BLR', '1101011 0001 11111 000000 rn:5 00000', branch.br_reg,
            lambda f: (f.rn, 1, f.pc + 4, branch_btype(f.cpu, features.BTI, f.rn, 1)),
            ends_tb=True),
    Pattern('RET', '1101011 0010 11111 000000 rn:5 00000', branch.br_reg,
            lambda f: (f.rn, 0, 0, 0), ends_tb=True, pure=True),
]
