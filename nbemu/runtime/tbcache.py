"""The translation-block cache: decoded records and the pc -> TB table the nopython loop probes.

`tbs` holds one row per TB (pc, first record, record count, fall-through pc, native entry
address or 0, execution count, then two successor links); `ins` holds decoded instruction records
(interpreter op id, six arguments, pc). `table` is an open-addressed hash of pc -> 1 + TB row
(0 = empty).

Chaining: see nbemu.core.tbtable. Every invalidation clears all links, so a link can never lead
to a dropped TB.
"""
import numpy as np

from nbemu.core.tbtable import (_HASH_MUL, NO_LINK, NO_ROW, REC_OP, REC_PC,  # noqa: F401
                                REC_WIDTH, TB_ENTRY, TB_HITS, TB_L0, TB_L0_PC, TB_L1, TB_L1_PC, TB_N, TB_NEXT, TB_NINSN,
                                TB_PC, TB_START, TB_WIDTH, _hash, tb_lookup)

from .memory import PAGE_SHIFT


class TBCache:
    def __init__(self, capacity=1 << 16, records=1 << 18):
        self.tbs = np.zeros((capacity, TB_WIDTH), dtype=np.int64)
        self.ins = np.zeros((records, REC_WIDTH), dtype=np.int64)
        self.table = np.zeros(capacity * 2, dtype=np.int64)
        self.n_tbs = 0
        self.n_ins = 0
        self.meta = []          # per TB row: (pages, words, patterns) for the code generator
        self.live = []          # per TB row: still reachable from the table
        self.by_page = {}       # guest page -> TB rows translated from it
        # compiled regions: a region's code holds the TBs of all its member rows, so dropping
        # any one of them must take the region's entry off every member
        self.regions = {}       # region id -> member rows
        self.regions_of = {}    # row -> ids of the regions it is a member of
        self._next_region = 0
        self.translated = 0

    def _insert_table(self, pc, row):
        mask = len(self.table) - 1
        h = int(_hash(np.uint64(pc), mask))
        while self.table[h]:
            h = (h + 1) & mask
        self.table[h] = row + 1

    def add(self, pc, records, next_pc, pages, meta, n_insns=None):
        """Add a TB from a list of records (each a sequence of REC_WIDTH ints) holding n_insns
        guest instructions (default: one per record). Returns its row, or None when the cache is
        full (the caller flushes and retries)."""
        n = len(records)
        if self.n_tbs >= len(self.tbs) or self.n_ins + n > len(self.ins):
            return None
        row = self.n_tbs
        self.ins[self.n_ins:self.n_ins + n] = np.array(records, dtype=np.uint64).view(np.int64)
        self.tbs[row] = (np.int64(np.uint64(pc)), self.n_ins, n, np.int64(np.uint64(next_pc)), 0, 0,
                         NO_LINK, NO_ROW, NO_LINK, NO_ROW, n if n_insns is None else n_insns)
        self.n_ins += n
        self.n_tbs += 1
        self.meta.append(meta)
        self.live.append(True)
        for p in pages:
            self.by_page.setdefault(p, []).append(row)
        self._insert_table(pc, row)
        self.translated += 1
        return row

    def _home(self, row):
        return int(_hash(np.uint64(self.tbs[row, TB_PC]), len(self.table) - 1))

    def _remove_table(self, row):
        """Delete a row from the linear-probing table by backward shift, so later probes still
        find every other TB (no tombstones, no rebuild)."""
        table, mask = self.table, len(self.table) - 1
        i = self._home(row)
        while table[i] != row + 1:
            if table[i] == 0:
                return
            i = (i + 1) & mask
        j = i
        while True:
            table[i] = 0
            while True:
                j = (j + 1) & mask
                if table[j] == 0:
                    return
                k = self._home(table[j] - 1)
                # the entry at j may stay unless its home lies cyclically outside (i, j]
                if (i < k <= j) if i <= j else (k > i or k <= j):
                    continue
                break
            table[i] = table[j]
            i = j

    def add_region(self, rows, address):
        """Install one compiled region's entry on all its member rows."""
        rid = self._next_region
        self._next_region += 1
        self.regions[rid] = list(rows)
        for r in rows:
            self.regions_of.setdefault(r, set()).add(rid)
            self.tbs[r, TB_ENTRY] = address

    def _drop_regions_of(self, row):
        for rid in self.regions_of.pop(row, ()):
            for m in self.regions.pop(rid, ()):
                self.tbs[m, TB_ENTRY] = 0
                if m != row:
                    self.regions_of.get(m, set()).discard(rid)

    def unlink_all(self):
        """Forget every successor link (after any TB was dropped)."""
        t = self.tbs[:self.n_tbs]
        t[:, TB_L0_PC] = NO_LINK
        t[:, TB_L0] = NO_ROW
        t[:, TB_L1_PC] = NO_LINK
        t[:, TB_L1] = NO_ROW

    def invalidate_pages(self, pages):
        dropped = 0
        for p in pages:
            for row in self.by_page.pop(p, ()):
                if self.live[row]:
                    self.live[row] = False
                    self.tbs[row, TB_ENTRY] = 0
                    self._drop_regions_of(row)
                    self._remove_table(row)
                    dropped += 1
        if dropped:
            self.unlink_all()
        return dropped

    def flush(self):
        self.table[:] = 0
        self.tbs[:self.n_tbs] = 0
        self.n_tbs = self.n_ins = 0
        self.meta.clear()
        self.live.clear()
        self.by_page.clear()
        self.regions.clear()
        self.regions_of.clear()

    def pages_of(self, pc, n):
        return sorted({(pc + 4 * i) >> PAGE_SHIFT for i in range(n)})
