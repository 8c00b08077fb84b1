"""Whole-program differential tests: every corpus program under nbemu in --jit=off and auto (and
the programs marked jit_all under --jit=all) must print the same stdout and stderr and exit with
the same status as under qemu-aarch64.

`auto` runs with --jit-sync, so a TB is compiled the moment it becomes hot and the rest of the run
really executes tier-1 code; --stats then shows how much compiled code ran and whether any
compile failed."""
import re
import subprocess
import sys

import pytest

from conftest import GUEST, run_nbemu_cli

sys.path.insert(0, str(GUEST))
import programs  # noqa: E402

BIN = GUEST / programs.BIN_DIR
SIGNAL_LINE = re.compile(rb'^(qemu|nbemu): uncaught target signal .*\n', re.M)
NBEMU_DIAG = re.compile(rb'^nbemu: .*\n', re.M)
STATS_BLOCK = re.compile(rb'^nbemu statistics:\n(?:  .*\n?)*\Z', re.M)
# auto compiles a TB after this many executions: above the default (200), so that only the
# really hot loops of the hot programs are compiled (each compile costs ~0.3 s of numba)
AUTO_THRESHOLD = 5000
MODE_FLAGS = {'off': ['--jit=off'],
              'auto': ['--jit=auto', '--jit-sync', f'--jit-threshold={AUTO_THRESHOLD}'],
              'all': ['--jit=all']}
RUNS = [(p['name'], mode) for p in programs.PROGRAMS
        for mode in ('off', 'auto', 'all') if mode != 'all' or p['jit_all']]


def guest_env(prog):
    env = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': '/nonexistent'}
    env.update(prog['env'])
    return env


def run_both_args(prog, tmp_path):
    d = tmp_path / 'work'
    d.mkdir(exist_ok=True)
    return [a.replace(programs.TMPDIR_PLACEHOLDER, str(d)) for a in prog['args']], d


def reset_dir(d):
    for p in sorted(d.rglob('*'), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()


def qemu_result(qemu, prog, args, workdir, tries=3):
    # qemu-aarch64 7.2 itself hangs now and then on a multi-threaded guest (thread_block, once
    # in a clean-clone run: no output in 600 s; it finishes in well under a second otherwise),
    # so a reference run that times out is tried again
    for attempt in range(tries):
        try:
            r = subprocess.run([qemu] + cpu_flags(prog) + [str(BIN / prog['binary'])] + args,
                               input=prog['stdin'],
                               stdin=None if prog['stdin'] is not None else subprocess.DEVNULL,
                               capture_output=True, env=guest_env(prog), cwd=workdir,
                               timeout=120)
            break
        except subprocess.TimeoutExpired:
            if attempt == tries - 1:
                raise
        finally:
            reset_dir(workdir)
    return r


def cpu_flags(prog):
    return ['-cpu', prog['cpu']] if prog.get('cpu') else []


def split_stats(err):
    """(stderr without the --stats block, {stat name: first number on its line})."""
    m = STATS_BLOCK.search(err)
    assert m, f'no --stats block in stderr: {err[-2000:]!r}'
    stats = {}
    for line in m.group(0).decode().splitlines()[1:]:
        name, _, value = line.strip().partition(': ')
        num = re.match(r'[\d.]+', value)
        if num and not name.startswith('compile error at'):
            stats[name] = float(num.group(0))
    return err[:m.start()], stats


def normalise_stderr(err):
    # the emulator's own report of a fatal signal names the emulator; nbemu adds diagnostics
    err = SIGNAL_LINE.sub(b'uncaught target signal\n', err)
    return NBEMU_DIAG.sub(b'', err)


@pytest.mark.parametrize('name, mode', RUNS)
def test_program_matches_qemu(name, mode, qemu, cache_dir, tmp_path):
    prog = programs.BY_NAME[name]
    args, workdir = run_both_args(prog, tmp_path)
    ref = qemu_result(qemu, prog, args, workdir)
    # the reference itself behaves as the corpus says (a broken qemu cannot pass for nbemu)
    assert ref.returncode == (-prog['signal'] if prog['signal'] else prog['exit_status'])
    assert normalise_stderr(ref.stderr) == normalise_stderr(prog['stderr'].encode())
    r = run_nbemu_cli(MODE_FLAGS[mode] + cpu_flags(prog) + ['--stats', str(BIN / prog['binary'])] + args,
                      stdin=prog['stdin'], env=guest_env(prog), cwd=workdir)
    err, stats = split_stats(r.stderr)
    assert r.returncode == ref.returncode, (
        f'exit status {r.returncode} != qemu {ref.returncode}\nstderr: {err.decode(errors="replace")[-3000:]}')
    assert r.stdout == ref.stdout
    assert normalise_stderr(err) == normalise_stderr(ref.stderr)
    if prog['signal'] and b'uncaught target signal' in ref.stderr:
        # qemu reports only core-dumping signals (SIGSEGV, SIGILL...), not SIGALRM or SIGTERM
        assert b'uncaught target signal %d' % prog['signal'] in err
    # which tier ran: off never compiles; all runs compiled code only; auto tiers up hot code
    assert stats['compile errors'] == 0, r.stderr.decode(errors='replace')[-3000:]
    if mode == 'off':
        assert stats['compiled TB executions'] == 0 and stats['hot TBs submitted for compiling'] == 0
    elif mode == 'all':
        assert stats['compiled TB executions'] > 0
    elif prog['hot']:
        assert stats['hot TBs submitted for compiling'] > 0
        assert stats['compiled TB executions'] > 0


def test_same_output_pairs(tmp_path):
    """Programs built from one source at different optimisation levels print the same output
    under nbemu (a compiler-independent check of the semantics both builds exercise)."""
    for a, b in programs.SAME_OUTPUT:
        outs = []
        for name in (a, b):
            prog = programs.BY_NAME[name]
            args, workdir = run_both_args(prog, tmp_path)
            r = run_nbemu_cli(['--jit=off', str(BIN / prog['binary'])] + args, stdin=prog['stdin'],
                              env=guest_env(prog), cwd=workdir)
            assert r.returncode == prog['exit_status'], r.stderr.decode(errors='replace')
            outs.append(r.stdout)
        assert outs[0] == outs[1] and len(outs[0]) > 100


def _trace_pcs(text):
    return re.findall(r'Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/', text)


# Instruction-count parity with qemu-aarch64, both sides with the same -cpu: cortex-a53 (qemu's
# default CPU advertises SVE, which nbemu does not have, so glibc would take other paths), and
# neoverse-n1 for the atomics programs, whose LSE paths need FEAT_LSE (atomics_lse is SIGILL on
# cortex-a53). glibc reads MIDR_EL1 (memmove's ifunc), DCZID_EL0 and AT_HWCAP, which nbemu's
# models give as qemu does. Programs that die by a signal are left out: qemu logs the faulting
# TB before it runs.
COUNTED = [p['name'] for p in programs.PROGRAMS if p['small'] and not p['signal']]
LSE_PROGRAMS = ('atomics_lse', 'atomics_outline')
COUNT_RUNS = ([(n, 'cortex-a53') for n in COUNTED if n != 'atomics_lse']
              + [(n, 'neoverse-n1') for n in LSE_PROGRAMS])
# Where the traces part for a known reason: (name, cpu) -> (instruction index, nbemu pc, qemu pc)
KNOWN_DIVERGENCE = {}


def _trace(cmd, prog, args, workdir, log):
    # qemu-aarch64 hands the guest its environment in reverse order, Linux (and nbemu) in order
    env = dict(reversed(guest_env(prog).items()))
    r = subprocess.run(cmd + ['-d', 'exec,nochain', '-D', str(log), str(BIN / prog['binary'])]
                       + args, input=prog['stdin'], capture_output=True, env=env,
                       stdin=None if prog['stdin'] is not None else subprocess.DEVNULL,
                       cwd=workdir, timeout=600)
    reset_dir(workdir)
    assert r.returncode == prog['exit_status'], r.stderr.decode(errors='replace')
    return _trace_pcs(log.read_text())


@pytest.mark.parametrize('name,cpu', COUNT_RUNS)
def test_instruction_count_against_qemu(name, cpu, qemu, cache_dir, tmp_path):
    """The same number of guest instructions as qemu-aarch64 with the same -cpu, and on a
    mismatch the first pc where the two traces part."""
    prog = programs.BY_NAME[name]
    args, workdir = run_both_args(prog, tmp_path)
    qemu_pcs = _trace([qemu, '-cpu', cpu, '-singlestep'], prog, args, workdir,
                      tmp_path / 'qemu.log')
    r = run_nbemu_cli(['--jit=off', '-cpu', cpu, '--stats', str(BIN / prog['binary'])] + args,
                      stdin=prog['stdin'], env=guest_env(prog), cwd=workdir)
    reset_dir(workdir)
    m = re.search(rb'instructions executed: (\d+)', r.stderr)
    assert r.returncode == prog['exit_status'] and m, r.stderr.decode(errors='replace')
    count = int(m.group(1))
    if count != len(qemu_pcs) or (name, cpu) in KNOWN_DIVERGENCE:
        log = tmp_path / 'nbemu.log'
        run_nbemu_cli(['--jit=off', '-cpu', cpu, '-one-insn-per-tb', '-d', 'exec,nochain', '-D', str(log),
                       str(BIN / prog['binary'])] + args, stdin=prog['stdin'],
                      env=guest_env(prog), cwd=workdir)
        nbemu_pcs = _trace_pcs(log.read_text())
        first = next((i for i, (x, y) in enumerate(zip(nbemu_pcs, qemu_pcs)) if x != y),
                     min(len(nbemu_pcs), len(qemu_pcs)))
        parted = (first, nbemu_pcs[first], qemu_pcs[first]) if first < min(len(nbemu_pcs), len(qemu_pcs)) else None
        if parted is not None and parted == KNOWN_DIVERGENCE.get((name, cpu)):
            return
        pytest.fail(f'{name}: nbemu ran {count} instructions ({len(nbemu_pcs)} traced), qemu '
                    f'{len(qemu_pcs)}; they part at #{first}: nbemu '
                    f'{nbemu_pcs[first:first + 1]}, qemu {qemu_pcs[first:first + 1]}')
