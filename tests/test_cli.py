"""The command line: qemu-style options, and clear one-line errors (never a traceback)."""
import os
import shutil

import pytest

from conftest import GUEST, run_nbemu_cli

HELLO = GUEST / 'bin' / 'hello'


def no_traceback(r):
    assert b'Traceback' not in r.stderr, r.stderr.decode(errors='replace')


def test_version():
    r = run_nbemu_cli(['-version'])
    assert r.returncode == 0 and r.stdout.startswith(b'nbemu version ')


def test_help_lists_qemu_and_nbemu_options():
    r = run_nbemu_cli(['-h'])
    assert r.returncode == 0
    for opt in (b'-L', b'-strace', b'-one-insn-per-tb', b'--jit', b'--stats', b'--precompile'):
        assert opt in r.stdout


def test_debug_help_and_unknown_item():
    r = run_nbemu_cli(['-d', 'help'])
    assert r.returncode == 0 and b'in_asm' in r.stdout and b'op' in r.stdout
    r = run_nbemu_cli(['-d', 'bogus', str(HELLO)])
    assert r.returncode == 1 and b"unknown -d item 'bogus'" in r.stderr
    no_traceback(r)


def test_cpu_help_and_unknown_model():
    out = run_nbemu_cli(['-cpu', 'help']).stdout
    for model in (b'max', b'cortex-a53', b'cortex-a57', b'cortex-a72', b'neoverse-n1'):
        assert b'  ' + model + b'\n' in out
    r = run_nbemu_cli(['-cpu', 'pentium', str(HELLO)])
    assert r.returncode == 1 and b'unable to find CPU model' in r.stderr
    no_traceback(r)


def test_emulator_cpu_argument():
    """The Python API takes the model as `cpu`, as the CLI's -cpu (the effect of each model is
    tested in tests/test_hwcaps.py and tests/isa/test_ldst.py)."""
    from nbemu.emulator import Emulator, LoadError
    from nbemu.gen import features
    with pytest.raises(LoadError, match='unable to find CPU model'):
        Emulator(str(HELLO), cpu='pentium')
    with Emulator(str(HELLO), jit='off', cpu='cortex-a53') as emu:
        assert emu.cpu_model is features.MODELS['cortex-a53']
        assert emu.machine.dec.model is emu.cpu_model


def test_no_program_prints_usage():
    r = run_nbemu_cli([])
    assert r.returncode == 1 and b'usage' in r.stderr.lower()


@pytest.mark.parametrize('kind', ['missing', 'directory', 'random', 'truncated', 'x86_64', 'empty'])
def test_bad_program_file(kind, tmp_path):
    path = tmp_path / 'prog'
    if kind == 'missing':
        pass
    elif kind == 'directory':
        path.mkdir()
    elif kind == 'random':
        path.write_bytes(os.urandom(4096))
    elif kind == 'truncated':
        path.write_bytes(HELLO.read_bytes()[:100])
    elif kind == 'x86_64':
        shutil.copy('/bin/true', path)
    elif kind == 'empty':
        path.write_bytes(b'')
    r = run_nbemu_cli([str(path)])
    no_traceback(r)
    assert r.returncode == 1
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('nbemu: '), lines


def test_d_in_asm_and_op_log_to_file(tmp_path):
    log = tmp_path / 'log'
    r = run_nbemu_cli(['--jit=off', '-d', 'in_asm,op,page', '-D', str(log), str(HELLO)])
    assert r.returncode == 0 and r.stdout == b'Hello, world!\n'
    text = log.read_text()
    assert 'IN: ' in text and '@cfunc(' in text and 'Guest memory map' in text


def test_strace_logs_write_and_exit(tmp_path):
    r = run_nbemu_cli(['-strace', str(HELLO)])
    assert r.returncode == 0
    err = r.stderr.decode()
    assert 'write(1,' in err and 'exit_group(0)' in err


def test_stats_report():
    r = run_nbemu_cli(['--stats', str(HELLO)])
    assert r.returncode == 0
    assert b'instructions executed: ' in r.stderr and b'TBs translated: ' in r.stderr


def test_env_and_argv0_options(tmp_path):
    prog = GUEST / 'bin' / 'argv_env'
    r = run_nbemu_cli(['-E', 'NBEMU_TEST=from-cli', '-U', 'NBEMU_GONE', '-0', 'renamed', str(prog), 'a'],
                      env=dict(os.environ, NBEMU_GONE='1'))
    out = r.stdout.decode()
    assert 'renamed' in out and 'from-cli' in out and 'NBEMU_GONE' not in out
