"""TB chaining: successor links in the TB table are followed instead of the hash probe, never
lead to a dropped TB, and never stand in for a pc that has no TB."""
import pytest

from nbemu.core import cpu
from nbemu.runtime.memory import PAGE_SIZE, Memory
from nbemu.runtime.tbcache import NO_ROW, TB_L0, TB_L0_PC, TB_L1

from test_smc import CODE, SVC0, b_ne, movz_x, pack, subs_xi, sync_tier_up

BR_X0 = 0xd61f0000          # br x0


def b(offset):
    return 0x14000000 | ((offset >> 2) & 0x3FFFFFF)


def machine(mode, cache_dir, words, regs=()):
    from nbemu.runtime.machine import Machine
    mem = Memory(1 << 22)
    mem.map(CODE, PAGE_SIZE, 7)
    mem.write(CODE, pack(words), need=0)
    m = Machine(mem, jit='auto' if mode == 'auto-sync' else mode, cache_dir=cache_dir,
                hot_threshold=1)
    m.installed = []
    if mode == 'auto-sync':
        sync_tier_up(m)
    for i, v in regs:
        m.state['x'][0, i] = v
    m.pc = CODE
    return m


@pytest.mark.parametrize('mode', ['off', 'all', 'auto-sync'])
@pytest.mark.parametrize('target', [1, 0, 2**64 - 1])
def test_branch_to_a_pc_without_tb_misses(mode, target, cache_dir):
    """An empty link matches no pc: jumping to any address (here values an empty link could be
    mistaken for) goes to the lookup, which misses, and the pc check faults."""
    m = machine(mode, cache_dir, [BR_X0], regs=[(0, target)])
    reason = m.run()
    if target & 3:
        assert reason == cpu.EXIT_BUS and m.pc == target
    else:
        assert reason == cpu.EXIT_SEGV and m.pc == target
    assert int(m.state['icount'][0]) == 1


@pytest.mark.parametrize('mode', ['off', 'all', 'auto-sync'])
def test_links_are_followed_and_cleared_on_invalidation(mode, cache_dir):
    """Two TBs in a loop (A: movz; b B / B: subs; b.ne A) link to each other; dropping the page
    clears every link, and the retranslated code runs."""
    code = [
        movz_x(2, 7),           # 0: A
        b(4),                   # 4: -> B
        subs_xi(3, 3, 1),       # 8: B
        b_ne(-12),              # 12: b.ne A
        SVC0,                   # 16
    ]
    m = machine(mode, cache_dir, code, regs=[(3, 5)])
    assert m.run() == cpu.EXIT_SYSCALL
    assert int(m.state['x'][0, 2]) == 7 and int(m.state['icount'][0]) == 5 * 4 + 1
    tbs = m.tbc.tbs
    a, bb = 0, 1
    assert tbs[a, TB_L0_PC] == CODE + 8 and tbs[a, TB_L0] == bb
    assert {int(tbs[bb, TB_L0]), int(tbs[bb, TB_L1])} >= {a}
    m.mem.write(CODE, pack([movz_x(2, 9)]))          # drops the TBs of the page
    assert (tbs[:m.tbc.n_tbs, TB_L0] == NO_ROW).all() and (tbs[:m.tbc.n_tbs, TB_L1] == NO_ROW).all()
    m.state['x'][0, 3] = 2
    m.pc = CODE
    assert m.run() == cpu.EXIT_SYSCALL
    assert int(m.state['x'][0, 2]) == 9
