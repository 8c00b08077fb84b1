"""prctl(PR_PAC_SET_ENABLED_KEYS = 60, PR_PAC_GET_ENABLED_KEYS = 61) as Linux arm64 has them
(since 5.13: arch/arm64/kernel/pointer_auth.c ptrauth_set_enabled_keys/ptrauth_get_enabled_keys,
the argument checks of kernel/sys.c), and PAC*/AUT* with a disabled key.

qemu-aarch64 7.2 cannot be the reference here: its linux-user prctl knows PR_PAC_RESET_KEYS but
not these two, and returns EINVAL for both (checked below), so under qemu every key stays
enabled. The expected output of tests/guest/bin/pac_enable is therefore written from Linux's
code and the Arm ARM: all four keys (IA, IB, DA, DB; the generic key has no enable bit) start
enabled (exec sets them all); SET changes only the keys in arg2, to enabled where arg3 has them;
EINVAL for a key outside IA..DB, for arg3 not within arg2 and for nonzero unused arguments; the
setting is per thread and fork copies it; with SCTLR_EL1.EnIA (..EnDB) clear, AddPACIA and
AuthIA return the pointer unchanged (so BLRAA/LDRAA go through it as it is) and PACGA still
works."""
import shutil
import struct
import subprocess

import pytest

from conftest import GUEST, run_nbemu_cli

from nbemu.core import cpu

PROG = GUEST / 'bin' / 'pac_enable'
_ON = '''  pacia signs pacib signs pacda signs pacdb signs
  autia round trip ok, corrupted error
  autdb round trip ok, unsigned error
  pacga nonzero
'''
EXPECTED = ('start: enabled 15\n' + _ON +
            '''disable IA, DB: 0
IA DB off: enabled 6
  pacia unchanged pacib signs pacda signs pacdb unchanged
  autia round trip ok, corrupted unchanged
  autdb round trip ok, unsigned unchanged
  pacga nonzero
blraa plain pointer with IA off: called 1
disable DA: 0
ldraa plain pointer with DA off: 0xabcdef
child: enabled 2
errors: -22 -22 -22 -22 -22 -22
unchanged: enabled 2
enable IA, keep DA off: 0
DA DB off: enabled 3
  pacia signs pacib signs pacda unchanged pacdb unchanged
  autia round trip ok, corrupted error
  autdb round trip ok, unsigned unchanged
  pacga nonzero
enable all: 0
all on: enabled 15
''' + _ON)


@pytest.mark.parametrize('mode', [['--jit=off'], ['--jit=auto', '--jit-sync',
                                                  '--jit-threshold=20']])
def test_program_behaves_as_linux(mode, cache_dir):
    r = run_nbemu_cli(mode + ['-cpu', 'max', str(PROG)], timeout=300)
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    assert r.stdout.decode() == EXPECTED


def test_qemu_returns_einval():
    """What qemu-aarch64 7.2 -cpu max does instead: EINVAL for both options, keys unchanged,
    so the BLRAA through a plain pointer then faults (SIGSEGV)."""
    qemu = shutil.which('qemu-aarch64')
    if qemu is None:
        pytest.skip('qemu-aarch64 is not installed')
    ref = subprocess.run([qemu, '-cpu', 'max', str(PROG)], capture_output=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    out = ref.stdout.decode()
    assert out.startswith('start: enabled -22\n' + _ON + 'disable IA, DB: -22\n')
    assert ref.returncode == -11


def test_without_pauth_einval(cache_dir):
    """Linux returns EINVAL without address authentication (system_supports_address_auth);
    under cortex-a72 the program's first PACIA is SIGILL, after the GET printed -22."""
    r = run_nbemu_cli(['--jit=off', '-cpu', 'cortex-a72', str(PROG)], timeout=300)
    assert r.returncode == -4
    assert r.stdout.decode() == 'start: enabled -22\n'


_MACHINES = {}


def _run(jit, words, x, disabled):
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    from tests.isa.harness import CACHE, CODE, PAC_KEYS
    if jit not in _MACHINES:
        mem = Memory(1 << 22)
        mem.map(CODE, 0x1000, 5)
        m = Machine(mem, jit=jit, cache_dir=CACHE, max_tb_insns=len(words))
        _MACHINES[jit] = (m, m.state.copy())
    m, pristine = _MACHINES[jit]
    m.flush()
    m.mem.write(CODE, b''.join(struct.pack('<I', w) for w in words) + bytes(4), need=0)
    m.state[:] = pristine
    m.state['pc'] = CODE
    m.state['pac_keys'][0] = PAC_KEYS
    m.state['pac_disabled'] = disabled
    for i, v in enumerate(x):
        m.state['x'][0, i] = v
    m.max_tb_insns = len(words)
    reason = m.run_one_tb()
    return reason, [int(v) for v in m.state['x'][0]], int(m.state['pc'][0])


@pytest.mark.parametrize('jit', ['off', 'all'])
def test_disabled_key_in_both_tiers(jit):
    """pacia x0, x1; autib x2, x1; pacdza x3; autdb x4, x1; pacga x5, x6, x1 with IA and DB
    disabled: x0 and x4 unchanged, x2 (a plain pointer through AUTIB) and x3 changed; then with
    every key on x0 changes. braa x0, x1 to a plain pointer branches there with IA off."""
    words = [0xDAC10020, 0xDAC11422, 0xDAC12BE3, 0xDAC11C24, 0x9AC130C5]
    p = 0x0000_7FFF_1234_5678
    x = [p, 0x55, p, p, p, 0, p]
    from tests.isa.harness import CODE
    reason, out, _ = _run(jit, words, x, 0b1001)
    assert reason == cpu.EXIT_NONE
    assert out[0] == p and out[4] == p
    assert out[2] != p and out[3] != p and out[5] != 0
    reason, out2, _ = _run(jit, words, x, 0)
    assert out2[0] != p and out2[4] != p
    assert out2[5] == out[5]                    # PACGA: no enable bit
    # braa x0, x1 (0xD71F0801) to CODE + 0x40, unsigned
    reason, _, pc = _run(jit, [0xD71F0801], [CODE + 0x40, 0x55], 0b0001)
    assert pc == CODE + 0x40
    reason, _, pc = _run(jit, [0xD71F0801], [CODE + 0x40, 0x55], 0)
    assert pc != CODE + 0x40                    # authentication failed: error bits set
