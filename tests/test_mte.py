"""FEAT_MTE: QEMU 7.2's own tests/tcg/aarch64 mte-1..mte-7 under nbemu -cpu max compared with
qemu-aarch64 -cpu max (stdout and exit status), in --jit=off and --jit=auto; and the tag
arithmetic of IRG, GMI, ADDG, SUBG and SUBP(S) against values worked out by hand from the Arm
ARM pseudocode (ChooseNonExcludedTag, SUBP's 56-bit sign extension): Unicorn 2.1 has no MTE
(IRG raises an exception there), so it cannot be the reference."""
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from conftest import run_nbemu_cli

from nbemu.core import cpu
from nbemu.gen.sem import mte

ROOT = pathlib.Path(__file__).resolve().parent.parent
QEMU_BIN = ROOT / 'tests' / 'qemu_tcg' / 'bin'
MODES = {'off': ['--jit=off'], 'auto': ['--jit=auto', '--jit-sync', '--jit-threshold=5']}


@pytest.mark.parametrize('mode', sorted(MODES))
@pytest.mark.parametrize('n', range(1, 8))
def test_qemu_mte_program(n, mode, tmp_path):
    qemu = shutil.which('qemu-aarch64')
    prog = QEMU_BIN / f'mte-{n}'
    if qemu is None:
        pytest.skip('qemu-aarch64 is not installed')
    if not prog.exists():
        pytest.skip(f'{prog} is not built (make -C tests/qemu_tcg)')
    ref = subprocess.run([qemu, '-cpu', 'max', str(prog)], capture_output=True, timeout=120,
                         cwd=tmp_path)
    assert ref.returncode == 0      # every one of them passes under qemu
    r = run_nbemu_cli(MODES[mode] + ['-cpu', 'max', str(prog)], cwd=tmp_path, timeout=300)
    assert (r.returncode, r.stdout) == (ref.returncode, ref.stdout), r.stderr.decode()


@pytest.mark.parametrize('mode', ['off'])
def test_no_mte_on_cortex_a72(mode, tmp_path):
    """Without FEAT_MTE2 the prctl's MTE bits are EINVAL, as qemu-aarch64 says."""
    qemu = shutil.which('qemu-aarch64')
    prog = QEMU_BIN / 'mte-1'
    if qemu is None or not prog.exists():
        pytest.skip('qemu-aarch64 or mte-1 missing')
    ref = subprocess.run([qemu, '-cpu', 'cortex-a72', str(prog)], capture_output=True,
                         timeout=120, cwd=tmp_path)
    r = run_nbemu_cli(MODES[mode] + ['-cpu', 'cortex-a72', str(prog)], cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (ref.returncode, ref.stdout, ref.stderr)


@pytest.mark.parametrize('tag, offset, exclude, want', [
    (0, 0, 0x0000, 0),          # nothing excluded: the tag itself
    (3, 0, 0x0008, 4),          # 3 excluded: the next one
    (15, 0, 0x8001, 1),         # wraps past 15, skipping 0
    (5, 1, 0x0000, 6),
    (5, 3, 0x0040, 9),          # 6 skipped: 7, 8, 9
    (14, 2, 0x0001, 1),         # 15, then 0 is excluded: 1
    (7, 0, 0xFFFF, 0),          # all excluded: 0
    (7, 5, 0xFFFF, 0),
    (0, 15, 0xFFFE, 0),         # only 0 allowed
    (9, 0, 0xFFFE, 0),
])
def test_choose_non_excluded_tag(tag, offset, exclude, want):
    assert int(mte.choose_non_excluded_tag(np.uint64(tag), np.uint64(offset),
                                           np.uint64(exclude))) == want


def _state(exclude=0):
    st = cpu.new_state()
    st['mte_ctrl'] = exclude << cpu.MTE_EXCL_SHIFT
    return st, np.uint64(st.ctypes.data)


def test_gmi():
    st, c = _state()
    st['x'][0, 1] = 0x0A00_0000_0000_1000
    st['x'][0, 2] = 0x1
    mte.gmi(c, 3, 1, 2)
    assert int(st['x'][0, 3]) == 0x401
    st['sp'] = 0xF100_0000_0000_0000         # Xn is SP for register 31; only bits 59:56 count
    mte.gmi(c, 4, 31, 2)
    assert int(st['x'][0, 4]) == 0x3


def test_irg_respects_both_exclude_masks():
    # Xm<15:0> | GCR_EL1.Exclude leave only tag 6: every IRG must give it
    st, c = _state(exclude=0xFF00)
    st['x'][0, 1] = 0x0F00_0000_0000_2340
    st['x'][0, 2] = 0xFFFF_0000_0000_00BF    # bits above 15 are not part of the mask
    for _ in range(20):
        mte.irg(c, 0, 1, 2)
        assert int(st['x'][0, 0]) == 0x0600_0000_0000_2340
    # all excluded: tag 0
    st['x'][0, 2] = 0xFF
    mte.irg(c, 0, 1, 2)
    assert int(st['x'][0, 0]) == 0x0000_0000_0000_2340


def test_irg_tags_vary_and_avoid_excluded():
    st, c = _state(exclude=0x0001)            # Linux's usual: tag 0 excluded
    st['x'][0, 1] = 0x1000
    st['x'][0, 2] = 0x0002                    # and 1 by Xm
    seen = set()
    for _ in range(200):
        mte.irg(c, 0, 1, 2)
        v = int(st['x'][0, 0])
        assert v & ~(0xF << 56) == 0x1000
        seen.add(v >> 56)
    assert seen == set(range(2, 16))


def test_addg_subg():
    st, c = _state(exclude=0x0001)
    st['x'][0, 1] = 0x0E00_0000_0000_1000
    mte.addg(c, 2, 1, 0x3F0, 3, 0)            # ADDG x2, x1, #1008, #3: 15, (0 excl) 1, 2
    assert int(st['x'][0, 2]) == 0x0200_0000_0000_13F0
    mte.addg(c, 3, 1, 0x20, 0, 1)             # SUBG x3, x1, #32, #0: tag 14 kept
    assert int(st['x'][0, 3]) == 0x0E00_0000_0000_0FE0
    st['sp'] = 0x0000_0000_0000_0010
    mte.addg(c, 31, 31, 0x20, 1, 1)           # SUBG sp, sp, #32, #1: a borrow into the top
    assert int(st['sp'][0]) == 0xF1FF_FFFF_FFFF_FFF0   # byte, then bits 59:56 replaced (0 -> 1)


def test_subp_subps():
    st, c = _state()
    st['x'][0, 1] = 0x0500_0000_0000_2000
    st['x'][0, 2] = 0x0A00_0000_0000_1000
    mte.subp(c, 0, 1, 2, 0)
    assert int(st['x'][0, 0]) == 0x1000
    mte.subp(c, 0, 2, 1, 0)
    assert int(st['x'][0, 0]) == 2**64 - 0x1000
    st['nzcv'] = 0
    mte.subp(c, 3, 2, 1, 1)                   # SUBPS: negative, borrow (C clear)
    assert int(st['nzcv'][0]) >> 28 == 0b1000
    st['x'][0, 4] = 0x0080_0000_0000_0000     # bit 55 set: sign-extends (upper half)
    st['x'][0, 5] = 0x7F00_0000_0000_0000
    mte.subp(c, 6, 4, 5, 1)
    assert int(st['x'][0, 6]) == 0xFF80_0000_0000_0000
    st['x'][0, 7] = 0x0A00_0000_0000_3000
    mte.subp(c, 31, 7, 7, 1)                  # CMPP of equal addresses: Z and C
    assert int(st['nzcv'][0]) >> 28 == 0b0110
