"""A64 system, exception-generating and hint encodings (C4.1.4)."""
from ..decode import Pattern
from ..sem import system

PATTERNS = [
    Pattern('SVC', '11010100 000 imm16:16 000 01', system.svc, lambda f: (f.imm16,), ends_tb=True),
    Pattern('BRK', '11010100 001 imm16:16 000 00', system.brk, lambda f: (f.imm16,), ends_tb=True),
    Pattern('NOP', '11010101 00000011 00100000 00011111', system.nop, pure=True),
]

# Not a table row: the translator emits it for encodings no row matches.
UNDEFINED = system.undefined
