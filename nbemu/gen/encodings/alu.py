"""A64 data-processing encodings (C4.1.2 immediate, C4.1.5 register)."""
from .. import features
from ..decode import Pattern, sext
from ..sem import alu, flags

M64 = 2**64 - 1


def _ones(n):
    return (1 << n) - 1


def _ror(v, r, size):
    r %= size
    return ((v >> r) | (v << (size - r))) & _ones(size)


def _replicate(v, esize, m):
    out = 0
    for i in range(0, m, esize):
        out |= v << i
    return out


def decode_bit_masks(n, imms, immr, immediate, m):
    """DecodeBitMasks: (wmask, tmask) as m-bit ints, or None when reserved."""
    combined = (n << 6) | (~imms & 0x3F)
    if combined == 0:
        return None
    length = combined.bit_length() - 1
    if length < 1:
        return None
    levels = _ones(length)
    if immediate and (imms & levels) == levels:
        return None
    s = imms & levels
    r = immr & levels
    d = (s - r) & levels
    esize = 1 << length
    if esize > m:
        return None
    welem = _ones(s + 1)
    telem = _ones(d + 1)
    return (_replicate(_ror(welem, r, esize), esize, m), _replicate(telem, esize, m))


def _logic_imm(f):
    if not f.sf and f.N:
        return None
    masks = decode_bit_masks(f.N, f.imms, f.immr, True, 64 if f.sf else 32)
    if masks is None:
        return None
    return (f.rd, f.rn, masks[0], f.sf, f.opc)


def _bitfield(f):
    if f.opc == 3 or f.N != f.sf or (not f.sf and (f.immr | f.imms) >> 5):
        return None
    wmask, tmask = decode_bit_masks(f.N, f.imms, f.immr, False, 64 if f.sf else 32)
    return (f.rd, f.rn, f.immr | f.imms << 6, wmask, tmask, f.opc | f.sf << 2)


def _mul_add(f):
    if f.op31 == 0:
        return (f.rd, f.rn, f.rm, f.ra, f.sf, f.o0)
    if not f.sf or f.op31 not in (1, 5):
        return None         # SMULH/UMULH are their own row; the rest is unallocated
    return (f.rd, f.rn, f.rm, f.ra, 2 if f.op31 == 1 else 3, f.o0)


PATTERNS = [
    # ----- data processing (immediate) -----
    Pattern('ADD/SUB (immediate)', 'sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5', alu.add_sub_imm,
            lambda f: (f.rd, f.rn, f.imm12 << (12 * f.sh), f.sf, f.op, f.S), pure=True),
    Pattern('logical (immediate)', 'sf:1 opc:2 100100 N:1 immr:6 imms:6 rn:5 rd:5', alu.logic_imm,
            _logic_imm, pure=True),
    Pattern('MOVN/MOVZ/MOVK', 'sf:1 opc:2 100101 hw:2 imm16:16 rd:5', alu.mov_wide,
            lambda f: None if f.opc == 1 or (not f.sf and f.hw > 1)
            else (f.rd, f.imm16, 16 * f.hw, f.sf, f.opc), pure=True),
    Pattern('SBFM/BFM/UBFM', 'sf:1 opc:2 100110 N:1 immr:6 imms:6 rn:5 rd:5', alu.bitfield,
            _bitfield, pure=True),
    Pattern('EXTR', 'sf:1 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5', alu.extr,
            lambda f: None if f.N != f.sf or (not f.sf and f.imms >> 5)
            else (f.rd, f.rn, f.rm, f.imms, f.sf), pure=True),
    Pattern('ADR', '0 lo:2 10000 hi:19 rd:5', alu.mov_const,
            lambda f: (f.rd, (f.pc + sext(f.hi << 2 | f.lo, 21)) & M64), pure=True),
    Pattern('ADRP', '1 lo:2 10000 hi:19 rd:5', alu.mov_const,
            lambda f: (f.rd, ((f.pc & ~0xFFF) + (sext(f.hi << 2 | f.lo, 21) << 12)) & M64),
            pure=True),

    # ----- data processing (register) -----
    Pattern('logical (shifted register)', 'sf:1 opc:2 01010 sh:2 N:1 rm:5 imm6:6 rn:5 rd:5',
            alu.logic_reg,
            lambda f: None if not f.sf and f.imm6 >> 5
            else (f.rd, f.rn, f.rm, f.imm6 | f.sh << 6, f.sf, f.opc | f.N << 2), pure=True),
    Pattern('ADD/SUB (shifted register)', 'sf:1 op:1 S:1 01011 sh:2 0 rm:5 imm6:6 rn:5 rd:5',
            alu.add_sub_shift,
            lambda f: None if f.sh == 3 or (not f.sf and f.imm6 >> 5)
            else (f.rd, f.rn, f.rm, f.imm6 | f.sh << 6, f.sf, f.S | f.op << 1), pure=True),
    Pattern('ADD/SUB (extended register)',
            'sf:1 op:1 S:1 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5', alu.add_sub_ext,
            lambda f: None if f.imm3 > 4
            else (f.rd, f.rn, f.rm, f.option | f.imm3 << 3, f.sf, f.S | f.op << 1), pure=True),
    Pattern('ADC/SBC', 'sf:1 op:1 S:1 11010000 rm:5 000000 rn:5 rd:5', alu.adc_sbc,
            lambda f: (f.rd, f.rn, f.rm, f.sf, f.op, f.S), pure=True),
    # FEAT_FlagM (Arm ARM C4.1.5 "Rotate right into flags", "Evaluate into flags")
    Pattern('RMIF', '1 0 1 11010000 imm6:6 00001 rn:5 0 mask:4', flags.rmif,
            lambda f: (f.rn, f.imm6, f.mask), pure=True, feature=features.FLAGM),
    Pattern('SETF8/SETF16', '0 0 1 11010000 000000 sz:1 0010 rn:5 0 1101', flags.setf,
            lambda f: (f.rn, 8 << f.sz), pure=True, feature=features.FLAGM),
    Pattern('CCMN/CCMP (register)', 'sf:1 op:1 1 11010010 rm:5 cond:4 0 0 rn:5 0 nzcv:4',
            alu.cond_cmp, lambda f: (f.rn, f.rm, f.cond, f.nzcv, f.sf, f.op), pure=True),
    Pattern('CCMN/CCMP (immediate)', 'sf:1 op:1 1 11010010 imm5:5 cond:4 1 0 rn:5 0 nzcv:4',
            alu.cond_cmp, lambda f: (f.rn, f.imm5, f.cond, f.nzcv, f.sf, f.op | 2), pure=True),
    Pattern('CSEL/CSINC/CSINV/CSNEG', 'sf:1 op:1 0 11010100 rm:5 cond:4 0 o2:1 rn:5 rd:5',
            alu.cond_sel, lambda f: (f.rd, f.rn, f.rm, f.cond, f.sf, f.o2 | f.op << 1), pure=True),
    Pattern('RBIT/REV16/REV32/REV/CLZ/CLS', 'sf:1 1 0 11010110 00000 000 opc:3 rn:5 rd:5',
            alu.dp_1src,
            lambda f: None if f.opc > 5 or (f.opc == 3 and not f.sf)
            else (f.rd, f.rn, f.sf, f.opc), pure=True),
    Pattern('UDIV/SDIV', 'sf:1 0 0 11010110 rm:5 00001 o1:1 rn:5 rd:5', alu.divide,
            lambda f: (f.rd, f.rn, f.rm, f.sf, f.o1), pure=True),
    Pattern('LSLV/LSRV/ASRV/RORV', 'sf:1 0 0 11010110 rm:5 0010 op2:2 rn:5 rd:5', alu.shift_var,
            lambda f: (f.rd, f.rn, f.rm, f.sf, f.op2), pure=True),
    Pattern('CRC32/CRC32C', 'sf:1 0 0 11010110 rm:5 010 C:1 sz:2 rn:5 rd:5', alu.crc32,
            lambda f: None if (f.sz == 3) != bool(f.sf)
            else (f.rd, f.rn, f.rm, 1 << f.sz, f.C), pure=True, feature=features.CRC32),
    Pattern('MADD/MSUB/SMADDL/SMSUBL/UMADDL/UMSUBL',
            'sf:1 00 11011 op31:3 rm:5 o0:1 ra:5 rn:5 rd:5', alu.mul_add, _mul_add, pure=True),
    Pattern('SMULH/UMULH', '1 00 11011 U:1 10 rm:5 0 ra:5 rn:5 rd:5', alu.mul_high,
            lambda f: (f.rd, f.rn, f.rm, 1 - f.U), pure=True),
]
