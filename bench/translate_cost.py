"""What translating one TB costs: guest code -> decoded records in the TB cache.

Usage: python bench/translate_cost.py [--reps N] [PROGRAM ARGS...]
Runs the program once under --jit=off (default: Debian's sqlite3 from bench/sysroot on the bench
SQL job, after bench/fetch_debian.sh), then translates every TB it translated again, N times,
into a fresh TB cache, and prints the microseconds per TB and per instruction (thread CPU time,
so other load on the machine matters less), split into decoding and adding to the cache.
"""
import argparse
import importlib.machinery
import importlib.util
import io
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbemu.emulator import Emulator  # noqa: E402
from nbemu.gen import translate  # noqa: E402
from nbemu.runtime.tbcache import TBCache  # noqa: E402


def bench_run():
    loader = importlib.machinery.SourceFileLoader('bench_run', str(ROOT / 'bench' / 'run'))
    spec = importlib.util.spec_from_loader('bench_run', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('argv', nargs='*')
    a = ap.parse_args()
    sysroot = str(ROOT / 'bench' / 'sysroot')
    if a.argv:
        argv, stdin_data = a.argv, None
    else:
        argv, stdin_data = [f'{sysroot}/usr/bin/sqlite3', ':memory:'], bench_run().sql_job()
    stdin = 0
    if stdin_data is not None:     # a file, not a pipe: the job is larger than a pipe's buffer
        f = tempfile.TemporaryFile()
        f.write(stdin_data)
        f.seek(0)
        stdin = f.fileno()
    out = open(os.devnull, 'w')
    emu = Emulator(argv[0], argv, jit='off', sysroot=sysroot, stdin=stdin, stdout=out.fileno())
    emu.run()
    m = emu.machine
    pcs = [tb.pc for tb, live in zip(m.tbc.meta, m.tbc.live) if live]
    n_insns = sum(len(tb.insns) for tb, live in zip(m.tbc.meta, m.tbc.live) if live)
    print(f'{argv[0]}: {len(pcs)} TBs, {n_insns} instructions (machine: {os.cpu_count()} CPUs, '
          f'load {os.getloadavg()[0]:.2f})')
    for rep in range(a.reps):
        tbc = TBCache()
        t_dec = t_add = 0.0
        for pc in pcs:
            t0 = time.thread_time()
            tb = translate.translate(m.mem, pc, m.dec, m.max_tb_insns)
            t1 = time.thread_time()
            tbc.add(pc, tb.records(m.dec), tb.next_pc, tb.pages, tb, len(tb.insns))
            t2 = time.thread_time()
            t_dec += t1 - t0
            t_add += t2 - t1
        total = t_dec + t_add
        print(f'rep {rep}: {1e6 * total / len(pcs):6.1f} us per TB '
              f'({1e6 * t_dec / len(pcs):.1f} decoding, {1e6 * t_add / len(pcs):.1f} records and '
              f'cache), {1e6 * total / n_insns:.2f} us per instruction')


if __name__ == '__main__':
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    main()
