"""The TB table layout the execution loop reads, and its hash probe (nopython).

`tbs` rows: pc, first record, record count, fall-through pc, native entry address or 0,
execution count, two successor links (pc, row), then the guest instruction count (the record
count minus the plugin instrumentation records). `ins` records: interpreter op id, six
arguments, pc. `table`: open-addressed hash of pc -> 1 + TB row (0 = empty).

Chaining: a link is (successor pc, successor row); the loop follows a link whose pc equals the
new guest pc and whose row is >= 0 instead of probing the hash table. An empty link has row -1
(its pc, NO_LINK, means nothing: a guest may jump to any address). Rows are only ever appended
(reused only after a flush), and every invalidation clears all links, so a link can never lead
to a dropped TB.
"""
import numpy as np
from numba import njit

(TB_PC, TB_START, TB_N, TB_NEXT, TB_ENTRY, TB_HITS, TB_L0_PC, TB_L0, TB_L1_PC, TB_L1,
 TB_NINSN) = range(11)
TB_WIDTH = 11
NO_LINK = 1
NO_ROW = -1
REC_OP, REC_PC = 0, 7
REC_WIDTH = 8
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def _hash(pc, mask):
    return np.int64(((pc >> np.uint64(2)) * _HASH_MUL) >> np.uint64(40)) & mask


@njit(cache=True, nogil=True)
def tb_lookup(table, tbs, pc):
    mask = np.int64(len(table) - 1)
    h = _hash(pc, mask)
    while True:
        s = table[h]
        if s == 0:
            return np.int64(-1)
        if np.uint64(tbs[s - 1, 0]) == pc:
            return s - 1
        h = (h + 1) & mask
