"""Table-driven A64 decoder, in the spirit of QEMU's decodetree.

Each encoding class module in nbemu/gen/encodings/ lists `PATTERNS`: rows of
`Pattern(name, layout, handler, args, ...)`. A layout reads MSB to LSB as space-separated tokens:
literal bits (`0`, `1`, `x` for "either") or fields `name:width`; the widths add up to 32.
`args(f)` maps the extracted fields (attributes of f, plus f.pc and f.insn) to the handler's
int64 arguments, or returns None when the combination is unallocated. Rows are tried in table
order inside the bucket for bits 28:25, so a more specific row goes before a general one.

A row may name the architecture feature it needs (`feature=features.LSE`, like decodetree's
TRANS_FEAT). A Decoder decodes for one CPU model: an encoding whose row needs a feature the model
lacks is UNDEFINED. `f.cpu` is that model, for rows whose arguments depend on it (MRS of the ID
registers). Every model's decoder has the same rows and handler ids, so one interpreter serves
all models.
"""
import importlib
import inspect

# pauth first: its hint-space rows must be tried before system's catch-all HINT row; mte before
# system, whose rows would take DC GVA/GZVA
ENCODING_MODULES = ('pauth', 'mte', 'system', 'branch', 'alu', 'ldst', 'simd', 'fp', 'crypto')
MAX_ARGS = 6


def sext(v, bits):
    """Sign-extend the low `bits` bits of v."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Fields:
    """The fields of one encoding. Reading `pc` is recorded: an encoding whose arguments never
    read it decodes the same at every address, so the decoder can keep the result by word."""
    __slots__ = ('__dict__',)

    def __getattr__(self, name):
        if name != 'pc':
            raise AttributeError(name)
        d = self.__dict__
        d['read_pc'] = True
        return d['at']


class Pattern:
    def __init__(self, name, layout, handler, args=lambda f: (), ends_tb=False, pure=False,
                 target_arg=None, feature=None):
        """feature: the features.Feature the encoding needs (None: Armv8.0).
        ends_tb: control may leave the straight line (branches, SVC, traps).
        pure: the handler never requests an exit (no memory access, no trap), so generated code
        needs no exit check after it.
        target_arg: for a direct branch, the index of its target address in the args."""
        self.name = name
        self.target_arg = target_arg
        self.handler = handler
        self.args = args
        self.ends_tb = ends_tb
        self.pure = pure
        self.feature = feature
        self.mask = self.value = 0
        self.fields = []
        pos = 32
        for tok in layout.split():
            if ':' in tok:
                fname, width = tok.split(':')
                pos -= int(width)
                self.fields.append((fname, pos, (1 << int(width)) - 1))
            else:
                for ch in tok:
                    pos -= 1
                    if ch in '01':
                        self.mask |= 1 << pos
                        self.value |= int(ch) << pos
                    elif ch != 'x':
                        raise ValueError(f'{name}: bad layout token {tok!r}')
        if pos != 0:
            raise ValueError(f'{name}: layout covers {32 - pos} bits, not 32')

    def extract(self, insn, pc, cpu):
        f = Fields()
        d = f.__dict__
        for fname, lsb, m in self.fields:
            d[fname] = (insn >> lsb) & m
        d['at'] = pc
        d['insn'] = insn
        d['cpu'] = cpu
        return f

    def __repr__(self):
        return f'Pattern({self.name})'


def _bucket_keys(p):
    """The values of bits 28:25 this pattern can match."""
    m = (p.mask >> 25) & 0xF
    v = (p.value >> 25) & 0xF
    return [k for k in range(16) if k & m == v]


class Decoder:
    def __init__(self, patterns, model, extra_handlers=()):
        """model: the features.CpuModel to decode for; extra_handlers: helpers the translator
        emits without a table row (UNDEFINED)."""
        self.patterns = patterns
        self.model = model
        self.buckets = [[] for _ in range(16)]
        for p in patterns:
            for k in _bucket_keys(p):
                self.buckets[k].append(p)
        # handler ids: one per distinct helper, in first-use order
        self.by_word = {}       # results of encodings that decode the same at every pc
        self.handlers = []
        self.handler_id = {}
        for h in [p.handler for p in patterns] + list(extra_handlers):
            if h not in self.handler_id:
                self.handler_id[h] = len(self.handlers)
                self.handlers.append(h)

    def decode(self, insn, pc):
        """(pattern, args) for an encoding, or (None, None) when it is unallocated, not
        implemented or of a feature this decoder's CPU model lacks."""
        known = self.by_word.get(insn)
        if known is not None:
            return known
        out, read_pc = self._decode(insn, pc)
        if not read_pc:
            self.by_word[insn] = out
        return out

    def _decode(self, insn, pc):
        """(decode's result, whether any pattern tried read the pc)."""
        read_pc = False
        for p in self.buckets[(insn >> 25) & 0xF]:
            if insn & p.mask == p.value:
                f = p.extract(insn, pc, self.model)
                a = p.args(f)
                read_pc = read_pc or 'read_pc' in f.__dict__
                if a is None:
                    continue
                if not self.model.has(p.feature):
                    return (None, None), read_pc
                return (p, tuple(int(x) for x in a)), read_pc
        return (None, None), read_pc


def handler_arity(h):
    fn = getattr(h, 'py_func', h)
    return len(inspect.signature(fn).parameters) - 1


def all_patterns():
    pats = []
    for m in ENCODING_MODULES:
        try:
            mod = importlib.import_module(f'nbemu.gen.encodings.{m}')
        except ModuleNotFoundError as e:
            if e.name != f'nbemu.gen.encodings.{m}':
                raise
            continue
        pats.extend(mod.PATTERNS)
    return pats


_decoders = {}


def decoder(model=None):
    """The decoder for a CpuModel, or for a model name (None: the default model)."""
    from . import features
    if model is None or isinstance(model, str):
        model = features.model(model)
    d = _decoders.get(model.name)
    if d is None:
        from .encodings.system import UNDEFINED
        from .sem import plugin
        base = next(iter(_decoders.values()), None)
        d = _decoders[model.name] = Decoder(base.patterns if base else all_patterns(), model,
                                            extra_handlers=[UNDEFINED, *plugin.HANDLERS])
    return d
