"""The generation-tagged callback table (numpy) that instrumentation in TBs refers to by row.

Rows are filled at translation time (never while guest code runs: a TB is translated only after
native code returned), deduplicated by content, and all freed at once when the generation
advances (reset, uninstall, code-cache flush). A row's generation is written into it, and every
TB that refers to the row carries the same number, so after an advance a stale reference finds a
different generation (or an unused row) and is skipped. See nbemu.core.cbtable for the layout.
"""
import numpy as np

from nbemu.core import cbtable
from nbemu.core.cbtable import CB_GEN, CB_KIND, CB_WIDTH

INITIAL_ROWS = 1 << 12
_ADDRESS_KINDS = np.array([cbtable.KIND_INLINE_ADD, cbtable.KIND_INLINE_STORE,
                           cbtable.KIND_MEM_INLINE_ADD, cbtable.KIND_MEM_INLINE_STORE],
                          dtype=np.uint64)


class CallbackTable:
    def __init__(self):
        self.rows = np.zeros((INITIAL_ROWS, CB_WIDTH), dtype=np.int64)
        self.n = 0
        self.generation = 1
        self.states = []        # vCPU records pointing at this table
        self.by_content = {}    # row content -> row (identical registrations share a row)
        self.keep = []          # objects the rows' addresses point into (thunks, arrays)
        self.pyobj = {}         # row -> the record of a Python callback with userdata
        self.owner = {}         # row -> plugin id

    def attach(self, state):
        self.states.append(state)
        self._publish()

    def detach(self, state):
        self.states = [s for s in self.states if s is not state]

    def _publish(self):
        for st in self.states:
            st['cb_table'] = self.rows.ctypes.data
            st['cb_rows'] = self.n
            st['cb_gen'] = self.generation

    def add(self, owner, kind, fn=0, udata=0, imm=0, cond=0, entry=0, stride=0, flags=0,
            keep=(), pyobj=None, shareable=True):
        """A row for one registration; returns (row, generation)."""
        vals = [0] * CB_WIDTH
        vals[CB_KIND] = kind
        vals[CB_GEN] = self.generation
        vals[cbtable.CB_FN] = fn
        vals[cbtable.CB_UDATA] = udata
        vals[cbtable.CB_IMM] = imm
        vals[cbtable.CB_COND] = cond
        vals[cbtable.CB_ENTRY] = entry
        vals[cbtable.CB_STRIDE] = stride
        vals[cbtable.CB_FLAGS] = flags
        key = (owner, tuple(vals)) if shareable and pyobj is None else None
        if key is not None and key in self.by_content:
            return self.by_content[key], self.generation
        if self.n == len(self.rows):
            grown = np.zeros((2 * len(self.rows), CB_WIDTH), dtype=np.int64)
            grown[:self.n] = self.rows
            self.keep.append(self.rows)     # a TB being translated may still read the old copy
            self.rows = grown
        row = self.n
        self.rows[row] = [np.int64(np.uint64(v & (2**64 - 1))) for v in vals]
        self.n += 1
        self.owner[row] = owner
        if pyobj is not None:
            self.pyobj[row] = pyobj
        if key is not None:
            self.by_content[key] = row
        self.keep.extend(keep)
        self._publish()
        return row, self.generation

    def advance(self):
        """A new generation: every row is free, every reference made so far is stale."""
        self.generation += 1
        self.rows[:self.n] = 0
        self.n = 0
        self.by_content.clear()
        self.pyobj.clear()
        self.owner.clear()
        self.keep = []
        self._publish()

    def move_addresses(self, lo, hi, new_lo):
        """Rows whose scoreboard address (an inline op's CB_FN, a conditional callback's
        CB_ENTRY) lies in [lo, hi) now point at the same offset from new_lo: a grown scoreboard.
        A call row's CB_FN is a code address, never inside a numpy buffer."""
        rows = self.rows[:self.n].view(np.uint64)
        delta = np.uint64((new_lo - lo) & (2**64 - 1))
        inline = np.isin(rows[:, CB_KIND], _ADDRESS_KINDS)
        for col, which in ((cbtable.CB_FN, inline), (cbtable.CB_ENTRY, None)):
            sel = (rows[:, col] >= np.uint64(lo)) & (rows[:, col] < np.uint64(hi))
            if which is not None:
                sel &= which
            rows[sel, col] += delta

    def invalidate_where(self, pred):
        """Make the rows for which pred(row) holds unreachable now (generation 0 never matches)."""
        for row in range(self.n):
            if self.rows[row, CB_KIND] and pred(row):
                self.rows[row, CB_GEN] = 0
