"""The thread schedule is deterministic: a threaded guest run twice with the same inputs (the
same binary, argv, environment and working directory), once with a host CPU load running beside
it, runs the same number of instructions in every thread and prints the same output. A turn
ends at a blocking call, a yield or the first machine exit after QUANTUM instructions, and
nothing in that depends on host time (threads.py). The programs chosen read no clock and do
no timed or host-I/O waits (thread_futex and thread_block do, by design).

Modes: --jit=off, and auto with --jit-sync (a hot region is compiled and installed at the
moment it becomes hot). auto with background compiles is not deterministic: the moment compiled
code is installed is host time, and a compiled region returns to the loop only when the pc leaves
it, so the exit at which a quantum ends moves with it (docs/architecture.md, Threads)."""
import re
import subprocess
import sys

import pytest

from conftest import GUEST, run_nbemu_cli

BIN = GUEST / 'bin'
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': '/nonexistent'}
PER_THREAD = re.compile(rb'instructions per thread: ([0-9 ]+)')
MODES = {'off': ['--jit=off'], 'auto-sync': ['--jit=auto', '--jit-sync', '--jit-threshold=5000']}
RUNS = [(p, 'off') for p in ('thread_mutex', 'thread_condvar', 'thread_barrier', 'thread_join',
                             'thread_tls')] + [('thread_mutex', 'auto-sync')]


def run(prog, mode, cwd):
    r = run_nbemu_cli(MODES[mode] + ['--stats', str(BIN / prog)], env=ENV, cwd=cwd)
    assert r.returncode == 0, r.stderr.decode(errors='replace')[-2000:]
    m = PER_THREAD.search(r.stderr)
    assert m, r.stderr.decode(errors='replace')[-2000:]
    counts = [int(x) for x in m.group(1).split()]
    assert len(counts) > 1
    return r.stdout, counts


@pytest.mark.parametrize('prog, mode', RUNS)
def test_same_schedule_with_and_without_host_load(prog, mode, tmp_path):
    quiet = run(prog, mode, tmp_path)
    # two busy host processes compete for the CPUs while the second run goes
    load = [subprocess.Popen([sys.executable, '-c', 'while 1: pass']) for _ in range(2)]
    try:
        loaded = run(prog, mode, tmp_path)
    finally:
        for p in load:
            p.kill()
            p.wait()
    assert loaded == quiet
