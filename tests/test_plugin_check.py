"""-d plugin-check: every TB checks, at its start and after its last instruction, that no
memory-callback reference is left set and that it was instrumented in the callback table's
current generation, and every callback-table row followed is checked to be of the current
generation (no stale slot fires). The reset storm runs clean under it in every --jit mode; each
detector is shown to catch the bug it exists for, injected into the plugin core."""
import os
import re
import types

import pytest

from conftest import GUEST, run_nbemu_cli

from nbemu.emulator import Emulator
from nbemu.runtime.plugin.manager import PluginError

PLUGINS = GUEST.parent.parent / 'plugins'
HELLO = GUEST / 'bin' / 'hello'
ASM_MEM = GUEST / 'asm' / 'bin' / 'mem'


@pytest.mark.parametrize('jit,binary,opts,extra', [
    ('off', HELLO, 'resets=40,every=20', []),
    ('auto', ASM_MEM, 'resets=4,every=200', ['--jit-sync', '--jit-threshold=10']),
    ('all', ASM_MEM, 'resets=3,every=300', []),
])
def test_reset_storm_is_clean_under_plugin_check(jit, binary, opts, extra, cache_dir):
    r = run_nbemu_cli([f'--jit={jit}', *extra, '--stats', '-d', 'plugin,plugin-check', '-plugin',
                       f'{PLUGINS}/reset.py,{opts}', str(binary)])
    err = r.stderr.decode()
    assert r.returncode == 0, err
    resets = int(re.search(r'resets=(\d+)', opts).group(1))
    phases = re.findall(r'^reset: phase (\d+): ', err, re.M)
    assert phases == [str(i) for i in range(resets + 1)], err
    assert 'reset: done, order ok' in err and 'STALE' not in err and 'plugin-check' not in err
    if jit != 'off':
        assert int(re.search(r'compiled TB executions: (\d+)', err).group(1)) > 0, err


def _run(install, check_setup=None, jit='off'):
    mod = types.ModuleType('check_probe')
    mod.install = install
    emu = Emulator(str(HELLO), argv=['hello'], env={}, jit=jit, stdout=os.open(os.devnull,
                   os.O_WRONLY), plugins=[mod], plugin_check=True)
    try:
        if check_setup:
            check_setup(emu)
        return emu.run()
    finally:
        emu.close()


@pytest.mark.parametrize('jit', ['off', 'all'])
def test_a_memory_reference_left_set_is_reported_with_pc_and_slot(jit, cache_dir):
    """An instruction callback that leaves the vCPU's memory-callback reference set (slot 6,
    a generation no row has, so nothing follows it) is reported by the check after the last
    instruction of its TB."""
    got = {}
    emu_box = []

    def install(api, args):
        def poison(vcpu, last_pc):
            st = emu_box[0].machine.state
            st['memcb_ref'] = 7 | (1 << 32)
            st['memcb_gen'] = 0
            got.setdefault('last_pc', last_pc)

        def trans(tb):
            n = api.tb_n_insns(tb)
            if not got and n > 1 and api.tb_vaddr(tb) == api.entry_code():
                last = api.insn_vaddr(api.tb_get_insn(tb, n - 1))
                api.register_vcpu_insn_exec_cb(api.tb_get_insn(tb, 0), poison, userdata=last)
        api.register_vcpu_tb_trans_cb(trans)

    with pytest.raises(PluginError) as e:
        _run(install, lambda emu: emu_box.append(emu), jit=jit)
    assert str(e.value) == (f'plugin-check: memory-callback reference to slot 6 (generation 0) '
                            f'still set at pc {got["last_pc"]:#x}')


def test_a_stale_slot_that_fires_is_reported(cache_dir):
    """Inject the bug the generation tags exist to catch: a reset that neither flushes the code
    cache nor frees the table's rows (only the generation number moves on), and TBs without the
    per-TB checks (so the old TBs run on). Their rows still carry the old generation; the first
    one followed is reported, and does not fire. (The pc named is that of the last TB whose
    start check ran: none here, so 0x0.)"""
    fired = {'after': 0}
    state = {'reset_done': False, 'tbs': 0}

    def install(api, args):
        def tb_exec(vcpu, _u):
            if state['reset_done']:
                fired['after'] += 1
            state['tbs'] += 1
            if state['tbs'] == 50:
                api.reset(lambda pid: state.update(reset_done=True))

        def trans(tb):
            api.register_vcpu_tb_exec_cb(tb, tb_exec)
        api.register_vcpu_tb_trans_cb(trans)

    def inject(emu):
        m = emu.plugins
        m.check = False                    # no per-TB check ops: only the row check remains
        table = m.table

        def advance_without_freeing():
            table.generation += 1
            table._publish()
        table.advance = advance_without_freeing
        emu.machine.flush = m._on_flush     # the flush callbacks run, the TBs stay

    with pytest.raises(PluginError, match=r'^plugin-check: stale slot (\d+) \(generation 1, '
                                          r'current 2\) fired in the TB at pc 0x0$'):
        _run(install, inject)
    assert fired['after'] == 0


def test_a_stale_tb_that_runs_is_reported(cache_dir):
    """The same broken reset with the per-TB checks on: the first old TB to run is reported
    at its own pc before any of its rows is followed."""
    state = {'tbs': 0, 'pcs': []}

    def install(api, args):
        def tb_exec(vcpu, pc):
            state['tbs'] += 1
            if state['tbs'] == 50:
                api.reset()

        def trans(tb):
            api.register_vcpu_tb_exec_cb(tb, tb_exec, userdata=api.tb_vaddr(tb))
            state['pcs'].append(api.tb_vaddr(tb))
        api.register_vcpu_tb_trans_cb(trans)

    def inject(emu):
        table = emu.plugins.table

        def advance_without_freeing():
            table.generation += 1
            table._publish()
        table.advance = advance_without_freeing
        emu.machine.flush = emu.plugins._on_flush

    with pytest.raises(PluginError) as e:
        _run(install, inject)
    m = re.fullmatch(r'plugin-check: TB at pc (0x[0-9a-f]+) instrumented in generation 1 ran in '
                     r'generation 2', str(e.value))
    assert m and int(m.group(1), 16) in state['pcs'], str(e.value)


def test_plugin_check_is_quiet_on_a_correct_run(cache_dir):
    r = run_nbemu_cli(['--jit=off', '-d', 'plugin,plugin-check', '-plugin',
                       f'{PLUGINS}/inline.py', str(HELLO)])
    assert r.returncode == 0 and b'inline: counts agree' in r.stderr, r.stderr
    assert b'plugin-check' not in r.stderr
