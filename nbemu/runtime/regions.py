"""Hot regions: which TBs are compiled together into one function.

A TB that reaches the hot threshold grows a region along the successor links the execution
loop recorded: every TB reachable from it through links that is live and has itself run
often (or already runs compiled) joins, up to a size bound. A loop whose body spans several TBs
thus becomes one function with its control flow inside it, instead of one function per TB with
a return to the dispatcher at every branch.
"""
from .tbcache import TB_ENTRY, TB_HITS, TB_L0, TB_L1, TB_N

MAX_REGION_TBS = 16
MAX_REGION_RECORDS = 320     # numba's compile time grows faster than linearly with size
# a successor joins when it ran at least this fraction of the threshold: code that ran only a
# few times would make the function bigger (slower to compile) without paying back
WARM_FRACTION = 8


def select(tbc, head, threshold):
    """Rows of the region grown from row `head`, head first, in breadth-first order."""
    tbs = tbc.tbs
    warm = max(1, threshold // WARM_FRACTION)
    rows = [head]
    seen = {head}
    records = int(tbs[head, TB_N])
    i = 0
    while i < len(rows) and len(rows) < MAX_REGION_TBS:
        row = rows[i]
        i += 1
        for link in (TB_L0, TB_L1):
            nxt = int(tbs[row, link])
            if nxt < 0 or nxt in seen or not tbc.live[nxt]:
                continue
            if tbs[nxt, TB_HITS] < warm and tbs[nxt, TB_ENTRY] == 0:
                continue
            n = int(tbs[nxt, TB_N])
            if records + n > MAX_REGION_RECORDS or len(rows) >= MAX_REGION_TBS:
                continue
            seen.add(nxt)
            rows.append(nxt)
            records += n
    return rows
