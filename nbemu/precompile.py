"""`nbemu --precompile`: build the tier-0 interpreter and execution loop into the code cache."""
import sys
import time


def precompile(cache_dir=None, quiet=False):
    t0 = time.perf_counter()
    from .runtime.machine import Machine
    from .runtime.memory import Memory
    m = Machine(Memory(1 << 20), jit='off', cache_dir=cache_dir)
    m.pc = 0x1000          # unmapped: one pass through the loop compiles it, then faults
    m.run()
    if not quiet:
        print(f'nbemu: interpreter ready in {m.cache_dir} ({len(m.dec.handlers)} handlers, '
              f'{m.interp.N_OPS} interpreter ops, '
              f'{time.perf_counter() - t0:.1f} s)', file=sys.stderr)
    return 0
