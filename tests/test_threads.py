"""The thread schedule is deterministic in every --jit mode: a threaded guest run twice with the
same inputs (the same binary, argv, environment and working directory), once with a host CPU
load running beside it, runs the same number of instructions in every thread and prints the
same output; and off, auto and all give the same counts and output as each other.

A turn ends at a blocking call, a yield, or the first TB end (syscall, fault) at or past its
instruction deadline, the turn's start + QUANTUM, which every tier tests at every TB end
(icount_limit in the vCPU record; threads.py). Nothing in that depends on host time or on
which tier ran a TB, so --jit=auto with background compiles, whose code is installed by the
background thread at host-dependent moments, schedules as --jit=off does. The auto runs here
use a low hot threshold: a first run on a cache holding only the interpreter hands its hot
regions to the compile worker (these programs end before a compile does); the later runs load
them from the disk cache on the background thread while the nogil loop runs, and --stats must
show regions loaded and installed. --jit=all must show compiled TB executions. The programs
chosen read no clock and do no timed or host-I/O waits (thread_futex and thread_block do, by
design). The last test checks the deadline itself on a Machine: where each tier stops."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import GUEST, run_nbemu_cli, shared_cache_dir
from nbemu.core import cpu
from test_regions import machine, patching_loop
from test_smc import CODE, SVC0, add_xi, b_ne, movz_x, subs_xi

BIN = GUEST / 'bin'
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': '/nonexistent'}
PER_THREAD = re.compile(rb'instructions per thread: ([0-9 ]+)')
COMPILED = re.compile(rb'TBs compiled by numba: ([0-9]+) \(loaded from cache: ([0-9]+)')
NATIVE = re.compile(rb'compiled TB executions: ([0-9]+)')
INSTALLED = re.compile(rb'hot regions installed: ([0-9]+)')
MODES = {'off': ['--jit=off'],
         'auto-sync': ['--jit=auto', '--jit-sync', '--jit-threshold=5000'],
         # background compiles (no --jit-sync); a threshold low enough that regions install
         # while the threads run
         'auto': ['--jit=auto', '--jit-threshold=20'],
         'all': ['--jit=all']}
RUNS = ([(p, 'off') for p in ('thread_mutex', 'thread_condvar', 'thread_barrier', 'thread_join',
                              'thread_tls')] +
        [('thread_mutex', m) for m in ('auto-sync', 'auto', 'all')] + [('thread_condvar', 'auto')])


def fresh_cache(tmp_path):
    """A code cache holding only the interpreter and the semantics helpers (built once in the
    shared cache), so that every hot region of the first run is compiled by the worker."""
    src = pathlib.Path(shared_cache_dir())
    run_nbemu_cli(['--cache-dir', str(src), '--jit=off', str(BIN / 'thread_join')], env=ENV,
                  cwd=tmp_path)     # builds the interpreter there if it is not yet
    d = tmp_path / 'cache'
    (d / '__pycache__').mkdir(parents=True)
    for f in src.glob('nbemu_interp_*.py'):
        shutil.copy2(f, d / f.name)
    for f in (src / '__pycache__').glob('nbemu_interp_*'):
        shutil.copy2(f, d / '__pycache__' / f.name)
    shutil.copytree(src / 'helpers', d / 'helpers')
    return d


def wait_for_compile_worker(cache, limit=600):
    """nbemu leaves the compiles still queued at exit to its worker process, which goes on
    filling the cache: wait until it is gone."""
    key = str(cache).encode()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                argv = pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
            except OSError:
                continue
            if b'nbemu.runtime.compile_worker' in argv and key in argv:
                break
        else:
            return
        time.sleep(0.2)
    raise AssertionError(f'the compile worker for {cache} still runs after {limit} s')


def run(prog, mode, cwd, cache=None):
    """(stdout, instructions per thread) of one run; cache: the code cache for auto, whose
    runs after the first must have had compiled code installed while they ran."""
    args = MODES[mode] + ['--stats', str(BIN / prog)]
    if cache is not None:
        args = ['--cache-dir', str(cache)] + args
    r = run_nbemu_cli(args, env=ENV, cwd=cwd)
    err = r.stderr.decode(errors='replace')[-2000:]
    assert r.returncode == 0, err
    m = PER_THREAD.search(r.stderr)
    assert m, err
    counts = [int(x) for x in m.group(1).split()]
    assert len(counts) > 1
    if mode == 'all':
        assert int(NATIVE.search(r.stderr).group(1)) > 0, err
    return r.stdout, counts, r.stderr


def auto_cache(prog, tmp_path):
    """A cache for --jit=auto with background compiles, and the run that filled it: it starts
    from only the interpreter and hands its hot regions to the worker. Later runs find them in
    the disk cache, which the background thread loads and installs while the nogil loop runs,
    at host-dependent moments (and it compiles what is still missing)."""
    cache = fresh_cache(tmp_path)
    first = run(prog, 'auto', tmp_path, cache)
    wait_for_compile_worker(cache)
    return cache, first[:2]


def run_auto(prog, cwd, cache, attempts=1):
    """(stdout, instructions per thread) of a run from a filled cache that installed compiled
    code while it ran. The install moments are the host's: on a loaded host the program may
    end before the first one, so up to `attempts` runs, which must all agree, are made."""
    results = []
    for _ in range(attempts):
        out, counts, err = run(prog, 'auto', cwd, cache)
        results.append((out, counts))
        assert results[0] == results[-1]
        loaded = int(COMPILED.search(err).group(2))
        installed = int(INSTALLED.search(err).group(1))
        if loaded > 0 and installed > 0:
            return out, counts
    raise AssertionError(f'no compiled code installed in {attempts} runs:\n'
                         + err.decode(errors='replace')[-2000:])


@pytest.mark.parametrize('prog, mode', RUNS)
def test_same_schedule_with_and_without_host_load(prog, mode, tmp_path):
    if mode == 'auto':
        cache, first = auto_cache(prog, tmp_path)
        again = lambda: run_auto(prog, tmp_path, cache, attempts=3)     # noqa: E731
        quiet = again()
        assert first == quiet
    else:
        again = lambda: run(prog, mode, tmp_path)[:2]       # noqa: E731
        quiet = again()
    # two busy host processes compete for the CPUs while the second run goes
    load = [subprocess.Popen([sys.executable, '-c', 'while 1: pass']) for _ in range(2)]
    try:
        loaded = again()
    finally:
        for p in load:
            p.kill()
            p.wait()
    assert loaded == quiet


@pytest.mark.parametrize('prog', ['thread_mutex', 'thread_condvar'])
def test_same_schedule_in_every_jit_mode(prog, tmp_path):
    """Which tier runs a TB (and when compiled code is installed) does not move a turn's end."""
    off = run(prog, 'off', tmp_path)[:2]
    cache, first = auto_cache(prog, tmp_path)
    assert first == off
    assert run_auto(prog, tmp_path, cache) == off
    assert run(prog, 'all', tmp_path)[:2] == off


# x0 = 1000, x1 = 0; loop: x1 += 3; x0 -= 1; b.ne loop: the first TB (five instructions) ends
# at icount 5, the self-looping one at 5 + 3k
SELF_LOOP = {CODE: [movz_x(0, 1000), movz_x(1, 0), add_xi(1, 1, 3), subs_xi(0, 0, 1),
                    b_ne(-8), SVC0]}


def deadline_stops(mode, cache_dir, code, step):
    """Run to the svc with a deadline `step` instructions past each stop; the (icount, pc) of
    every stop, x1 at the svc, and the machine."""
    m = machine(mode, cache_dir, code, threshold=5)
    stops = []
    limit = step
    while True:
        m.state['icount_limit'] = limit
        r = m.run()
        if r != cpu.EXIT_BUDGET:
            break
        icount = int(m.state['icount'][0])
        assert icount >= limit
        stops.append((icount, m.pc))
        limit = icount + step
    assert r == cpu.EXIT_SYSCALL
    return stops, int(m.state['x'][0, 1]), m


@pytest.mark.parametrize('step', [1, 37, 1000])
def test_deadline_stops_at_the_first_tb_end_past_it_in_every_tier(step, cache_dir):
    """The deadline at the machine level: a compiled self-looping TB and a compiled region
    (over two pages, with a store that patches a member) stop where the interpreter does."""
    stops, x1, _ = deadline_stops('off', cache_dir, SELF_LOOP, step)
    want, limit = [], step
    while True:
        end = 5 if limit <= 5 else 5 + -(-(limit - 5) // 3) * 3    # first TB end >= limit
        if end > 5 + 3 * 999:
            break
        want.append((end, CODE + 8 if end < 5 + 3 * 999 else CODE + 20))   # the loop or the svc
        limit = end + step
    assert stops == want and x1 == 3000
    for code in (SELF_LOOP, patching_loop()):
        ref = deadline_stops('off', cache_dir, code, step)[:2]
        for mode in ('auto', 'all'):
            stops, x1, m = deadline_stops(mode, cache_dir, code, step)
            assert (stops, x1) == ref, mode
            assert m.native_execs > 0
