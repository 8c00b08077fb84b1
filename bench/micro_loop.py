"""Tier 0 vs tier 1 on a tight guest loop (CPU time of the execution loop, not wall time).

Usage: python bench/micro_loop.py [--cache-dir DIR]
The loop body is either three ALU instructions or a load/add/store; with the loop counter and
branch it is one self-looping TB of five instructions, run 16M times.
"""
import argparse
import os
import pathlib
import struct
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from nbemu.core import cpu  # noqa: E402
from nbemu.runtime.machine import Machine, default_cache_dir  # noqa: E402
from nbemu.runtime.memory import Memory  # noqa: E402

CODE, DATA = 0x10000, 0x20000
BODIES = {
    'alu': [0x91000c21, 0x8b010042, 0xca020063],   # add x1,x1,#3; add x2,x2,x1; eor x3,x3,x2
    'mem': [0xf9400061, 0x91000421, 0xf9000061],   # ldr x1,[x3]; add x1,x1,#1; str x1,[x3]
}


def run(kind, mode, cache_dir):
    body = BODIES[kind]
    back = (-(len(body) + 1)) & 0x7FFFF
    # movz x0,#0x100,lsl 16; movz x3,#2,lsl 16; loop: body; subs x0,x0,#1; b.ne loop; svc #0
    words = [0xd2a02000, 0xd2a00043] + body + [0xf1000400, 0x54000001 | back << 5, 0xd4000001]
    mem = Memory(1 << 22)
    mem.map(CODE, 0x1000, 5)
    mem.map(DATA, 0x1000, 3)
    mem.write(CODE, b''.join(struct.pack('<I', w) for w in words), need=0)
    m = Machine(mem, jit=mode, cache_dir=cache_dir, hot_threshold=10**9)
    m.pc = CODE
    t0 = time.thread_time()
    m.run()
    dt = time.thread_time() - t0
    n = int(m.regs[cpu.OFF_ICOUNT // 8])
    return n, dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cache-dir', default=os.environ.get('NBEMU_CACHE_DIR') or default_cache_dir())
    a = ap.parse_args()
    for kind in BODIES:
        for mode in ('off', 'all'):
            if mode == 'all':
                run(kind, mode, a.cache_dir)            # compile once, measure the cached run
            n, dt = run(kind, mode, a.cache_dir)
            tier = 'tier 0 (interpreter)' if mode == 'off' else 'tier 1 (compiled TB)'
            print(f'{kind:4s} {tier:22s} {n / dt / 1e6:8.1f} MIPS  ({n} insns, {dt:.3f} s CPU)')


if __name__ == '__main__':
    main()
