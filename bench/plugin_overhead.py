"""Instrumented vs plain execution: the cost of each kind of plugin instrumentation, measured in
one run on one machine (wall time of Emulator.run(), median of --reps).

Usage: python bench/plugin_overhead.py [--program PATH] [--jit off|auto] [--reps N]
Prints, per configuration, the run time, the ratio to the plain run and the time per event
(instruction or memory access).
"""
import argparse
import os
import pathlib
import platform
import statistics
import sys
import time
import types

import numpy as np
from numba import njit

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbemu.emulator import Emulator  # noqa: E402


@njit
def _count(vcpu, addr):
    _u64(addr)[0] += 1


@njit
def _trace(vcpu, info, vaddr, addr):
    buf = _u64(addr)
    i = buf[0]                    # accesses seen; the first TRACE_LEN - 1 addresses are kept
    if i < buf.shape[0] - 1:
        buf[i + 1] = vaddr
    buf[0] = i + 1


from llvmlite import ir  # noqa: E402
from numba import carray, types as nbtypes  # noqa: E402
from numba.extending import intrinsic  # noqa: E402


@intrinsic
def _ptr(typingctx, addr):
    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.IntType(64).as_pointer())
    return nbtypes.CPointer(nbtypes.uint64)(addr), codegen


TRACE_LEN = 1 << 20


@njit
def _u64(addr):
    return carray(_ptr(addr), TRACE_LEN)


def _plugin(kind, state):
    def install(api, args):
        e = api.scoreboard_u64(api.scoreboard_new(8))
        state['entry'] = e
        buf = state['buf']

        def py_insn(vcpu, _u):
            state['n'] += 1

        def trans(tb):
            if kind == 'tb-inline':
                api.register_vcpu_tb_exec_inline_per_vcpu(tb, api.INLINE_ADD_U64, e,
                                                          api.tb_n_insns(tb))
                return
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                if kind == 'insn-inline':
                    api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64, e, 1)
                elif kind == 'insn-numba':
                    api.register_vcpu_insn_exec_cb(insn, _count, api.CB_NO_REGS, buf)
                elif kind == 'insn-python':
                    api.register_vcpu_insn_exec_cb(insn, py_insn)
                elif kind == 'mem-inline':
                    api.register_vcpu_mem_inline_per_vcpu(insn, api.MEM_RW, api.INLINE_ADD_U64,
                                                          e, 1)
                elif kind == 'mem-numba-trace':
                    api.register_vcpu_mem_cb(insn, _trace, api.CB_NO_REGS, api.MEM_RW, buf)
        api.register_vcpu_tb_trans_cb(trans)
    return types.SimpleNamespace(install=install)


KINDS = ['plain', 'tb-inline', 'insn-inline', 'insn-numba', 'mem-inline', 'mem-numba-trace',
         'insn-python']


def run_once(program, kind, jit, cache_dir):
    state = {'n': 0, 'buf': np.zeros(TRACE_LEN, dtype=np.uint64)}
    plugins = [] if kind == 'plain' else [_plugin(kind, state)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    emu = Emulator(program, argv=[program], env={}, jit=jit, cache_dir=cache_dir,
                   stdout=devnull, plugins=plugins)
    t0 = time.perf_counter()
    status = emu.run()
    dt = time.perf_counter() - t0
    insns = emu.stats.instructions
    emu.close()
    os.close(devnull)
    events = insns
    if kind.startswith('mem'):
        events = state['entry'].sum() if kind == 'mem-inline' else int(state['buf'][0])
    return dt, status, insns, events


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--program', default=str(ROOT / 'tests' / 'guest' / 'bin' / 'qsort'))
    ap.add_argument('--jit', default='off', choices=('off', 'auto'))
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--cache-dir', default=os.environ.get('NBEMU_CACHE_DIR'))
    ap.add_argument('--kinds', default=','.join(KINDS))
    a = ap.parse_args()
    print(f'# plugin overhead: {os.path.basename(a.program)}, --jit={a.jit}, '
          f'{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, '
          f'median of {a.reps}')
    print(f"{'configuration':18s} {'run s':>8s} {'x plain':>8s} {'events':>10s} {'ns/event':>9s}")
    base = None
    for kind in a.kinds.split(','):
        run_once(a.program, kind, a.jit, a.cache_dir)      # warm: interpreter, compiles
        times = []
        for _ in range(a.reps):
            dt, status, insns, events = run_once(a.program, kind, a.jit, a.cache_dir)
            times.append(dt)
        t = statistics.median(times)
        if base is None:
            base = t
        extra = (t - base) / events * 1e9 if kind != 'plain' and events else 0.0
        print(f'{kind:18s} {t:8.3f} {t / base:8.2f} {events:10d} {extra:9.1f}')


if __name__ == '__main__':
    main()
