"""plugins/inline.py and plugins/reset.py check themselves (counts three ways; completion order
and staleness across resets and an uninstall); these tests run them and check their verdicts,
and inline.py's counts against qemu-aarch64's own bb and mem plugins."""
import re

import pytest

from conftest import GUEST
from test_plugins import (BIN, PLUGINS, _args, _dc_zva_executions, qemu_plugins,  # noqa: F401
                          run_nbemu, run_qemu)

COUNTS = re.compile(r'^(tb|insn|mem): (\d+) \(callback\), (\d+) \(scoreboard\), (\d+) \(inline\)$',
                    re.M)


def inline_counts(stderr):
    got = {k: (int(a), int(b), int(c)) for k, a, b, c in COUNTS.findall(stderr)}
    assert set(got) == {'tb', 'insn', 'mem'} and 'inline: counts agree' in stderr, stderr
    assert all(len(set(v)) == 1 for v in got.values())
    return {k: v[0] for k, v in got.items()}


@pytest.mark.parametrize('name', ['hello', 'sprintf'])
def test_inline_counts_agree_and_match_qemu(name, qemu, qemu_plugins, cache_dir, tmp_path):
    binary = BIN / name
    args = _args(name, tmp_path)
    n = run_nbemu(f'{PLUGINS}/inline.py', binary, args)
    assert n.returncode == 0, n.stderr
    ours = inline_counts(n.stderr)
    bb = run_qemu(qemu, f'{qemu_plugins}/libbb.so', binary, args).stderr
    mem = run_qemu(qemu, f'{qemu_plugins}/libmem.so,callback=on', binary, args).stderr
    tbs, insns = map(int, re.search(r"bb's: (\d+), insns: (\d+)", bb).groups())
    accesses = int(re.search(r'callback mem accesses: (\d+)', mem).group(1))
    zva = _dc_zva_executions(qemu, binary, args, tmp_path)     # qemu 7.2 does not report them
    assert ours == {'tb': tbs, 'insn': insns, 'mem': accesses + zva}


def test_inline_in_compiled_code(qemu, qemu_plugins, cache_dir):
    """memops (one access of each kind, LSE atomics included: -cpu max) with every TB compiled
    counts what the interpreter counts."""
    binary = GUEST / 'asm' / 'bin' / 'memops'
    off = inline_counts(run_nbemu(f'{PLUGINS}/inline.py', binary, extra=['-cpu', 'max']).stderr)
    n = run_nbemu(f'{PLUGINS}/inline.py', binary, jit='all', extra=['-cpu', 'max', '--stats'])
    assert inline_counts(n.stderr) == off and off['mem'] > 0
    assert int(re.search(r'compiled TB executions: (\d+)', n.stderr).group(1)) > 0


def reset_report(stderr, resets):
    lines = [ln for ln in stderr.splitlines() if ln.startswith('reset:')]
    assert not [ln for ln in lines if 'STALE' in ln], stderr
    phases = [tuple(map(int, m)) for m in
              re.findall(r'^reset: phase (\d+): (\d+) tbs, (\d+) insns, (\d+) mem$', stderr, re.M)]
    assert [p[0] for p in phases] == list(range(resets + 1)), stderr
    assert lines[-1] == 'reset: done, order ok', stderr
    return phases


@pytest.mark.parametrize('jit', ['off', 'auto'])
def test_reset_then_uninstall(jit, cache_dir):
    extra = ['--jit-sync', '--jit-threshold=20'] if jit == 'auto' else []
    n = run_nbemu(f'{PLUGINS}/reset.py,resets=4,every=100', BIN / 'hello', jit=jit, extra=extra)
    assert n.returncode == 0 and n.stdout == 'Hello, world!\n', n.stderr
    phases = reset_report(n.stderr, 4)
    # a phase ends with the TB whose callback asked: exactly `every` TB callbacks each
    assert all(tbs == 100 and insns > 100 and mem > 0 for _p, tbs, insns, mem in phases)


def test_reset_plugin_reports_program_end_before_uninstall(cache_dir):
    n = run_nbemu(f'{PLUGINS}/reset.py,resets=1000,every=100', BIN / 'hello')
    assert n.returncode == 0, n.stderr
    assert re.search(r'^reset: program ended in phase \d+, before the uninstall$', n.stderr,
                     re.M), n.stderr
