"""Capstone disassembly, for logs and error messages only (never for semantics)."""
import struct

_cs = None


def _capstone():
    global _cs
    if _cs is None:
        import capstone
        _cs = capstone.Cs(capstone.CS_ARCH_ARM64 if hasattr(capstone, 'CS_ARCH_ARM64')
                          else capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    return _cs


def disas_word(word, pc=0):
    """'mnemonic operands' for one encoding, or '(bad)' when capstone does not know it."""
    for i in _capstone().disasm(struct.pack('<I', word), pc):
        return f'{i.mnemonic} {i.op_str}'.strip()
    return '(bad)'
