"""A64 branch encodings (C4.1.3)."""
from ..decode import Pattern, sext
from ..sem import branch

M64 = 2**64 - 1

PATTERNS = [
    Pattern('B', '000101 imm26:26', branch.b,
            lambda f: ((f.pc + sext(f.imm26, 26) * 4) & M64,), ends_tb=True, pure=True),
    Pattern('BL', '100101 imm26:26', branch.bl,
            lambda f: ((f.pc + sext(f.imm26, 26) * 4) & M64, f.pc + 4), ends_tb=True, pure=True),
    Pattern('B.cond', '01010100 imm19:19 0 cond:4', branch.b_cond,
            lambda f: (f.cond, (f.pc + sext(f.imm19, 19) * 4) & M64), ends_tb=True, pure=True),
]
