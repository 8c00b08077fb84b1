"""Hot regions: TBs linked into a loop are compiled into one function, entered at any member,
dropped as a whole when any member's code changes, and never keep the loop from regaining
control while the guest spins."""
import subprocess
import sys
import time

import pytest

from nbemu.core import cpu
from nbemu.runtime.memory import PAGE_SIZE, Memory

from test_chaining import b
from test_smc import CODE, SVC0, add_xi, b_ne, movz_x, pack, str_w, subs_xi

P = CODE + PAGE_SIZE            # the second code page
ADD_X1_3 = add_xi(1, 1, 3)
ADD_X1_5 = add_xi(1, 1, 5)


def b_eq(offset):
    return 0x54000000 | ((offset >> 2) & 0x7ffff) << 5


def movk_x_16(rd, imm):
    return 0xf2a00000 | imm << 5 | rd


def add_x_4k(rd, rn, n):
    return 0x91400000 | n << 10 | rn << 5 | rd


def cmp_xi(rn, imm):
    return subs_xi(31, rn, imm)


def patching_loop():
    """x0 counts 1000 down; each iteration adds 3 to x1 in a TB on the second page, and at
    x0 == 500 the loop stores `add x1, x1, #5` over that instruction."""
    page1 = [
        movz_x(0, 1000), movz_x(1, 0),
        movz_x(2, ADD_X1_5 & 0xffff), movk_x_16(2, ADD_X1_5 >> 16),
        movz_x(3, CODE >> 16) | 1 << 21, add_x_4k(3, 3, 1),   # x3 = P
    ]
    loop = CODE + 4 * len(page1)
    page1 += [
        subs_xi(0, 0, 1),               # loop:
        b_eq(4 * 5),                    #   b.eq out
        cmp_xi(0, 500),
        b_ne(4 * 2),                    #   b.ne skip
        str_w(2, 3),                    #   patch P
        b(P - (CODE + 4 * (len(page1) + 5))),   # skip: b P
        SVC0,                           # out
    ]
    page2 = [ADD_X1_3, b(loop - (P + 4))]
    return {CODE: page1, P: page2}


def machine(mode, cache_dir, code, threshold=20, pages=2):
    from nbemu.runtime.machine import Machine
    mem = Memory(1 << 22)
    mem.map(CODE, pages * PAGE_SIZE, 7)
    for addr, words in code.items():
        mem.write(addr, pack(words), need=0)
    m = Machine(mem, jit='auto' if mode == 'auto' else mode, cache_dir=cache_dir,
                hot_threshold=threshold, jit_sync=True)
    m.pc = CODE
    return m


def run_to_svc(m):
    while True:
        r = m.run()
        if r != cpu.EXIT_BUDGET:
            return r


def test_a_loop_over_two_pages_becomes_one_region_and_a_patched_member_drops_it(cache_dir):
    ref = machine('off', cache_dir, patching_loop())
    assert run_to_svc(ref) == cpu.EXIT_SYSCALL
    want_x1 = int(ref.state['x'][0, 1])
    assert want_x1 == 3 * 499 + 5 * 500     # the patch took effect in the reference
    m = machine('auto', cache_dir, patching_loop())
    assert run_to_svc(m) == cpu.EXIT_SYSCALL
    assert int(m.state['x'][0, 1]) == want_x1
    assert int(m.regs[cpu.OFF_ICOUNT // 8]) == int(ref.regs[cpu.OFF_ICOUNT // 8])
    assert m.native_execs > 0
    # the loop's TBs on both pages were compiled together at least once; the patch dropped the
    # region (its member on the second page changed), and the loop formed a new one after it
    assert m.compiler.compiled + m.compiler.loaded >= 2
    assert any(P in {m.tbc.meta[r].pc for r in rows} and len(rows) > 1
               for rows in m.tbc.regions.values())


def test_region_is_entered_at_any_member(cache_dir):
    """Every member row carries the region's entry, and the region dispatches on the pc."""
    m = machine('auto', cache_dir, patching_loop())
    assert run_to_svc(m) == cpu.EXIT_SYSCALL
    for rows in m.tbc.regions.values():
        entries = {int(m.tbc.tbs[r, 4]) for r in rows}
        assert len(entries) == 1 and 0 not in entries


SPIN = '''
import sys
sys.path.insert(0, {tests!r})
from test_regions import machine, CODE
from test_chaining import b
from nbemu.core import cpu
words = {words}
m = machine('auto', {cache!r}, {{CODE: words}}, threshold=5, pages=1)
m.poll_budget = 50
for _ in range(40):
    assert m.run() == cpu.EXIT_BUDGET
print('regained control', m.native_execs > 0, len(m.tbc.regions))
'''


@pytest.mark.parametrize('shape', ['self_loop', 'two_tbs'])
def test_spinning_compiled_code_returns_to_the_loop(shape, cache_dir, tmp_path):
    """A guest that spins forever in compiled code (a one-TB self loop, a loop over two TBs)
    still returns to the execution loop, which counts its budget (host signals, scheduling)."""
    words = [b(0)] if shape == 'self_loop' else [b(4), b(-4)]
    src = SPIN.format(tests=str(__import__('pathlib').Path(__file__).parent), words=words,
                      cache=str(cache_dir))
    r = subprocess.run([sys.executable, '-c', src], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    regained, native, regions = r.stdout.split()[-3:]
    assert native == 'True'
    assert int(regions) == (0 if shape == 'self_loop' else 1)


def test_background_compiles_run_in_a_worker_process_and_install(cache_dir, tmp_path):
    """Without jit_sync, hot code is compiled by a child process (numba holds the GIL while it
    compiles, which would slow this process's execution loop) and loaded from the disk cache:
    the loop then runs it natively and the result matches the interpreter's."""
    import os
    ref = machine('off', cache_dir, patching_loop())
    assert run_to_svc(ref) == cpu.EXIT_SYSCALL
    m = machine('auto', cache_dir, patching_loop())
    m.jit_sync = False
    m.compiler.dir = str(tmp_path)          # nothing cached there: the worker must compile
    assert run_to_svc(m) == cpu.EXIT_SYSCALL
    assert m.bg is not None
    m.bg.drain()
    assert m.compile_errors == []
    assert m.compiler.compiled >= 1 and m.compiler.compile_seconds
    worker = m.bg.worker.pid
    assert worker != os.getpid() and _parent_of(worker) != os.getpid()    # not our child
    # the installed code runs: the same (now patched) loop again, entered compiled
    ref.pc = m.pc = CODE
    assert run_to_svc(ref) == cpu.EXIT_SYSCALL
    before = m.native_execs
    assert run_to_svc(m) == cpu.EXIT_SYSCALL
    assert m.native_execs > before
    assert int(m.state['x'][0, 1]) == int(ref.state['x'][0, 1])
    m.close()
    deadline = time.monotonic() + 60
    while os.path.exists(f'/proc/{worker}') and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f'/proc/{worker}')    # with nothing left queued, it just ends


def _parent_of(pid):
    with open(f'/proc/{pid}/stat') as f:
        return int(f.read().rpartition(')')[2].split()[1])


def _workers_of(cache):
    """pids of compile worker processes serving this cache directory."""
    import os
    out = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if b'nbemu.runtime.compile_worker' in argv and str(cache).encode() in argv:
            out.append(int(pid))
    return out


def test_code_still_queued_at_exit_is_compiled_for_the_next_run(tmp_path):
    """The emulator does not wait for compiles at exit: it leaves what is queued to the worker
    process, and the next run of the program starts with that code loaded from the disk cache."""
    import re
    import shutil
    import time
    from conftest import ROOT, run_nbemu_cli, shared_cache_dir
    cache = tmp_path / 'cache'
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    args = ['--cache-dir', str(cache), '--jit=auto', '--jit-threshold=50', '--stats',
            str(ROOT / 'tests' / 'guest' / 'bin' / 'qsort')]
    first = run_nbemu_cli(args, env={'PATH': '/usr/bin:/bin'})
    assert first.returncode == 0, first.stderr[-2000:]
    left = int(re.search(rb'left queued at exit, to the compile worker: (\d+)', first.stderr)[1])
    deadline = time.monotonic() + 240
    while _workers_of(cache) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _workers_of(cache), 'the detached worker did not finish'
    # every unit left to the worker is now compiled on disk
    modules = {p.stem for p in (cache / 'tb').glob('nbemu_tb_*.py')}
    compiled = {p.name.split('.')[0] for p in (cache / 'tb' / '__pycache__').glob('*.nbi')}
    assert left > 0 and len(modules) >= left and compiled == modules
    second = run_nbemu_cli(args, env={'PATH': '/usr/bin:/bin'})
    assert second.returncode == 0 and second.stdout == first.stdout
    # and the next run starts with it: loaded, installed and run, not compiled again first
    loaded = int(re.search(rb'loaded from cache: (\d+)', second.stderr)[1])
    regions = int(re.search(rb'hot regions installed: (\d+)', second.stderr)[1])
    native = int(re.search(rb'compiled TB executions: (\d+)', second.stderr)[1])
    assert loaded > 0 and regions > 0 and native > 0
    while _workers_of(cache) and time.monotonic() < deadline + 240:
        time.sleep(0.5)         # the second run's worker: not left running after the test


def test_the_compile_worker_is_no_child_of_the_guest(qemu, tmp_path):
    """The guest must not see the emulator's own processes: a program with a SIGCHLD handler
    and no children gets ECHILD from wait() and no SIGCHLD while the compile worker runs (when
    the worker was the emulator's child, that wait() waited for it)."""
    import shutil
    from conftest import ROOT, run_nbemu_cli, shared_cache_dir
    cache = tmp_path / 'cache'
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    prog = str(ROOT / 'tests' / 'guest' / 'bin' / 'wait_nochild')
    ref = subprocess.run([qemu, prog], capture_output=True, timeout=120)
    assert b'wait: -1 ECHILD' in ref.stdout and b'SIGCHLD received: 0' in ref.stdout
    ours = run_nbemu_cli(['--cache-dir', str(cache), '--jit=auto', '--jit-threshold=50',
                          '--stats', prog], env={'PATH': '/usr/bin:/bin'}, timeout=120)
    assert (ours.returncode, ours.stdout) == (ref.returncode, ref.stdout), ours.stderr[-2000:]
    # the worker ran: it compiled code for this run, or is still compiling what was left to it
    assert b'TBs compiled by numba: 0 ' not in ours.stderr or _workers_of(cache)
    deadline = time.monotonic() + 240
    while _workers_of(cache) and time.monotonic() < deadline:
        time.sleep(0.5)
