"""FEAT_FP16 as a whole program sees it, against qemu-aarch64 under each CPU model.

tests/guest/bin/fp16 runs every class of half-precision instruction on inputs with denormals,
infinities and NaNs under FPCR values with FZ16, FZ, DN, AHP and each rounding mode, and prints
each result with X0, FPSR and NZCV; before them the Armv8.0 half conversions (FCVT, FCVTL,
FCVTN) and what MSR FPCR keeps. The models with FP16 (neoverse-n1, max) must print exactly what
qemu-aarch64 prints; the Cortex-A models, which lack it, must run the Armv8.0 part as qemu does
and then get SIGILL at the first FP16 instruction, FADD h0, h1, h2."""
import subprocess

import pytest

from conftest import GUEST, run_nbemu_cli

PROG = GUEST / 'bin' / 'fp16'
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C'}
FP16_MODELS = {'max', 'neoverse-n1'}


def run_qemu(qemu, cpu):
    return subprocess.run([qemu, '-cpu', cpu, str(PROG)], capture_output=True, env=ENV,
                          stdin=subprocess.DEVNULL, timeout=300)


@pytest.mark.parametrize('cpu', ['cortex-a53', 'cortex-a57', 'cortex-a72', 'neoverse-n1',
                                 'max'])
def test_fp16_program_matches_qemu(qemu, cpu, cache_dir):
    r = run_nbemu_cli(['--jit=off', '-cpu', cpu, str(PROG)], env=ENV)
    ref = run_qemu(qemu, cpu)
    assert r.stdout == ref.stdout
    lines = r.stdout.decode().splitlines()
    if cpu in FP16_MODELS:
        assert r.returncode == ref.returncode == 0, r.stderr.decode(errors='replace')
        assert lines[0] == 'fpcr writable 0x7ff0000'           # FZ16 is there
        assert len(lines) > 4000
    else:
        assert r.returncode == ref.returncode == -4, r.stderr.decode(errors='replace')
        assert b'(fadd h0, h1, h2)' in r.stderr
        assert lines[0] == 'fpcr writable 0x7f70000'           # FZ16 is RES0
        assert lines[-1].startswith('fcvtn ')                  # the Armv8.0 part ran
