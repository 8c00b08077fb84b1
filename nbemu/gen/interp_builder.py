"""Builds the tier-0 interpreter and the nopython execution loop as one generated module.

The module is written to the cache directory under a name that embeds the semantics hash, then
imported; its function uses numba's disk cache, so a second process loads it in well under a
second.

Shape (each point measured; see DESIGN.md):
- one `run` function holds the whole loop: TB lookup and successor links, the record loop and
  the switch over interpreter op ids, so no record or TB costs a call through numba's calling
  convention;
- the switch is a binary tree of `op < k` tests (faster than an if/elif chain and than a table
  of function pointers), weight-balanced so the hot ops are reached in fewer tests;
- interpreter ops are the semantics handlers plus *variants*: a handler with some decoded fields
  fixed (ADD immediate 64-bit without flags, LDR X unsigned offset...), chosen at decode time.
  A variant calls the same handler with those fields as typed constants (np.int64(k): a bare
  literal would make numba compile one more specialisation of the helper and of everything it
  calls, +10 s of build), so semantics stay in nbemu/gen/sem and LLVM, inlining the helper into
  the leaf, folds the fixed fields away;
- records are read with plain loads from their raw address (no array indexing checks).
"""
import importlib.util
import os
import sys

from nbemu.core import tbtable  # noqa: F401  the generated loop uses its columns and lookup

from . import decode, helper_cache
from .sem import alu, branch, ldst
from .sem import plugin as plugin_sem
from .source_hash import semantics_hash

_loaded = {}
# run(c, ins, tbs, table, hot_threshold, budget, first), as Machine calls it
RUN_SIGNATURE = '(uint64, int64[:, ::1], int64[:, ::1], int64[::1], int64, int64, int64)'

# Variants: (handler, fixed fields, weight). Fixed fields has one entry per handler argument:
# None (read from the record) or the constant the variant is specialised to. A record uses the
# first variant whose constants match its decoded arguments, else the generic handler. Weight:
# rough share (%) of dynamically executed instructions in integer code (the corpus's qsort,
# measured, blended with typical compiled code); it shapes the dispatch tree.
_ = None
K_LD, K_ST, OFF, PRE, POST = ldst.K_LD, ldst.K_ST, ldst.MODE_OFFSET, ldst.MODE_PRE, ldst.MODE_POST
VARIANTS = [
    # logic_reg(rd, rn, rm, shift, sf, opc): ORR X (MOV Xd, Xm), ORR W, AND X, EOR X
    (alu.logic_reg, (_, _, _, 0, 1, 1), 11.7),
    (alu.logic_reg, (_, _, _, 0, 0, 1), 0.3),
    (alu.logic_reg, (_, _, _, 0, 1, 0), 0.3),
    (alu.logic_reg, (_, _, _, 0, 1, 2), 0.3),
    # add_sub_imm(rd, rn, imm, sf, sub, setflags): ADD X, SUB X, SUBS X (CMP), SUBS W, ADD W
    (alu.add_sub_imm, (_, _, _, 1, 0, 0), 3.0),
    (alu.add_sub_imm, (_, _, _, 1, 1, 0), 3.3),
    (alu.add_sub_imm, (_, _, _, 1, 1, 1), 5.7),
    (alu.add_sub_imm, (_, _, _, 0, 1, 1), 3.4),
    (alu.add_sub_imm, (_, _, _, 0, 0, 0), 0.5),
    # add_sub_shift(rd, rn, rm, shift, sf, ops) unshifted: ADD X, SUB X, SUBS X, ADD W, SUB W, SUBS W
    (alu.add_sub_shift, (_, _, _, 0, 1, 0), 1.0),
    (alu.add_sub_shift, (_, _, _, 0, 1, 2), 1.2),
    (alu.add_sub_shift, (_, _, _, 0, 1, 3), 0.5),
    (alu.add_sub_shift, (_, _, _, 0, 0, 0), 0.3),
    (alu.add_sub_shift, (_, _, _, 0, 0, 2), 3.1),
    (alu.add_sub_shift, (_, _, _, 0, 0, 3), 3.5),
    # mov_wide(rd, imm, shift, sf, opc): MOVZ X, MOVZ W, MOVK X
    (alu.mov_wide, (_, _, _, 1, 2), 1.0),
    (alu.mov_wide, (_, _, _, 0, 2), 1.0),
    (alu.mov_wide, (_, _, _, 1, 3), 0.3),
    # cond_sel(rd, rn, rm, cond, sf, op): CSEL X/W, CSINC X/W
    (alu.cond_sel, (_, _, _, _, 1, 0), 0.5),
    (alu.cond_sel, (_, _, _, _, 0, 0), 0.5),
    (alu.cond_sel, (_, _, _, _, 1, 1), 0.5),
    (alu.cond_sel, (_, _, _, _, 0, 1), 6.2),
    # ldst_imm(rt, rn, imm, size, kind, mode): LDR/STR X and W (offset), LDRB, STRB,
    # LDR/STR X pre/post-index, STR W post, LDR W post
    (ldst.ldst_imm, (_, _, _, 8, K_LD, OFF), 4.0),
    (ldst.ldst_imm, (_, _, _, 8, K_ST, OFF), 2.0),
    (ldst.ldst_imm, (_, _, _, 4, K_LD, OFF), 6.4),
    (ldst.ldst_imm, (_, _, _, 4, K_ST, OFF), 1.0),
    (ldst.ldst_imm, (_, _, _, 1, K_LD, OFF), 1.0),
    (ldst.ldst_imm, (_, _, _, 1, K_ST, OFF), 0.5),
    (ldst.ldst_imm, (_, _, _, 8, K_LD, POST), 0.5),
    (ldst.ldst_imm, (_, _, _, 8, K_ST, PRE), 0.5),
    (ldst.ldst_imm, (_, _, _, 4, K_LD, POST), 3.1),
    (ldst.ldst_imm, (_, _, _, 4, K_ST, POST), 3.4),
]
# generic handlers that are hot too (weights as above); every other handler weighs COLD
HOT_HANDLERS = {branch.b_cond: 10.3, branch.br_reg: 7.5, branch.b: 2.3, branch.bl: 1.0,
                branch.test_branch: 2.0, alu.cond_cmp: 3.4, alu.add_sub_imm: 0.5,
                alu.logic_reg: 0.5, alu.add_sub_shift: 1.0, alu.cond_sel: 0.3, ldst.ldst_imm: 1.0,
                ldst.ldst_pair: 4.0, alu.mul_add: 1.5, alu.bitfield: 1.0, alu.logic_imm: 1.0,
                alu.dp_1src: 1.0, ldst.ldst_reg: 0.8, alu.mov_const: 0.4}
COLD = 0.01


class OpTable:
    """Interpreter op ids: ops[i] = (handler, fixed fields or None for the generic form), in
    decreasing weight, so the weight-balanced dispatch tree reaches hot ops in fewer tests."""

    def __init__(self, dec):
        cands = [(w, h, fixed) for h, fixed, w in VARIANTS if h in dec.handler_id]
        cands += [(HOT_HANDLERS.get(h, COLD), h, None) for h in dec.handlers]
        order = sorted(range(len(cands)), key=lambda i: (-cands[i][0], i))
        self.ops = []
        self.weights = []
        self._op_of = {}        # (handler, args) -> op: the same records recur across TBs
        self.generic = {}
        self.variants = {}
        for i in order:
            w, h, fixed = cands[i]
            if fixed is not None:
                assert len(fixed) == decode.handler_arity(h), (h, fixed)
                self.variants.setdefault(h, []).append((i, fixed, len(self.ops)))
            else:
                self.generic[h] = len(self.ops)
            self.ops.append((h, fixed))
            self.weights.append(w)
        for v in self.variants.values():     # first matching variant in table order
            v.sort()
        # plugin requests wait for the TB end; a set_pc leaves at once
        pure = {h: h not in plugin_sem.MAY_EXIT for h in plugin_sem.HANDLERS}
        for p in dec.patterns:
            pure[p.handler] = pure.get(p.handler, True) and p.pure
        self.pure = [pure.get(h, False) for h, _ in self.ops]

    def op_of(self, handler, args):
        key = (handler, tuple(args))
        op = self._op_of.get(key)
        if op is None:
            op = self._op_of[key] = self._match(handler, args)
        return op

    def _match(self, handler, args):
        for _i, fixed, op in self.variants.get(handler, ()):
            if all(f is None or f == a for f, a in zip(fixed, args)):
                return op
        return self.generic[handler]


_op_tables = {}


def op_table(dec):
    t = _op_tables.get(id(dec))
    if t is None or t[0] is not dec:
        t = _op_tables[id(dec)] = (dec, OpTable(dec))
    return t[1]


def _leaf(ops, aliases, pure, op, pad):
    h, fixed = ops.ops[op]
    n = decode.handler_arity(h)
    args = []
    for i in range(n):
        if fixed is not None and fixed[i] is not None:
            args.append(f"I({int(fixed[i])})")
        else:
            args.append(f'load_i64(r + U({8 * (i + 1)}))')
    name = getattr(h, 'py_func', h).__name__
    what = name if fixed is None else f'{name} variant {tuple("_" if f is None else f for f in fixed)}'
    out = f'{pad}# op {op}: {what}\n{pad}{aliases[h]}(c{"".join(", " + a for a in args)})\n'
    if not pure:
        out += f'{pad}if peek64(c + O_EXIT) != ZERO:\n{pad}    break\n'
    return out


def _tree(ops, aliases, lo, hi, indent):
    """A binary tree of `op < k` tests over ops lo..hi-1, split where the weight halves."""
    pad = '    ' * indent
    if hi - lo == 1:
        return _leaf(ops, aliases, ops.pure[lo], lo, pad)
    total = sum(ops.weights[lo:hi])
    mid, acc = lo + 1, ops.weights[lo]
    while mid < hi - 1 and acc + ops.weights[mid] <= total / 2:
        acc += ops.weights[mid]
        mid += 1
    return (f'{pad}if op < {mid}:\n' + _tree(ops, aliases, lo, mid, indent + 1) +
            f'{pad}else:\n' + _tree(ops, aliases, mid, hi, indent + 1))


def _dispatch(ops, aliases, indent):
    return _tree(ops, aliases, 0, len(ops.ops), indent)


_LOOP = '''

@njit(cache=True, nogil=True)
def run(c, ins, tbs, table, hot_threshold, budget, first):
    """Execute TBs until one requests an exit (syscall, fault, miss, hot TB...), the vCPU's
    icount reaches its icount_limit at a TB end, or, when budget > 0, `budget` TBs (dispatches:
    a compiled region counts once) ran. first >= 0: start with that TB row instead of looking
    up the pc. tbs columns: see nbemu.core.tbtable."""
    insp = U(ins.ctypes.data)
    done = 0
    limit = peek64(c + O_ICOUNT_LIMIT)      # only Python code changes it
    if first >= 0:
        slot = first
    else:
        slot = tb_lookup(table, tbs, peek64(c + O_PC))
        if slot < 0:
            request_exit(c, EXIT_MISS, 0)
            return
    while True:
        entry = tbs[slot, TB_ENTRY]
        if entry != 0:
            poke64(c + O_NATIVE_EXECS, peek64(c + O_NATIVE_EXECS) + ONE)
            call_i64_i64(entry, c)
            if peek64(c + O_EXIT) != ZERO:
                return
            if peek64(c + O_PLUGIN_REQ) != ZERO:
                request_exit(c, EXIT_PLUGIN, 0)
                return
        else:
            n = tbs[slot, TB_N]
            poke64(c + O_PC, U(tbs[slot, TB_NEXT]))
            r0 = insp + U(tbs[slot, TB_START]) * U(REC_BYTES)
            end = r0 + U(n) * U(REC_BYTES)
            r = r0
            while True:
                op = load_i64(r)
{dispatch}
                r += U(REC_BYTES)
                if r == end:
                    break
            if peek64(c + O_EXIT) != ZERO:
                # instructions before this one completed (records of instrumentation are not
                # instructions, so count by pc: a TB's instructions are consecutive words)
                rpc = load_i64(r + U(REC_PC_OFF))
                exit_mid_tb(c, rpc, (rpc - tbs[slot, TB_PC]) >> 2)
                return
            tb_done(c, tbs[slot, TB_NINSN])
            if peek64(c + O_PLUGIN_REQ) != ZERO:
                request_exit(c, EXIT_PLUGIN, 0)
                return
            if hot_threshold > 0:
                hits = tbs[slot, TB_HITS] + 1
                tbs[slot, TB_HITS] = hits
                if hits == hot_threshold:
                    request_exit(c, EXIT_HOT, slot)
                    return
        # the instruction deadline (the scheduler's quantum) at every TB end, a compiled
        # entry's included: generated loops return at the first TB end past it
        if peek64(c + O_ICOUNT) >= limit:
            request_exit(c, EXIT_BUDGET, 0)
            return
        done += 1
        if done == budget:
            request_exit(c, EXIT_BUDGET, 0)
            return
        # the successor: through a link, else the hash table (then remember it in a link)
        pc = I(peek64(c + O_PC))
        if tbs[slot, TB_L0_PC] == pc and tbs[slot, TB_L0] >= 0:
            slot = tbs[slot, TB_L0]
        elif tbs[slot, TB_L1_PC] == pc and tbs[slot, TB_L1] >= 0:
            slot = tbs[slot, TB_L1]
        else:
            nxt = tb_lookup(table, tbs, U(pc))
            if nxt < 0:
                request_exit(c, EXIT_MISS, 0)
                return
            if tbs[slot, TB_L0] < 0:
                tbs[slot, TB_L0] = nxt
                tbs[slot, TB_L0_PC] = pc
            else:
                tbs[slot, TB_L1] = nxt
                tbs[slot, TB_L1_PC] = pc
            slot = nxt
'''


def interpreter_source(dec):
    ops = op_table(dec)
    aliases = {}
    lines = [
        '# Generated by nbemu.gen.interp_builder: the tier-0 interpreter and execution loop.',
        f'# semantics hash {semantics_hash()}',
        'import numpy as np',
        'from numba import njit',
        'from nbemu.core.native import peek64, poke64, call_i64_i64, load_i64',
        'from nbemu.core.tbtable import (tb_lookup, TB_PC, TB_N, TB_NEXT, TB_START, TB_ENTRY,',
        '                                   TB_HITS, TB_L0_PC, TB_L0, TB_L1_PC, TB_L1, TB_NINSN,',
        '                                   NO_LINK, REC_WIDTH, REC_PC)',
        'from nbemu.gen.sem.common import (exit_mid_tb, tb_done, request_exit, O_PC, O_EXIT,',
        '                                  O_NATIVE_EXECS, O_ICOUNT, U, I, ZERO, ONE)',
        'from nbemu.core.cpu import (EXIT_MISS, EXIT_HOT, EXIT_BUDGET, EXIT_PLUGIN, OFF_PLUGIN_REQ,',
        '                            OFF_ICOUNT_LIMIT)',
        'O_PLUGIN_REQ = U(OFF_PLUGIN_REQ)',
        'O_ICOUNT_LIMIT = U(OFF_ICOUNT_LIMIT)',
        'REC_BYTES = 8 * REC_WIDTH',
        'REC_PC_OFF = 8 * REC_PC',
    ]
    for h, _fixed in ops.ops:
        if h not in aliases:
            aliases[h] = f'h{len(aliases)}'
            fn = getattr(h, 'py_func', h)
            lines.append(f'from {fn.__module__} import {fn.__name__} as {aliases[h]}')
    lines.append(f'N_OPS = {len(ops.ops)}')
    return '\n'.join(lines) + '\n' + _LOOP.replace('{dispatch}', _dispatch(ops, aliases, 4).rstrip('\n'))


def load_interpreter(cache_dir, dec=None):
    """Import (building if needed) the interpreter module for the current semantics."""
    dec = dec or decode.decoder()
    name = f'nbemu_interp_{semantics_hash()}'
    if name in _loaded:
        return _loaded[name]
    os.makedirs(cache_dir, exist_ok=True)
    helper_cache.enable(cache_dir)
    path = os.path.join(cache_dir, name + '.py')
    src = interpreter_source(dec)
    if not os.path.exists(path) or open(path).read() != src:
        tmp = path + f'.{os.getpid()}.tmp'
        with open(tmp, 'w') as f:
            f.write(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    if not _in_disk_cache(mod.run):
        # say so once, since it takes a while (never on a warm cache: tests compare nbemu's
        # stderr with qemu's)
        print('nbemu: building the interpreter (once per install, about a minute)...',
              file=sys.stderr, flush=True)
    # compile or load it now, so neither is counted as execution time by the first run() call
    mod.run.compile(RUN_SIGNATURE)
    _loaded[name] = mod
    return mod


def _in_disk_cache(dispatcher):
    """Whether numba's disk cache holds a fresh compiled version of the function (when unsure,
    say yes: the message is only informative)."""
    try:
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:
        return True
