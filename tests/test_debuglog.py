"""`-d exec,cpu` (a client of the plugin API, nbemu/debuglog.py) against qemu-aarch64's own
`-d exec,cpu,nochain`, one instruction per TB on both sides: the same sequence of executed pcs
and, where no address of the host's choosing is involved, the same registers before each one.

Stack addresses differ between the two (each picks its own stack top): a register value within
1 MiB of the first dump's SP is compared as an offset from it. Programs whose registers also
hold an mmap result (mem), bytes of the environment (stack) or the signal trampoline's return
address (sig) are compared on the pcs inside the program (the trampoline is each emulator's own). NZCV is not compared: qemu-aarch64 starts a process with
Z set, Linux (and nbemu) with NZCV clear.
"""
import re
import subprocess

import pytest

from conftest import GUEST, run_nbemu_cli

ASM = GUEST / 'asm' / 'bin'
# one variable: qemu-aarch64 7.2 hands the guest its environment in reverse order, Linux and
# nbemu in order, and `stack` prints it
ENV = {'PATH': '/usr/bin:/bin'}
IMAGE_END = 0x1000000       # the asm programs are linked at 0x400000
DUMP = re.compile(r'Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/[0-9a-f]+/[0-9a-f]+\] ?\n'
                  r' PC=([0-9a-f]+) (.*?)SP=([0-9a-f]+)\nPSTATE=', re.S)


def _dumps(text):
    """[(trace pc, dump pc, (x0..x30), sp)] with stack addresses relative to the first SP."""
    out = []
    sp0 = None
    for m in DUMP.finditer(text):
        sp = int(m.group(4), 16)
        sp0 = sp if sp0 is None else sp0

        def norm(v):
            return ('stack', v - sp0) if abs(v - sp0) < (1 << 20) else v
        xs = [int(v, 16) for v in re.findall(r'X\d\d=([0-9a-f]{16})', m.group(3))]
        assert len(xs) == 31
        out.append((int(m.group(1), 16), int(m.group(2), 16), tuple(map(norm, xs)), norm(sp)))
    return out


@pytest.mark.parametrize('jit', ['off', 'all'])
@pytest.mark.parametrize('prog,registers', [('hello', True), ('exit42', True), ('memops', True),
                                            ('mem', False), ('stack', False), ('sig', False)])
def test_d_exec_cpu_matches_qemu(qemu, prog, registers, jit):
    path = str(ASM / prog)
    ref = subprocess.run([qemu, '-cpu', 'cortex-a53', '-singlestep', '-d', 'exec,cpu,nochain',
                          path], capture_output=True, text=True, timeout=120, env=ENV)
    got = run_nbemu_cli([f'--jit={jit}', '-cpu', 'cortex-a53', '-singlestep', '-d', 'exec,cpu',
                         path], env=ENV)
    assert got.returncode == ref.returncode and got.stdout.decode() == ref.stdout
    want, have = _dumps(ref.stderr), _dumps(got.stderr.decode())
    assert len(want) > 2 and all(t == p for t, p, _, _ in have)
    if not registers:
        # the signal trampoline is each emulator's own code, at an address of its choosing
        want = [w[:2] for w in want if w[0] < IMAGE_END]
        have = [h[:2] for h in have if h[0] < IMAGE_END]
    assert have == want


def test_d_in_asm_lists_each_translated_instruction(qemu):
    path = str(ASM / 'memops')
    ref = subprocess.run([qemu, '-cpu', 'cortex-a53', '-d', 'in_asm', path],
                         capture_output=True, text=True, timeout=120)
    got = run_nbemu_cli(['--jit=off', '-cpu', 'cortex-a53', '-d', 'in_asm', path])

    def insns(text):
        return [(int(a, 16), int(w, 16))
                for a, w in re.findall(r'^0x([0-9a-f]{8,16}):  ([0-9a-f]{8}) ', text, re.M)]
    # qemu lists each TB once when it translates it, as nbemu does; TB sizes may differ, the
    # set of instructions translated may not
    assert got.returncode == ref.returncode
    assert sorted(set(insns(got.stderr.decode()))) == sorted(set(insns(ref.stderr)))
