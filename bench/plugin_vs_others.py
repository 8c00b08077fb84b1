"""Per-event cost of instrumentation: nbemu's plugin callbacks, inline ops and trace recorder
against Unicorn's hooks and qemu-aarch64's C plugins, in one run on one machine.

Usage: python bench/plugin_vs_others.py [--reps N] [--modes off,auto,all] [--write]

Every tool runs the same guest code: bench/workloads/bin/memloop (bench/workloads/src/memloop.S),
a load/store loop with no system call before its final exit_group, so Unicorn, which has no Linux
layer, runs it too: its PT_LOAD segments are mapped as they are and the run stops at the svc.
The iteration count is patched into copies of the binary: a big size for plain runs and native
instrumentation, a small one for Python callbacks (at ~1 us per event the big size would take
minutes per run). Every configuration is compared with its own tool's plain run at the same size
and mode: ratio = wall / plain wall, ns/event = (wall - plain wall) / events.

The counts are checked, not assumed: at each size every tool's instruction count (nbemu's
executed instructions and inline/callback counts, Unicorn's code-hook counts, QEMU's insn
plugin), memory access count (nbemu's callbacks, inline ops and trace, Unicorn's read/write
hooks, QEMU's mem plugin) and the guest's exit status must agree, and the recorded address
sequences (nbemu's numba and Python callbacks and trace recorder, Unicorn's cfunc and Python
hooks) must be identical; any disagreement is printed and the script exits 1 before writing.

Timing: nbemu's Emulator.run() (translation and compilation included, construction not) and
Unicorn's emu_start() (its translation included, uc_open and mapping not) in this process;
qemu-aarch64 as a whole subprocess (its start-up, ~5 ms, cancels in ns/event). Median of --reps
after one uncounted warm-up run of each configuration (for nbemu --jit=auto the warm-up
compiles synchronously, so the timed runs load every hot region from the disk cache).
"""
import argparse
import collections
import ctypes
import datetime
import hashlib
import os
import pathlib
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba import cfunc, njit, types as nbtypes
from numba.extending import intrinsic

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'bench'))

import plugin_overhead  # noqa: E402  its insn-level plugin configurations are reused as they are
from nbemu.emulator import Emulator  # noqa: E402

PROGRAM = ROOT / 'bench' / 'workloads' / 'bin' / 'memloop'
MARKER = b'MEMLOOP-ITERS:\0\0'
QEMU_PLUGINS = ROOT / 'tests' / 'qemu_plugins'
EXIT_GROUP = 94


# --- the shared recorders: the same work per event under every tool -------------------------

@intrinsic
def _u64p(typingctx, addr):
    from llvmlite import ir

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.IntType(64).as_pointer())
    return nbtypes.CPointer(nbtypes.uint64)(addr), codegen


@njit
def append(buf, value):
    """buf: address of uint64[2 + cap] = count, cap, values; values past cap are only counted."""
    p = _u64p(buf)
    n = p[0]
    if n < p[1]:
        p[n + 2] = value
    p[0] = n + 1


def new_buffer(cap):
    b = np.zeros(cap + 2, dtype=np.uint64)
    b[1] = cap
    return b


def buffer_result(b):
    n = int(b[0])
    return n, digest(b[2:2 + min(n, int(b[1]))])


def digest(values):
    return hashlib.sha1(np.ascontiguousarray(values, dtype=np.uint64).tobytes()).hexdigest()[:16]


def py_recorder(cap):
    """(record(value), result()): the Python callbacks' work, a numpy array filled in order."""
    arr = np.zeros(cap, dtype=np.uint64)
    cnt = [0]

    def record(value):
        i = cnt[0]
        if i < cap:
            arr[i] = value
        cnt[0] = i + 1
    return record, lambda: (cnt[0], digest(arr[:min(cnt[0], cap)]))


# --- the workload -----------------------------------------------------------------------------

def patched(tmp, iters):
    """A copy of memloop running `iters` iterations."""
    data = bytearray(PROGRAM.read_bytes())
    at = data.find(MARKER)
    if at < 0 or data.find(MARKER, at + 1) >= 0:
        raise SystemExit(f'{PROGRAM}: the iteration-count marker is not there exactly once')
    at += len(MARKER)
    data[at:at + 8] = struct.pack('<Q', iters)
    path = pathlib.Path(tmp) / f'memloop-{iters}'
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return str(path)


def expected(iters):
    """What memloop's source says it does (8 + 11 per iteration + 3 instructions; the count load
    plus 2 loads and 2 stores per iteration): a fourth opinion beside the three tools'."""
    return 11 + 11 * iters, 1 + 4 * iters


# --- nbemu ------------------------------------------------------------------------------------

@njit
def nb_mem_append(vcpu, info, vaddr, udata):
    append(udata, vaddr)


class CountingSink:
    """A text stream that drops what it gets, counting execlog's lines and accesses."""

    def __init__(self):
        self.lines = self.accesses = 0

    def write(self, s):
        self.lines += s.count('\n')
        self.accesses += s.count(', load, ') + s.count(', store, ')
        return len(s)

    def flush(self):
        pass


def nbemu_run(path, kind, jit, cache_dir, cap, sync=False, log=None):
    """One run; returns (seconds, status, {'insns': n, 'mem': n, 'addrs': digest, ...})."""
    counts = {}
    plugins = []
    finish = None
    trace = None
    if kind in ('tb-inline', 'insn-inline', 'insn-numba', 'insn-python'):
        state = {'n': 0, 'buf': np.zeros(plugin_overhead.TRACE_LEN, dtype=np.uint64)}
        plugins = [plugin_overhead._plugin(kind, state)]

        def finish():
            if kind.endswith('inline'):
                counts['insns'] = int(state['entry'].sum())
            elif kind == 'insn-numba':
                counts['insns'] = int(state['buf'][0])
            else:
                counts['insns'] = state['n']
    elif kind == 'mem-numba':
        buf = new_buffer(cap)
        plugins = [_mem_plugin(nb_mem_append, buf)]

        def finish():
            counts['mem'], counts['addrs'] = buffer_result(buf)
    elif kind == 'mem-python':
        record, result = py_recorder(cap)
        plugins = [_mem_plugin(lambda vcpu, info, vaddr, ud: record(vaddr), None)]

        def finish():
            counts['mem'], counts['addrs'] = result()
    elif kind == 'execlog':
        plugins = [str(ROOT / 'plugins' / 'execlog.py')]
    elif kind != 'plain' and kind != 'mem-trace':
        raise ValueError(kind)
    devnull = os.open(os.devnull, os.O_WRONLY)
    own_log = None
    if kind == 'execlog' and log is None:
        log = own_log = open(os.devnull, 'w')
    emu = Emulator(path, argv=[path], env={}, jit=jit, jit_sync=sync, cache_dir=cache_dir,
                   stdout=devnull, plugins=plugins, plugin_log=log)
    if kind == 'mem-trace':
        trace = emu.trace(mem=True, tbs=False)
    t0 = time.perf_counter()
    status = emu.run()
    dt = time.perf_counter() - t0
    counts['executed'] = emu.stats.instructions
    counts['loop_s'] = emu.stats.native_s
    emu.close()
    os.close(devnull)
    if own_log is not None:
        own_log.close()
    if finish is not None:
        finish()
    if trace is not None:
        counts['mem'] = len(trace.mem)
        counts['addrs'] = digest(trace.mem['vaddr'][:cap])
    if isinstance(log, CountingSink):
        counts['insns'], counts['mem'] = log.lines, log.accesses
    return dt, status, counts


def _mem_plugin(fn, udata):
    import types

    def install(api, args):
        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                api.register_vcpu_mem_cb(api.tb_get_insn(tb, i), fn, api.CB_NO_REGS, api.MEM_RW,
                                         udata)
        api.register_vcpu_tb_trans_cb(trans)
    return types.SimpleNamespace(install=install)


# --- Unicorn ----------------------------------------------------------------------------------

_UC_MEM_SIG = nbtypes.void(nbtypes.uint64, nbtypes.int32, nbtypes.uint64, nbtypes.int32,
                           nbtypes.int64, nbtypes.uint64)
_UC_CODE_SIG = nbtypes.void(nbtypes.uint64, nbtypes.uint64, nbtypes.uint32, nbtypes.uint64)


# Unicorn's hook signatures (uc_engine*, ..., void *user_data): pointers taken as uint64 (the
# same register under the SysV ABI), user_data being the buffer's address.
@cfunc(_UC_MEM_SIG, nopython=True)
def uc_mem_append(uc, access, address, size, value, user_data):
    append(user_data, address)


@cfunc(_UC_CODE_SIG, nopython=True)
def uc_code_count(uc, address, size, user_data):
    _u64p(user_data)[0] += 1


def elf_segments(data):
    """(entry, [(vaddr, bytes, memsz)]) of an ELF64's PT_LOAD segments."""
    entry, phoff = struct.unpack_from('<QQ', data, 24)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    segs = []
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz, memsz = struct.unpack_from(
            '<IIQQQQQ', data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((vaddr, data[off:off + filesz], memsz))
    return entry, segs


def unicorn_run(path, kind, cap):
    import unicorn as U
    from unicorn import arm64_const as A
    from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib
    entry, segs = elf_segments(pathlib.Path(path).read_bytes())
    uc = U.Uc(U.UC_ARCH_ARM64, U.UC_MODE_ARM)
    pages = set()
    for vaddr, _b, memsz in segs:
        pages.update(range(vaddr >> 12, (vaddr + memsz + 0xfff) >> 12))
    for p in sorted(pages):     # page by page: segments may share a page
        uc.mem_map(p << 12, 0x1000, U.UC_PROT_ALL)
    for vaddr, b, _m in segs:
        uc.mem_write(vaddr, b)
    status = []

    def on_svc(uc, intno, _ud):
        if uc.reg_read(A.UC_ARM64_REG_X8) != EXIT_GROUP:
            raise RuntimeError(f'memloop under Unicorn: unexpected exception {intno} at '
                               f'{uc.reg_read(A.UC_ARM64_REG_PC):#x}')
        status.append(uc.reg_read(A.UC_ARM64_REG_X0) & 0xff)
        uc.emu_stop()
    uc.hook_add(U.UC_HOOK_INTR, on_svc)
    counts = {}
    result = None
    mem = U.UC_HOOK_MEM_READ | U.UC_HOOK_MEM_WRITE
    keep = None
    if kind in ('mem-numba', 'code-numba'):
        # Uc.hook_add always wraps its callable in a ctypes thunk that calls back into Python
        # with a Uc object, so a cfunc given to it would still cost a Python call per event; the
        # library's own uc_hook_add (the binding's prototype takes the callback as void*) is
        # given the cfunc's address and the buffer as user_data instead.
        buf = keep = new_buffer(cap) if kind == 'mem-numba' else np.zeros(1, dtype=np.uint64)
        fn = uc_mem_append if kind == 'mem-numba' else uc_code_count
        h = uc_hook_h()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(h), mem if kind == 'mem-numba'
                                else U.UC_HOOK_CODE, ctypes.c_void_p(fn.address),
                                ctypes.c_void_p(buf.ctypes.data), ctypes.c_uint64(1),
                                ctypes.c_uint64(0))
        if err != U.UC_ERR_OK:
            raise U.UcError(err)
        if kind == 'mem-numba':
            def result():
                counts['mem'], counts['addrs'] = buffer_result(buf)
        else:
            def result():
                counts['insns'] = int(buf[0])
    elif kind == 'mem-python':
        record, res = py_recorder(cap)

        def on_mem(uc, access, address, size, value, ud):
            record(address)
        uc.hook_add(mem, on_mem)

        def result():
            counts['mem'], counts['addrs'] = res()
    elif kind == 'code-python':
        n = [0]

        def on_code(uc, address, size, ud):
            n[0] += 1
        uc.hook_add(U.UC_HOOK_CODE, on_code)

        def result():
            counts['insns'] = n[0]
    elif kind != 'plain':
        raise ValueError(kind)
    t0 = time.perf_counter()
    uc.emu_start(entry, 0)
    dt = time.perf_counter() - t0
    del keep
    if not status:
        raise RuntimeError('memloop under Unicorn did not reach its exit_group')
    if result is not None:
        result()
    return dt, status[0], counts


# --- qemu-aarch64 -----------------------------------------------------------------------------

def qemu_plugin_dir():
    build = QEMU_PLUGINS / 'build'
    r = subprocess.run([str(QEMU_PLUGINS / 'build.sh')], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'tests/qemu_plugins/build.sh failed:\n{r.stdout}{r.stderr}')
    return build


def qemu_run(path, kind, plugdir, log=None):
    cmd = ['qemu-aarch64']
    if kind == 'mem':
        cmd += ['-plugin', f'{plugdir}/libmem.so,callback=on', '-d', 'plugin']
    elif kind == 'insn':
        cmd += ['-plugin', f'{plugdir}/libinsn.so', '-d', 'plugin']
    elif kind == 'insn-inline':
        cmd += ['-plugin', f'{plugdir}/libinsn.so,inline=on', '-d', 'plugin']
    elif kind == 'bb-inline':
        cmd += ['-plugin', f'{plugdir}/libbb.so,inline=on', '-d', 'plugin']
    elif kind == 'execlog':
        cmd += ['-plugin', f'{plugdir}/libexeclog.so', '-d', 'plugin', '-D', log or os.devnull]
    elif kind != 'plain':
        raise ValueError(kind)
    t0 = time.perf_counter()
    r = subprocess.run(cmd + [path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    dt = time.perf_counter() - t0
    counts = {}
    m = re.search(r'callback mem accesses: (\d+)', r.stderr)
    if m:
        counts['mem'] = int(m.group(1))
    m = re.findall(r'insns: (\d+)', r.stderr)      # insn.c per vCPU then a total; bb.c one
    if m:
        counts['insns'] = int(m[-1])
    if kind != 'plain' and kind != 'execlog' and not counts:
        raise RuntimeError(f'{" ".join(cmd)}: no count in its output: {r.stderr[-500:]}')
    if log:
        lines = accesses = 0
        with open(log) as f:
            for line in f:
                lines += 1
                accesses += line.count(', load, ') + line.count(', store, ')
        counts['insns'], counts['mem'] = lines, accesses
    return dt, r.returncode, counts


# --- the benchmark ----------------------------------------------------------------------------

NBEMU_KINDS = [  # (kind, size, event counted, label)
    ('plain', 'big', None, 'plain'),
    ('tb-inline', 'big', 'insns', 'inline insn count, per TB'),
    ('insn-inline', 'big', 'insns', 'inline insn count, per insn'),
    ('insn-numba', 'big', 'insns', 'numba insn callback (count)'),
    ('mem-numba', 'big', 'mem', 'numba mem callback (append addr)'),
    ('mem-trace', 'big', 'mem', 'trace recorder (emu.trace mem)'),
    ('plain', 'small', None, 'plain'),
    ('insn-python', 'small', 'insns', 'Python insn callback (count)'),
    ('mem-python', 'small', 'mem', 'Python mem callback (append addr)'),
    ('execlog', 'small', 'insns+mem', 'execlog plugin to /dev/null'),
]
UNICORN_KINDS = [
    ('plain', 'big', None, 'no hook'),
    ('mem-numba', 'big', 'mem', 'numba cfunc MEM_READ|WRITE (append addr)'),
    ('code-numba', 'big', 'insns', 'numba cfunc CODE hook (count)'),
    ('plain', 'small', None, 'no hook'),
    ('mem-python', 'small', 'mem', 'Python MEM_READ|WRITE hook (append addr)'),
    ('code-python', 'small', 'insns', 'Python CODE hook (count)'),
]
QEMU_KINDS = [
    ('plain', 'big', None, 'plain'),
    ('mem', 'big', 'mem', 'C mem plugin, callback=on'),
    ('insn', 'big', 'insns', 'C insn plugin (callback)'),
    ('insn-inline', 'big', 'insns', 'C insn plugin, inline=on (per insn)'),
    ('bb-inline', 'big', 'insns', 'C bb plugin, inline=on (per TB)'),
    ('plain', 'small', None, 'plain'),
    ('execlog', 'small', 'insns+mem', 'C execlog plugin to /dev/null'),
]


Row = collections.namedtuple('Row', 'tool mode label size event events wall times loop')


class Checks:
    """Every count each run reported, by size: at the end all must agree."""

    def __init__(self, sizes):
        self.seen = {}
        for size, iters in sizes.items():
            insns, mem = expected(iters)
            self.add(size, 'insns', 'memloop.S', insns)
            self.add(size, 'mem', 'memloop.S', mem)

    def add(self, size, what, who, value):
        self.seen.setdefault((size, what), {}).setdefault(value, []).append(who)

    def failures(self):
        out = []
        for (size, what), values in sorted(self.seen.items()):
            if len(values) > 1:
                out.append(f'{size} size, {what}: ' + '; '.join(
                    f'{v} from {", ".join(sorted(set(w)))}' for v, w in values.items()))
        return out

    def summary(self):
        return {k: (next(iter(v)), len(sum(v.values(), []))) for k, v in self.seen.items()
                if len(v) == 1}


def measure(label, fn, reps, check):
    """Warm-up run (returned by fn(True)), then reps timed runs; every run's counts go to check."""
    runs = [fn(True)] + [fn(False) for _ in range(reps)]
    for _dt, status, counts in runs:
        check(status, counts)
    times = [r[0] for r in runs[1:]]
    loops = [r[2]['loop_s'] for r in runs[1:] if 'loop_s' in r[2]]
    print(f'  {label}: ' + ' '.join(f'{t:.3f}' for t in times), flush=True)
    return statistics.median(times), times, statistics.median(loops) if loops else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--big', type=int, default=4_000_000,
                    help='memloop iterations for plain runs and native instrumentation')
    ap.add_argument('--small', type=int, default=200_000,
                    help='memloop iterations for Python callbacks and execlog')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--modes', default='off,auto,all', help='nbemu --jit modes')
    ap.add_argument('--tools', default='nbemu,unicorn,qemu')
    ap.add_argument('--cache-dir', default=os.environ.get('NBEMU_CACHE_DIR'))
    ap.add_argument('--write', action='store_true', help='write bench/PLUGINS.md')
    a = ap.parse_args()
    tools = a.tools.split(',')
    sizes = {'big': a.big, 'small': a.small}
    cap = {s: expected(n)[1] for s, n in sizes.items()}      # every address kept
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()
    t_start = time.perf_counter()
    checks = Checks(sizes)
    rows = []
    tmp = tempfile.mkdtemp(prefix='pbench-')
    try:
        paths = {s: patched(tmp, n) for s, n in sizes.items()}

        def checker(size, who, event):
            def check(status, counts):
                checks.add(size, 'status', who, status)
                for what in ('insns', 'mem', 'addrs'):
                    if what in counts:
                        checks.add(size, what, who, counts[what])
                if 'executed' in counts:
                    checks.add(size, 'insns', who + ' (executed)', counts['executed'])
                check.counts.update(counts)
            check.counts = {}
            return check

        def record(tool, mode, label, size, event, median, times, counts, loop=None):
            if event is None:
                events = 0
            elif event == 'insns+mem':
                events = counts['insns'] + counts['mem']
            else:
                events = counts[event]
            rows.append(Row(tool, mode, label, size, event, events, median, times, loop))

        if 'nbemu' in tools:
            for mode in a.modes.split(','):
                print(f'nbemu --jit={mode}', flush=True)
                for kind, size, event, label in NBEMU_KINDS:
                    who = f'nbemu {mode} {kind}'
                    check = checker(size, who, event)

                    def fn(warm, kind=kind, size=size):
                        log = CountingSink() if warm and kind == 'execlog' else None
                        return nbemu_run(paths[size], kind, mode, a.cache_dir, cap[size],
                                         sync=warm and mode == 'auto', log=log)
                    med, times, loop = measure(f'{kind} ({size})', fn, a.reps, check)
                    record('nbemu', f'--jit={mode}', label, size, event, med, times,
                           check.counts, loop)
        if 'unicorn' in tools:
            print('unicorn', flush=True)
            for kind, size, event, label in UNICORN_KINDS:
                check = checker(size, f'unicorn {kind}', event)
                med, times, loop = measure(f'{kind} ({size})',
                                     lambda warm, kind=kind, size=size:
                                     unicorn_run(paths[size], kind, cap[size]), a.reps, check)
                record('unicorn', '', label, size, event, med, times, check.counts)
        if 'qemu' in tools:
            print('qemu-aarch64', flush=True)
            plugdir = qemu_plugin_dir()
            for kind, size, event, label in QEMU_KINDS:
                check = checker(size, f'qemu {kind}', event)
                log = os.path.join(tmp, 'execlog.txt')

                def fn(warm, kind=kind, size=size):
                    # the warm-up's log goes to a file, to count it; timed runs to /dev/null
                    r = qemu_run(paths[size], kind, plugdir,
                                 log=log if warm and kind == 'execlog' else None)
                    if os.path.exists(log):
                        os.unlink(log)
                    return r
                med, times, loop = measure(f'{kind} ({size})', fn, max(a.reps, 5), check)
                record('qemu', '', label, size, event, med, times, check.counts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - t_start
    load1 = os.getloadavg()

    table, per_event = render_table(rows)
    targets = render_targets(per_event, rows)
    print()
    print('\n'.join(table))
    print()
    print('\n'.join(targets))
    bad = checks.failures()
    if bad:
        print('\nEVENT COUNTS DISAGREE:\n  ' + '\n  '.join(bad), file=sys.stderr)
        sys.exit(1)
    agreed = checks.summary()
    verified = [f'- {size} size ({sizes[size]:,} iterations): ' + ', '.join(
        f'{what} {v if isinstance(v, str) else format(v, ",")} ({n} runs)'
        for (s, what), (v, n) in sorted(agreed.items()) if s == size) for size in sizes]
    print('\ncounts agree across tools:\n' + '\n'.join(verified))
    if a.write:
        write_md(a, sizes, started, load0, load1, elapsed, table, targets, verified)


def render_table(rows):
    plain = {(r.tool, r.mode, r.size): r for r in rows if r.event is None}
    out = ['| tool | mode | configuration | size | events | wall s (median) | runs | '
           'x plain | ns/event | nbemu loop s | ns/event in loop |',
           '|---|---|---|---|---:|---:|---|---:|---:|---:|---:|']
    per_event = {}
    for r in rows:
        base = plain[(r.tool, r.mode, r.size)]
        ns = (r.wall - base.wall) / r.events * 1e9 if r.events else None
        per_event[(r.tool, r.mode, r.label)] = ns
        ev = f'{r.events:,} {r.event}' if r.event else '-'
        loop = in_loop = '-'
        if r.loop is not None:
            loop = f'{r.loop:.3f}'
            if r.events:
                in_loop = f'{(r.loop - base.loop) / r.events * 1e9:.1f}'
        out.append(f'| {r.tool} | {r.mode} | {r.label} | {r.size} | {ev} | {r.wall:.3f} | '
                   f'{"/".join(f"{t:.3f}" for t in r.times)} | {r.wall / base.wall:.2f} | '
                   f'{"-" if ns is None else f"{ns:.1f}"} | {loop} | {in_loop} |')
    return out, per_event


def render_targets(ns, rows):
    modes = list(dict.fromkeys(r.mode for r in rows if r.tool == 'nbemu'))
    wall = {(r.tool, r.mode, r.label): r.wall for r in rows}
    plain = {(r.tool, r.mode, r.size): r.wall for r in rows if r.event is None}
    out = ['| target | nbemu mode | measured | met |', '|---|---|---:|---|']

    def factor(theirs, ours):
        if theirs is None or ours is None:
            return None
        return theirs / ours if ours > 0 else float('inf')

    def line(target, mode, value, ok):
        if value is None:
            out.append(f'| {target} | {mode} | not measured | - |')
        elif value == float('inf'):
            out.append(f'| {target} | {mode} | nbemu overhead <= 0 (within noise) | n/a |')
        else:
            out.append(f'| {target} | {mode} | {value:.2f}x | {"yes" if ok(value) else "no"} |')
    for mode in modes:
        for label in ('inline insn count, per insn', 'inline insn count, per TB'):
            med = wall.get(('nbemu', mode, label))
            base = plain.get(('nbemu', mode, 'big'))
            line(f'{label}: <= 1.3x plain', mode, med / base if med else None,
                 lambda v: v <= 1.3)
    uc_nb = ns.get(('unicorn', '', 'numba cfunc MEM_READ|WRITE (append addr)'))
    uc_py = ns.get(('unicorn', '', 'Python MEM_READ|WRITE hook (append addr)'))
    uc_code = ns.get(('unicorn', '', 'Python CODE hook (count)'))
    for mode in modes:
        for label in ('numba mem callback (append addr)', 'trace recorder (emu.trace mem)'):
            ours = ns.get(('nbemu', mode, label))
            line(f'{label}: >= 20x cheaper per event than Unicorn numba cfunc mem hook', mode,
                 factor(uc_nb, ours), lambda v: v >= 20)
            line(f'{label}: >= 300x cheaper per event than Unicorn Python mem hook', mode,
                 factor(uc_py, ours), lambda v: v >= 300)
    for mode in modes:
        line('Python mem callback: >= 3x cheaper per event than Unicorn Python mem hook', mode,
             factor(uc_py, ns.get(('nbemu', mode, 'Python mem callback (append addr)'))),
             lambda v: v >= 3)
        line('Python insn callback: >= 3x cheaper per event than Unicorn Python CODE hook',
             mode, factor(uc_code, ns.get(('nbemu', mode, 'Python insn callback (count)'))),
             lambda v: v >= 3)
    return out


def versions():
    import llvmlite
    import numba
    import unicorn
    q = subprocess.run(['qemu-aarch64', '--version'], capture_output=True, text=True)
    return (f'Python {platform.python_version()}, numba {numba.__version__}, llvmlite '
            f'{llvmlite.__version__}, numpy {np.__version__}, unicorn {unicorn.__version__}; '
            f'{q.stdout.splitlines()[0]}')


def machine():
    model = platform.processor() or platform.machine()
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
    return f'{model}, {os.cpu_count()} CPUs, {mem:.1f} GiB'


def git_commit():
    r = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'],
                       capture_output=True, text=True)
    dirty = subprocess.run(['git', '-C', str(ROOT), 'status', '--porcelain', '--', 'nbemu',
                            'plugins', 'bench/plugin_vs_others.py', 'bench/plugin_overhead.py'],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + (' (with uncommitted changes)' if dirty else '')


NOTES = '## Notes (by hand, not regenerated)'


def write_md(a, sizes, started, load0, load1, elapsed, table, targets, verified):
    big, small = sizes['big'], sizes['small']
    bi, bm = expected(big)
    si, sm = expected(small)
    text = f"""# Instrumentation cost: nbemu plugins vs Unicorn hooks vs QEMU plugins

Written by `bench/plugin_vs_others.py --write` ({elapsed / 60:.1f} min wall). Machine:
{machine()}; shared with other engineers' builds and tests, so absolute times are noisy and
pessimistic. Load average at start {'/'.join(f'{x:.2f}' for x in load0)}, at end
{'/'.join(f'{x:.2f}' for x in load1)} (1/5/15 min). {versions()}. Date
{started:%Y-%m-%d %H:%M} UTC; nbemu at {git_commit()}. Command:
`bench/plugin_vs_others.py --reps {a.reps} --modes {a.modes} --big {big} --small {small} --write`.

Workload: `bench/workloads/bin/memloop` (`bench/workloads/src/memloop.S`), a loop of 2 loads,
2 stores and 7 other instructions over a 64 KiB buffer, no system call until its exit_group, so
Unicorn runs the same ELF segments (stopped at the svc by an interrupt hook). Big size: {big:,}
iterations ({bi:,} instructions, {bm:,} memory accesses): plain runs and native
instrumentation. Small size: {small:,} iterations ({si:,} instructions, {sm:,} accesses):
Python callbacks and execlog. Every configuration is compared with its own tool's plain run at
the same size (and nbemu mode): x plain = wall / plain wall; ns/event = (wall - plain wall) /
events, events being what that configuration instruments (instructions, memory accesses, or
both for execlog). For nbemu, "loop s" is the time inside the native execution loop (`--stats`'
figure: both tiers with their callbacks; translation, compiles and the Python work between loop
exits, such as trace spills, excluded) and "ns/event in loop" the same difference over it: what
each event costs once the fixed costs are paid.

Timing: nbemu `Emulator.run()` and Unicorn `emu_start()` inside the benchmark process
(translation and compilation included, emulator construction not); qemu-aarch64 as a whole
subprocess (start-up included in both its plain and instrumented runs). Median of {a.reps} runs
({max(a.reps, 5)} for qemu) after one uncounted warm-up run per configuration; for `--jit=auto`
the warm-up compiles synchronously, so timed runs load every hot region from the disk cache.
The recorders do the same work per event under every tool: the numba ones are one shared
`@njit append(buf, addr)` (called from nbemu's numba callback and from the Unicorn `cfunc`
registered through libunicorn's `uc_hook_add` with the cfunc's address, since `Uc.hook_add`
always wraps its callable in a ctypes thunk that calls Python), the Python ones store the
address into a preallocated numpy array.

## Results

{chr(10).join(table)}

## Targets

{chr(10).join(targets)}

"nbemu overhead <= 0": nbemu's instrumented run was not slower than its plain run (noise), so
no factor can be given.

## Event counts

Checked on every run (warm-up included) and required equal across tools, or the script exits 1
without writing this file: instruction counts (nbemu's executed count and its inline/callback
counts, Unicorn's code hooks, QEMU's insn plugin, execlog's lines), memory access counts
(nbemu's callbacks, trace recorder and execlog, Unicorn's hooks, QEMU's mem plugin and
execlog), the guest's exit status, and the recorded address sequences (SHA-1 of the addresses
in order), besides the counts memloop.S implies:

{chr(10).join(verified)}
"""
    out = ROOT / 'bench' / 'PLUGINS.md'
    old = out.read_text() if out.exists() else ''
    if NOTES in old:            # the hand-written reading of an earlier run is kept
        text += '\n' + old[old.index(NOTES):]
    out.write_text(text)
    print('wrote bench/PLUGINS.md')


if __name__ == '__main__':
    main()
