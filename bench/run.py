"""Benchmarks: nbemu vs qemu-aarch64, tier 0 vs tier 1, start-up. Prints ratios from one run.

Usage: python bench/run.py [--quick]
Speed is measured here, never asserted in tests.
"""
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / 'tests' / 'guest' / 'bin'
CACHE = os.environ.get('NBEMU_CACHE_DIR') or str(ROOT / '.nbemu-cache')
ENV = dict(os.environ, NBEMU_CACHE_DIR=CACHE, PYTHONPATH=str(ROOT))


def machine():
    model = ''
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return f'{platform.machine()} {model}, {os.cpu_count()} CPUs, Python {platform.python_version()}'


def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, env=ENV)
    return time.perf_counter() - t0, r


def nbemu(*args):
    return [sys.executable, '-m', 'nbemu'] + [str(a) for a in args]


def stat(r, key):
    m = re.search(key + r': ([0-9.]+)', r.stderr.decode())
    return float(m.group(1)) if m else float('nan')


def main():
    quick = '--quick' in sys.argv
    reps = 1 if quick else 3
    print(f'machine: {machine()}')
    subprocess.run(nbemu('--precompile'), env=ENV, check=True)
    qemu = shutil.which('qemu-aarch64')

    # start-up: static hello world with a warm cache
    timed(nbemu(BIN / 'hello'))
    hello = statistics.median(timed(nbemu(BIN / 'hello'))[0] for _ in range(reps))
    print(f'hello wall time (warm cache, --jit=auto): {hello:.3f} s')
    if qemu:
        qh = statistics.median(timed([qemu, BIN / 'hello'])[0] for _ in range(reps))
        print(f'hello wall time under qemu-aarch64: {qh:.3f} s')

    for prog in ('qsort', 'strings'):
        print(f'\n{prog}:')
        rows = {}
        for mode in ('off', 'all', 'auto'):
            if mode != 'off':
                timed(nbemu(f'--jit={mode}', BIN / prog))     # fill the TB cache
            t, r = timed(nbemu(f'--jit={mode}', '--stats', BIN / prog))
            icount = stat(r, 'instructions executed')
            mips = stat(r, 'guest MIPS in the execution loop')
            rows[mode] = t
            label = {'off': 'tier 0 (interpreter)', 'all': 'tier 1 (all TBs compiled, warm cache)',
                     'auto': 'auto (warm cache)'}[mode]
            print(f'  {label:40s} wall {t:6.2f} s  loop {mips:7.1f} MIPS  ({icount:.0f} insns)')
        if qemu:
            qt = statistics.median(timed([qemu, BIN / prog])[0] for _ in range(reps))
            print(f'  {"qemu-aarch64":40s} wall {qt:6.2f} s')
            for mode, t in rows.items():
                print(f'  throughput ratio nbemu --jit={mode} / qemu: {qt / t:.3f}x (wall, incl. start-up)')


if __name__ == '__main__':
    main()
