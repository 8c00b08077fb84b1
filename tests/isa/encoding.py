"""Instruction words drawn from the Arm ARM's encoding diagrams, independently of nbemu's tables.

A `Form` is one encoding diagram written as a layout string, most significant bit first: literal
bits (`0`, `1`), `x` for a bit drawn at random, and fields `name:width`. A field is drawn
uniformly unless the form lists its values (the allocated values of that field in the Arm ARM's
table for the group, typed in from the manual); a listed field still takes a uniformly random
value `OFF_LIST` of the time, so the unallocated neighbours of every group are drawn too (both
sides must then fault the same way). Nothing here consults nbemu's decoder or encoding tables.
"""
from hypothesis import strategies as st

OFF_LIST = 0.1


def _mix32(r):
    """A bijection of 32-bit values that spreads hypothesis's preferred draws (0, small numbers,
    powers of two) over all bit patterns, so "random" bits are uniformly random."""
    r = (r * 0x9E3779B1) & 0xFFFFFFFF
    r ^= r >> 16
    r = (r * 0x85EBCA6B) & 0xFFFFFFFF
    return r ^ (r >> 13)


_bits32 = st.integers(0, 2**32 - 1).map(_mix32)


class Form:
    def __init__(self, layout, **fields):
        self.layout = layout
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

    def strategy(self):
        free = 0
        listed = []              # (lsb, width, values)
        for lsb, width, name in self.tokens:
            vals = self.fields.get(name)
            if vals is None:
                free |= ((1 << width) - 1) << lsb
            else:
                listed.append((lsb, width, list(vals)))
        fixed = self.fixed_value
        off = int(1000 * OFF_LIST)

        # one 32-bit draw for every random bit and one for each listed field: few, wide choices,
        # so hypothesis rarely repeats an encoding
        @st.composite
        def draw_word(draw):
            w = fixed | (draw(_bits32) & free)
            for lsb, width, vals in listed:
                r = draw(_bits32)
                if r % 1000 < off:
                    v = (r >> 10) & ((1 << width) - 1)
                else:
                    v = vals[(r >> 10) % len(vals)]
                w |= v << lsb
            return w
        return draw_word()

    def sample(self, r):
        """The same distribution as strategy(), from a random.Random."""
        w = self.fixed_value
        for lsb, width, name in self.tokens:
            vals = self.fields.get(name)
            if vals is None or r.random() < OFF_LIST:
                w |= r.getrandbits(width) << lsb
            else:
                w |= r.choice(list(vals)) << lsb
        return w

    def __repr__(self):
        return f'Form({self.layout!r})'


def words(*forms):
    """A strategy for one word of any of the forms (Form objects or layout strings)."""
    fs = [f if isinstance(f, Form) else Form(f) for f in forms]
    return st.one_of(*[f.strategy() for f in fs])


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


def seeded(make):
    """A start-state strategy: `make(rng)` builds the state from a random.Random seeded by one
    64-bit draw. A state drawn field by field from hypothesis is thousands of choices, and
    hypothesis then mostly mutates the state and keeps re-running the same encoding (about one
    distinct encoding per four examples); one seed keeps the encoding the larger part of each
    example's choices."""
    import random
    return st.integers(0, 2**64 - 1).map(lambda seed: make(random.Random(seed)))


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
