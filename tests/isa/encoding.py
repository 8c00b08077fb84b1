"""Instruction words drawn from the Arm ARM's encoding diagrams, independently of nbemu's tables.

A `Form` is one encoding diagram written as a layout string, most significant bit first: literal
bits (`0`, `1`), `x` for a bit drawn at random, and fields `name:width`. A field is drawn
uniformly unless the form lists its values (the allocated values of that field in the Arm ARM's
table for the group, typed in from the manual); in `OFF_LIST` of the words one listed field
(chosen at random) takes a uniformly random value instead, so the unallocated neighbours of
every group are drawn too (both sides must then fault the same way). Nothing here consults
nbemu's decoder or encoding tables.
"""
from hypothesis import strategies as st

OFF_LIST = 0.1


class Form:
    def __init__(self, layout, post=None, **fields):
        """post: a function applied to each drawn word (to tie fields, e.g. Rn == Rm)."""
        self.layout = layout
        self.post = post
        self.fixed_mask = self.fixed_value = 0
        self.tokens = []          # (lsb, width, name or None)
        pos = 32
        for tok in layout.split():
            if ':' in tok:
                name, width = tok.split(':')
                width = int(width)
                pos -= width
                self.tokens.append((pos, width, name))
            else:
                for ch in tok:
                    pos -= 1
                    if ch in '01':
                        self.fixed_mask |= 1 << pos
                        self.fixed_value |= int(ch) << pos
                    elif ch == 'x':
                        self.tokens.append((pos, 1, None))
                    else:
                        raise ValueError(f'{layout}: bad token {tok!r}')
        if pos != 0:
            raise ValueError(f'{layout}: covers {32 - pos} bits')
        names = {n for _, _, n in self.tokens if n}
        unknown = set(fields) - names
        if unknown:
            raise ValueError(f'{layout}: no field {unknown}')
        self.fields = fields

    def sample(self, r):
        """A word: fixed bits, random bits, listed fields from their lists, except that
        OFF_LIST of the words take one listed field (chosen at random) uniformly instead."""
        w = self.fixed_value
        listed = [name for _, _, name in self.tokens if name in self.fields]
        off = r.choice(listed) if listed and r.random() < OFF_LIST else None
        for lsb, width, name in self.tokens:
            vals = self.fields.get(name)
            if vals is None or name == off:
                w |= r.getrandbits(width) << lsb
            else:
                w |= r.choice(list(vals)) << lsb
        return self.post(w) if self.post else w

    def __repr__(self):
        return f'Form({self.layout!r})'


def cases(forms, make_start, prefix=()):
    """(words, start) examples, the word and the state drawn together from one 64-bit seed (one
    hypothesis choice per example). When hypothesis draws the word field by field and the state
    separately, it spends most examples mutating the state around an encoding it already ran
    (measured: 20-25 distinct encodings per 100 examples with a field-by-field state, ~75 with
    a seeded state, ~99 with one seed for both). The price is that hypothesis cannot shrink a
    failing example; the failure message gives the words, their disassembly, the state and
    every differing register instead."""
    import random
    fs = [f if isinstance(f, Form) else Form(f) for f in forms]

    def make(seed):
        r = random.Random(seed)
        return list(prefix) + [r.choice(fs).sample(r)], make_start(r)
    return st.integers(0, 2**64 - 1).map(make)


FPSR_FLAGS = 0x9F | 1 << 27          # IDC IXC UFC OFC DZC IOC and QC


def rand_fpsr(r):
    """FPSR: the cumulative flags and QC clear 80% of the time (so a flag the instruction must
    set shows), otherwise a random subset of them."""
    return 0 if r.random() < 0.8 else r.getrandbits(32) & FPSR_FLAGS


def rand_fpcr(r):
    """FPCR: half the time 0, otherwise random RMode, FZ, DN and AHP."""
    if r.random() < 0.5:
        return 0
    return r.getrandbits(2) << 22 | r.getrandbits(3) << 24 | (r.getrandbits(1) << 26)


# ----- seeded composites: hypothesis-like strategies over one random.Random -----
class Reject(Exception):
    """Raised by assume() inside a seeded composite: the example is drawn again."""


def assume(cond):
    if not cond:
        raise Reject


class Gen:
    """A minimal strategy over a random.Random (draw(gen) samples it)."""
    def __init__(self, fn):
        self.fn = fn

    def map(self, f):
        return Gen(lambda r: f(self.fn(r)))


def integers(lo, hi):
    return Gen(lambda r: r.randint(lo, hi))


def sampled_from(vals):
    vals = list(vals)
    return Gen(lambda r: r.choice(vals))


def just(v):
    return Gen(lambda r: v)


def one_of(*gens):
    return Gen(lambda r: r.choice(gens).fn(r))


def permutations(vals):
    vals = list(vals)
    return Gen(lambda r: r.sample(vals, len(vals)))


def seeded_composite(fn):
    """Like hypothesis's @composite, but the example is built from one 64-bit seed: fn(draw)
    draws from Gen objects with a random.Random. Returns a function giving the strategy."""
    import random

    def strategy():
        def make(seed):
            for attempt in range(1000):
                r = random.Random(seed * 1000 + attempt)
                try:
                    return fn(lambda g: g.fn(r))
                except Reject:
                    continue
            raise RuntimeError(f'{fn.__name__}: 1000 rejections in a row')
        return st.integers(0, 2**64 - 1).map(make)
    return strategy
