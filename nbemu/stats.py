"""`--stats`: what ran where, and where the time went."""


def format_stats(machine, wall_s=None, threads=None):
    """threads: instructions per guest thread, in creation order (shown if several)."""
    s = machine.stats
    comp = machine.compiler
    icount = machine.icount
    lines = [
        'nbemu statistics:',
        f'  instructions executed: {icount}',
    ]
    if threads and len(threads) > 1:
        lines.append(f'  threads: {len(threads)}, instructions per thread: '
                     + ' '.join(map(str, threads)))
    lines += [
        f'  TBs translated: {machine.tbc.translated}',
        f'  TBs compiled by numba: {comp.compiled if comp else 0}'
        f' (loaded from cache: {comp.loaded if comp else 0}, {comp.seconds if comp else 0:.2f} s)',
        f'  hot TBs submitted for compiling: {machine.hot_submitted}',
        f'  hot regions installed: {len(machine.tbc.regions)}'
        f' (left queued at exit, to the compile worker: {machine.bg.pending() if machine.bg else 0})',
        f'  compiled TB executions: {machine.native_execs}',
        f'  compile errors: {len(machine.compile_errors)}',
        f'  time in native execution loop (both tiers): {s.native_s:.3f} s, {s.entries} entries',
        f'  time translating: {s.translate_s:.3f} s',
        f'  time in system calls: {s.syscall_s:.3f} s',
    ]
    if comp and comp.compile_seconds:
        t = sorted(comp.compile_seconds)
        lines.append(f'  compile latency per TB or region: median {t[len(t) // 2]:.2f} s, '
                     f'max {t[-1]:.2f} s')
    for pc, err in machine.compile_errors[:5]:
        lines.append(f'    compile error at TB {pc:#x}: {err[:300]}')
    if s.native_s > 0:
        lines.append(f'  guest MIPS in the execution loop: {icount / s.native_s / 1e6:.1f}')
    if wall_s is not None:
        lines.append(f'  wall time: {wall_s:.3f} s')
    return '\n'.join(lines)
