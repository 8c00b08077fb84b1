"""Guest code -> decoded TB records (the front end both tiers start from)."""
import struct
from dataclasses import dataclass, field

from nbemu.core.memdefs import PAGE_MASK, PAGE_SHIFT, PTE_X, GuestFault

from . import decode
from .encodings.system import UNDEFINED
from .interp_builder import op_table

MAX_TB_INSNS = 128
FETCH_BYTES = 64
M64 = 2**64 - 1


@dataclass
class TBInsn:
    pc: int
    word: int
    pattern: object          # None: unallocated or unimplemented
    handler: object
    args: tuple


@dataclass
class InstrOp:
    """An instrumentation op a plugin attached (nbemu.gen.sem.plugin): a helper and its
    arguments; args[pc_arg], if given, is the guest pc of the instruction it belongs to."""
    handler: object
    args: tuple
    pc_arg: int = None


@dataclass
class TranslatedTB:
    pc: int
    model: object                   # the features.CpuModel it was decoded for
    insns: list = field(default_factory=list)
    # instrumentation: instruction index -> InstrOps run before / after that instruction
    ops_before: dict = field(default_factory=dict)
    ops_after: dict = field(default_factory=dict)

    @property
    def next_pc(self):
        return (self.pc + 4 * len(self.insns)) & M64

    @property
    def pages(self):
        return sorted({i.pc >> PAGE_SHIFT for i in self.insns})

    def records(self, dec):
        """The interpreter's records: op id (a handler or one of its variants), six arguments,
        pc; instrumentation ops become records of their own around their instruction's."""
        ops = op_table(dec)
        out = []

        def rec(handler, args, pc):
            a = list(args) + [0] * (decode.MAX_ARGS - len(args))
            out.append([ops.op_of(handler, args)] + [x & M64 for x in a] + [pc])

        for k, i in enumerate(self.insns):
            for op in self.ops_before.get(k, ()):
                rec(op.handler, op.args, i.pc)
            rec(i.handler, i.args, i.pc)
            for op in self.ops_after.get(k, ()):
                rec(op.handler, op.args, i.pc)
        return out


def translate(mem, pc, dec, max_insns=MAX_TB_INSNS):
    """Decode a TB starting at pc. Raises GuestFault when pc itself is not executable; a TB stops
    before an instruction on a page it may not fetch from, after a branch, at a page end, or at
    max_insns."""
    tb = TranslatedTB(pc, dec.model)
    left = PAGE_MASK + 1 - (pc & PAGE_MASK)       # bytes to the page end
    cur = pc
    while left:
        # most TBs are a few instructions long: fetch a short run at a time, not the page
        n = min(left, FETCH_BYTES)
        chunk = mem.read(cur, n, need=PTE_X)
        left -= n
        for word in struct.unpack(f'<{n // 4}I', chunk):
            pat, args = dec.decode(word, cur)
            if pat is None:
                tb.insns.append(TBInsn(cur, word, None, UNDEFINED, (word,)))
                return tb
            tb.insns.append(TBInsn(cur, word, pat, pat.handler, args))
            if pat.ends_tb or len(tb.insns) >= max_insns:
                return tb
            cur += 4
    return tb


__all__ = ['translate', 'TranslatedTB', 'TBInsn', 'GuestFault']
