"""Translated code is invalidated when the guest changes it.

Three levels:
- Machine: hand-assembled guest code stores to its own page (the next instruction, a loop's own
  first instruction, a page-crossing STR/STP whose bytes land on a second code page) and the
  new instructions must be what runs; Python-side writes, mprotect and munmap drop TBs too.
- Emulator API: the `smc` corpus program (RWX patching, a self-patching function, mprotect
  W^X cycles, munmap/mmap/mremap at the same address, page-crossing stores, memcpy and read(2)
  into code) in each --jit mode, plus 'auto' with a synchronous tier-up so that compiled TBs
  are certainly installed before the guest patches them. Its stdout and status must match qemu-aarch64, and the TBs it
  translated must show each patched address retranslated with the new words, in order.
- CLI: --stats and -d in_asm agree and show retranslation.
(The corpus test runs `smc` under the CLI in every mode as well, from programs.py.)
"""
import re
import struct
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from conftest import GUEST, run_nbemu_cli

from nbemu.core import cpu
from nbemu.runtime.memory import PAGE_SIZE, Memory

BIN = GUEST / 'bin' / 'smc'
CODE = 0x10000
GUEST_ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': '/nonexistent'}

# ----- A64 encodings used below -----
NOP = 0xd503201f
RET = 0xd65f03c0
SVC0 = 0xd4000001
DC_CVAU_X0 = 0xd50b7b20
IC_IVAU_X0 = 0xd50b7520
DSB_ISH = 0xd5033b9f
ISB = 0xd5033fdf
STR_W1_X0 = 0xb9000001
SUBS_W1 = 0x71000421
BNE_BACK2 = 0x54ffffc1          # b.ne .-8


def movz_x(rd, imm):
    return 0xd2800000 | imm << 5 | rd


def add_xi(rd, rn, imm):
    return 0x91000000 | imm << 10 | rn << 5 | rd


def subs_xi(rd, rn, imm):
    return 0xf1000000 | imm << 10 | rn << 5 | rd


def str_w(rt, rn):
    return 0xb9000000 | rn << 5 | rt


def str_x(rt, rn):
    return 0xf9000000 | rn << 5 | rt


def stp_x(rt, rt2, rn):
    return 0xa9000000 | rt2 << 10 | rn << 5 | rt


def bl(offset):
    return 0x94000000 | (offset >> 2) & 0x3ffffff


def b_ne(offset):
    return 0x54000001 | ((offset >> 2) & 0x7ffff) << 5


def mov_w0(imm):
    return 0x52800000 | imm << 5


def add_w0(imm):
    return 0x11000000 | imm << 10


def pack(words):
    return b''.join(struct.pack('<I', w) for w in words)


# ----- Machine level -----
MACHINE_MODES = ('off', 'all', 'auto-sync')


def make_machine(mode, cache_dir, code, pages=1, regs=(), prot=7):
    """A Machine over `pages` pages at CODE (RWX by default) holding code = {address: words}.
    'auto-sync': --jit=auto with every TB hot after one run and compiled synchronously, so the
    installed native code is what the guest then modifies."""
    from nbemu.runtime.machine import Machine
    mem = Memory(1 << 22)
    mem.map(CODE, pages * PAGE_SIZE, prot)
    for addr, words in code.items():
        mem.write(addr, pack(words), need=0)
    jit = 'auto' if mode == 'auto-sync' else mode
    m = Machine(mem, jit=jit, cache_dir=cache_dir, hot_threshold=1)
    m.installed = []
    if mode == 'auto-sync':
        sync_tier_up(m)
    for i, v in regs:
        m.state['x'][0, i] = v
    m.state['sp'] = CODE + pages * PAGE_SIZE - 0x100
    m.state['pc'] = CODE
    return m


def sync_tier_up(m):
    """Make the 'auto' tier-up synchronous and record which TB rows got native code."""
    def submit(row):
        m._install(row, m.epoch, m.compiler.compile(m.tbc.meta[row]))
        if m.tbc.tbs[row, 4]:
            m.installed.append(row)
    m._submit_hot = submit


def run_to_svc(m):
    reason = m.run()
    assert reason == cpu.EXIT_SYSCALL, f'exit {reason} at pc {m.pc:#x}'
    return m


def x(m, i):
    return int(m.state['x'][0, i])


def translations(m):
    """(pc, first word) of every TB row translated so far, live or not."""
    return [(t.pc, t.insns[0].word) for t in m.tbc.meta]


@pytest.mark.parametrize('mode', MACHINE_MODES)
def test_store_changes_next_instruction(mode, cache_dir):
    """STR to the instruction two ahead in the same TB: the new instruction runs."""
    m = make_machine(mode, cache_dir, {CODE: [
        str_w(1, 0),            # 0: *(u32 *)x0 = w1     (x0 = CODE + 8)
        NOP,                    # 4
        movz_x(2, 1),           # 8: mov x2, #1  -> replaced by mov x2, #2
        SVC0,                   # 12
    ]}, regs=[(0, CODE + 8), (1, movz_x(2, 2))])
    run_to_svc(m)
    assert x(m, 2) == 2
    assert m.pc == CODE + 16
    assert int(m.state['icount'][0]) == 4
    assert m.mem.read(CODE + 8, 4) == pack([movz_x(2, 2)])
    # the TB at CODE was dropped and the rest retranslated from the new bytes
    assert translations(m) == [(CODE, str_w(1, 0)), (CODE + 4, NOP)]
    assert m.tbc.live == [False, True]
    assert m.tbc.meta[1].insns[1].word == movz_x(2, 2)


@pytest.mark.parametrize('mode', MACHINE_MODES)
def test_loop_patches_its_own_first_instruction(mode, cache_dir):
    """A self-looping TB (compiled as a loop inside one function under --jit=all) whose body
    stores a new instruction over its own first instruction: the next iteration runs it."""
    m = make_machine(mode, cache_dir, {CODE: [
        add_xi(2, 2, 1),        # 0: L: add x2, x2, #1   -> add x2, x2, #100 after the store
        str_w(1, 0),            # 4: *(u32 *)x0 = w1    (x0 = CODE)
        subs_xi(3, 3, 1),       # 8
        b_ne(-12),              # 12: b.ne L
        SVC0,                   # 16
    ]}, regs=[(0, CODE), (1, add_xi(2, 2, 100)), (3, 4)])
    run_to_svc(m)
    assert x(m, 2) == 1 + 3 * 100
    assert x(m, 3) == 0
    assert int(m.state['icount'][0]) == 4 * 4 + 1
    starts = [t for t in translations(m) if t[0] == CODE]
    assert starts[0] == (CODE, add_xi(2, 2, 1))
    assert all(s == (CODE, add_xi(2, 2, 100)) for s in starts[1:]) and len(starts) == 4


@pytest.mark.parametrize('mode', MACHINE_MODES)
@pytest.mark.parametrize('kind', ['str-second-page', 'str-both-pages', 'stp-both-pages'])
def test_page_crossing_store(kind, mode, cache_dir):
    """A store that crosses from page A into page B must invalidate the code on B (and on A).
    Layout: driver at CODE, page A = CODE+0x1000, page B = CODE+0x2000. The driver calls F,
    patches F with one store that spans A and B, calls F again; F leaves its result in x2."""
    B = CODE + 2 * PAGE_SIZE       # page A is CODE + PAGE_SIZE
    if kind == 'str-second-page':
        # F at the start of B; the store's first half lands on A, which holds no code
        F, at = B, B - 4
        code = {F: [movz_x(2, 1), RET]}
        x1 = movz_x(2, 2) << 32 | NOP
        x3 = 0
        first, want = 1, 2
    elif kind == 'str-both-pages':
        # F straddles A and B: mov at the end of A, add + ret at the start of B
        F, at = B - 4, B - 4
        code = {F: [movz_x(2, 1), add_xi(2, 2, 1), RET]}
        x1 = add_xi(2, 2, 5) << 32 | movz_x(2, 10)
        x3 = 0
        first, want = 2, 15
    else:
        # F straddles A and B with two words on each; STP makes two 8-byte stores, one per page
        F, at = B - 8, B - 8
        code = {F: [movz_x(2, 1), NOP, NOP, RET]}
        x1 = NOP << 32 | movz_x(2, 20)
        x3 = RET << 32 | add_xi(2, 2, 7)
        first, want = 1, 27
    store = stp_x(1, 3, 0) if kind.startswith('stp') else str_x(1, 0)
    driver = [
        bl(F - CODE),           # 0: call F (its TBs are now translated)
        add_xi(4, 2, 0),        # 4: x4 = F's first result
        store,                  # 8: patch F across the page boundary
        bl(F - (CODE + 12)),    # 12: call F again
        SVC0,                   # 16
    ]
    m = make_machine(mode, cache_dir, {**code, CODE: driver}, pages=3,
                     regs=[(0, at), (1, x1), (3, x3)])
    run_to_svc(m)
    assert x(m, 4) == first
    assert x(m, 2) == want, 'stale code ran after a page-crossing store'


@pytest.mark.parametrize('mode', ['off', 'all'])
def test_python_side_changes_invalidate(mode, cache_dir):
    """Writes by the runtime (syscalls, the loader), mprotect without PROT_EXEC, munmap and a
    fresh mapping at the same address all drop the TBs of the page."""
    from nbemu.runtime.tbcache import tb_lookup

    def lookup(m, pc):
        return int(tb_lookup(m.tbc.table, m.tbc.tbs, np.uint64(pc)))

    m = make_machine(mode, cache_dir, {CODE: [movz_x(2, 1), SVC0]})
    run_to_svc(m)
    assert x(m, 2) == 1 and lookup(m, CODE) >= 0 and (CODE >> 12) in m.mem.code_pages

    m.mem.write(CODE, pack([movz_x(2, 2)]))          # e.g. read(2) into the code page
    assert lookup(m, CODE) < 0 and (CODE >> 12) not in m.mem.code_pages
    m.pc = CODE
    assert x(run_to_svc(m), 2) == 2

    m.mem.protect(CODE, PAGE_SIZE, 3)                # RX -> RW
    assert lookup(m, CODE) < 0
    m.mem.write(CODE, pack([movz_x(2, 3)]))
    m.mem.protect(CODE, PAGE_SIZE, 5)                # RW -> RX
    m.pc = CODE
    assert x(run_to_svc(m), 2) == 3

    m.mem.protect(CODE, PAGE_SIZE, 7)                # RX -> RWX keeps the TBs (still executable)
    assert lookup(m, CODE) >= 0

    m.mem.unmap(CODE, PAGE_SIZE)
    assert lookup(m, CODE) < 0 and not m.mem.code_pages
    m.mem.map(CODE, PAGE_SIZE, 5)
    m.mem.write(CODE, pack([movz_x(2, 4), SVC0]), need=0)
    m.pc = CODE
    assert x(run_to_svc(m), 2) == 4

    m.mem.map(CODE, PAGE_SIZE, 5)                    # MAP_FIXED over live code
    assert lookup(m, CODE) < 0
    m.mem.write(CODE, pack([movz_x(2, 5), SVC0]), need=0)
    m.pc = CODE
    assert x(run_to_svc(m), 2) == 5
    m.close()


# ----- the smc guest program through the Emulator API -----
@pytest.fixture(scope='module')
def qemu_smc(qemu):
    r = subprocess.run([qemu, str(BIN)], capture_output=True, env=GUEST_ENV,
                       stdin=subprocess.DEVNULL, timeout=600)
    assert r.returncode == 0, r.stdout.decode()
    return r


def run_smc(mode, tmp_path, cache_dir, sync=False, hot_threshold=None):
    from nbemu.emulator import Emulator
    out = tmp_path / f'stdout-{mode}{"-sync" if sync else ""}'
    seen = []
    with open(out, 'wb') as f:
        emu = Emulator(str(BIN), argv=[str(BIN)], env=GUEST_ENV, jit=mode, cache_dir=cache_dir,
                       stdin=None, stdout=f.fileno(), hot_threshold=hot_threshold)
        m = emu.machine
        m.installed = []
        if sync:
            sync_tier_up(m)
        m.on_translate = lambda tb: seen.append((tb.pc, tuple(i.word for i in tb.insns)))
        status = emu.run()
    return status, out.read_bytes(), seen, m


def assert_retranslated(seen, *expected):
    """Some code address was translated with each of `expected` (prefixes of the TB's words) in
    this order, possibly among other translations of it."""
    by_pc = defaultdict(list)
    for pc, words in seen:
        by_pc[pc].append(words)
    want = [tuple(e) for e in expected]
    for pc, versions in by_pc.items():
        i = 0
        for words in versions:
            if i < len(want) and words[:len(want[i])] == want[i]:
                i += 1
        if i == len(want):
            return pc
    pytest.fail(f'no address was translated as {[[hex(w) for w in e] for e in want]}')


def assert_insn_versions(seen, words):
    """Some instruction address was translated as each of `words` in this order (in whichever
    TBs contain it)."""
    by_pc = defaultdict(list)
    for pc, tb_words in seen:
        for i, w in enumerate(tb_words):
            by_pc[pc + 4 * i].append(w)
    for pc, versions in by_pc.items():
        i = 0
        for w in versions:
            if i < len(words) and w == words[i]:
                i += 1
        if i == len(words):
            return pc
    pytest.fail(f'no instruction address was translated as {[hex(w) for w in words]}')


def check_smc_translations(seen):
    # 1. rwx patching: 6 rounds, then 4 patches during one call loop
    assert_retranslated(seen, *[(mov_w0(k), RET) for k in range(1, 7)],
                        *[(mov_w0(k), RET) for k in range(100, 104)])
    # 2. the self-looping block: add w0, w0, #k; subs w1, w1, #1; b.ne
    assert_retranslated(seen, *[(add_w0(k), SUBS_W1, BNE_BACK2) for k in range(1, 6)])
    # 3. the function that patches its own instruction: retranslated after every call
    # the ISB before the patched instruction ends the TB (as in QEMU), so the patched address is
    # first translated after the first patch: the original mov #7 never is
    assert_insn_versions(seen, [mov_w0(200 + i % 4) for i in range(24)])
    # 4. mprotect RW <-> RX cycles
    assert_retranslated(seen, *[(mov_w0(10 + r), add_w0(r), RET) for r in range(4)])
    # 5. munmap/mmap, MAP_FIXED over code, mremap over code
    assert_retranslated(seen, *[(mov_w0(k), RET) for k in (20, 21, 22, 30, 31, 32)])
    # 6. page-crossing stores: f (second page only), h and g (both pages, STR and STP)
    assert_retranslated(seen, *[(mov_w0(40 + r), RET) for r in range(4)])
    assert_retranslated(seen, *[(add_w0(r + 1), RET) for r in range(4)])
    assert_retranslated(seen, *[(add_w0(2 * r + 1 if r else 2), RET) for r in range(4)])
    assert_retranslated(seen, *[(mov_w0(50 + 10 * r),) for r in range(4)])
    assert_retranslated(seen, (mov_w0(70), add_w0(1)),
                        *[(mov_w0(70 + 10 * r), add_w0(r)) for r in range(1, 4)])
    # 7. a function straddling two pages, rewritten by read(2) and by memcpy (STP Q)
    assert_retranslated(seen, *[(mov_w0(7 * r), add_w0(1 + r)) for r in range(4)])
    assert_retranslated(seen, *[(add_w0(6 + r), add_w0(7 + r)) for r in range(4)])


@pytest.mark.parametrize('mode', ['off', 'auto', 'all'])
def test_smc_program(mode, qemu_smc, tmp_path, cache_dir):
    status, out, seen, m = run_smc(mode, tmp_path, cache_dir)
    assert out == qemu_smc.stdout
    assert status == 0
    check_smc_translations(seen)
    assert m.tbc.translated == len(seen)
    assert len(seen) - len({pc for pc, _ in seen}) >= 60


def test_smc_program_compiled_code_invalidated(qemu_smc, tmp_path, cache_dir):
    """--jit=auto with tier-up made synchronous: the patched functions run as native code
    before each patch, and that native code is dropped by the patch."""
    status, out, seen, m = run_smc('auto', tmp_path, cache_dir, sync=True, hot_threshold=50)
    assert out == qemu_smc.stdout
    assert status == 0
    check_smc_translations(seen)
    dropped = [m.tbc.meta[row] for row in m.installed if not m.tbc.live[row]]
    words = {t.insns[0].word for t in dropped}
    # the rwx function was hot and compiled in every round, then patched
    assert {mov_w0(k) for k in range(1, 7)} <= words
    # so was the mprotect'ed one
    assert {mov_w0(10 + r) for r in range(4)} <= words


# ----- CLI -----
def test_smc_cli_stats_show_retranslation(qemu_smc, tmp_path):
    log = tmp_path / 'in_asm.log'
    r = run_nbemu_cli(['--jit=off', '--stats', '-d', 'in_asm', '-D', str(log), str(BIN)],
                      env=GUEST_ENV)
    assert r.returncode == 0, r.stderr.decode(errors='replace')[-3000:]
    assert r.stdout == qemu_smc.stdout
    m = re.search(rb'TBs translated: (\d+)', r.stderr)
    assert m, r.stderr.decode(errors='replace')
    translated = int(m.group(1))
    starts = re.findall(r'IN: *\n0x([0-9a-f]+):', log.read_text())
    assert translated == len(starts)
    assert translated - len(set(starts)) >= 60


if __name__ == '__main__':
    sys.exit(pytest.main([__file__] + sys.argv[1:]))
