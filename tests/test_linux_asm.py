"""Whole-program tests on the hand-written assembly programs (tests/guest/asm): nbemu must print
the same stdout and end with the same status as qemu-aarch64. They exercise the loader's stack,
brk/mmap/mprotect/munmap/mremap/madvise, signal delivery and rt_sigreturn, and the default
actions of fatal signals, with a handful of simple instructions."""
import os
import subprocess
import tempfile

import pytest

from conftest import GUEST
from nbemu.emulator import Emulator

ASM = GUEST / 'asm' / 'bin'
ENV = {'A': '1'}     # one variable: qemu reverses the order of the environment, Linux does not
ARGS = ['first', 'two words', '']

# program -> the --jit modes to run it in ('all' compiles every TB: only for tiny programs)
PROGRAMS = {
    'exit42': ('off', 'all'),
    'hello': ('off', 'all'),
    'stack': ('off', 'auto'),
    'mem': ('off', 'auto'),
    'sig': ('off', 'auto'),
    'ill': ('off',),
    'abort': ('off',),
}


def status_of(returncode):
    return 128 - returncode if returncode < 0 else returncode


def run_qemu(qemu, prog):
    r = subprocess.run([qemu, str(ASM / prog)] + ARGS, capture_output=True, env=ENV,
                       stdin=subprocess.DEVNULL, timeout=120)
    return status_of(r.returncode), r.stdout, r.stderr


def run_nbemu(prog, jit, cache_dir):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            open(os.devnull, 'rb') as devnull:
        emu = Emulator(str(ASM / prog), argv=[str(ASM / prog)] + ARGS, env=ENV, jit=jit,
                       cache_dir=cache_dir, stdin=devnull.fileno(), stdout=out.fileno(),
                       stderr=err.fileno())
        status = emu.run()
        out.seek(0)
        err.seek(0)
        return status, out.read(), err.read(), emu


@pytest.mark.parametrize('prog,jit', [(p, j) for p, modes in PROGRAMS.items() for j in modes])
def test_asm_program_matches_qemu(prog, jit, qemu, cache_dir):
    ref_status, ref_out, ref_err = run_qemu(qemu, prog)
    status, out, err, emu = run_nbemu(prog, jit, cache_dir)
    assert out == ref_out
    assert status == ref_status, err.decode(errors='replace')
    if ref_status > 128:
        sig = ref_status - 128
        assert emu.term_signal == sig
        assert f'uncaught target signal {sig} '.encode() in err
        assert err.startswith(b'nbemu: ')
    else:
        assert emu.term_signal is None and err == b''


def test_expected_statuses():
    """The reference behaviour the programs were written for (independent of qemu)."""
    assert run_nbemu('exit42', 'off', None)[0] == 42
    status, out, err, _ = run_nbemu('sig', 'off', None)
    assert status == 128 + 5
    assert b'handler: signal 11\nhandler: si_code 1\nhandler: si_addr 16\n' in out
    assert b'resumed, x19 = 30583\n' in out
    assert b'in my restorer\nafter usr2\n' in out
    assert run_nbemu('abort', 'off', None)[0] == 134


def test_sigill_reports_the_instruction():
    status, out, err, emu = run_nbemu('ill', 'off', None)
    assert status == 132 and emu.term_signal == 4
    assert out == b'about to execute udf\n'
    lines = err.decode().splitlines()
    assert any('illegal instruction at pc 0x' in ln and '0x00000000' in ln and 'udf' in ln
               for ln in lines), lines
    assert lines[-1] == 'nbemu: uncaught target signal 4 (Illegal instruction) - core dumped'


def test_stats_after_run():
    _, _, _, emu = run_nbemu('mem', 'off', None)
    s = emu.stats
    assert s.syscalls > 20 and s.instructions > 100


SYSROOT = '/usr/aarch64-linux-gnu'


def test_dynamic_program_through_its_interpreter(qemu, cache_dir):
    """PT_INTERP: the interpreter from the -L sysroot is loaded and started first."""
    assert os.path.exists(SYSROOT + '/lib/ld-linux-aarch64.so.1'), \
        'needs the aarch64 sysroot from Debian libc6-dev-arm64-cross (make test installs it)'
    prog = ASM / 'dynhello'
    ref = subprocess.run([qemu, '-L', SYSROOT, str(prog)], capture_output=True, env=ENV,
                         stdin=subprocess.DEVNULL, timeout=120)
    with tempfile.TemporaryFile() as out:
        emu = Emulator(str(prog), argv=[str(prog)], env=ENV, jit='off', cache_dir=cache_dir,
                       sysroot=SYSROOT, stdout=out.fileno())
        interp = emu.program.interp
        assert interp is not None and interp.bias == dict(emu.program.auxv)[7]   # AT_BASE
        assert emu.program.entry == interp.entry != dict(emu.program.auxv)[9]  # AT_ENTRY
        status = emu.run()
        out.seek(0)
        assert out.read() == ref.stdout == b'hello through ld.so\n'
    assert status == ref.returncode == 7


def test_dynamic_program_without_sysroot_is_a_load_error(tmp_path):
    from nbemu.emulator import LoadError
    if os.path.exists('/lib/ld-linux-aarch64.so.1'):
        pytest.skip('this host has an aarch64 loader at the default path')
    with pytest.raises(LoadError, match='interpreter'):
        Emulator(str(ASM / 'dynhello'))
