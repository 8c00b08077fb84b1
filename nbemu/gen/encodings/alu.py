"""A64 data-processing encodings (C4.1.2 immediate, C4.1.5 register)."""
from ..decode import Pattern, sext
from ..sem import alu

PATTERNS = [
    Pattern('ADD/SUB (immediate)', 'sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5', alu.add_sub_imm,
            lambda f: (f.rd, f.rn, f.imm12 << (12 * f.sh), f.sf, f.op, f.S), pure=True),
    Pattern('MOVN/MOVZ/MOVK', 'sf:1 opc:2 100101 hw:2 imm16:16 rd:5', alu.mov_wide,
            lambda f: None if f.opc == 1 or (not f.sf and f.hw > 1)
            else (f.rd, f.imm16, 16 * f.hw, f.sf, f.opc), pure=True),
    Pattern('ADR', '0 lo:2 10000 hi:19 rd:5', alu.mov_const,
            lambda f: (f.rd, (f.pc + sext(f.hi << 2 | f.lo, 21)) & (2**64 - 1)), pure=True),
    Pattern('ADRP', '1 lo:2 10000 hi:19 rd:5', alu.mov_const,
            lambda f: (f.rd, ((f.pc & ~0xFFF) + (sext(f.hi << 2 | f.lo, 21) << 12)) & (2**64 - 1)),
            pure=True),
]
