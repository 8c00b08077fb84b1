"""The plugin API from Python: memory callbacks with their sizes and values, numba callbacks,
scoreboards and inline ops, conditional callbacks, syscall filters, registers, reset and
uninstall from inside callbacks, and the errors a plugin gets for misuse.

Guests are the committed test programs (tests/guest); memops (tests/guest/asm/memops.S) makes one
access of each kind with known values.
"""
import ctypes
import os
import subprocess
import types

import numpy as np
import pytest
from llvmlite import ir
from numba import carray, njit
from numba import types as nbtypes
from numba.extending import intrinsic

from conftest import GUEST, ROOT, run_nbemu_cli

from nbemu.emulator import Emulator
from nbemu.runtime.plugin.api import CB_NO_REGS, CB_R_REGS, CB_RW_REGS, CB_RW_REGS_PC
from nbemu.runtime.plugin.handles import PluginUsageError
from nbemu.runtime.plugin.manager import PluginError

MEMOPS = GUEST / 'asm' / 'bin' / 'memops'
HELLO = GUEST / 'bin' / 'hello'
ATOMICS = GUEST / 'bin' / 'atomics_outline'
SETPC = GUEST / 'asm' / 'bin' / 'setpc'
SETPC_PLAIN = (250, 32)       # its exit status and instruction count, run as written
X1 = 0x8788556633441122


@intrinsic
def _u64_ptr(typingctx, addr):
    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.IntType(64).as_pointer())
    return nbtypes.CPointer(nbtypes.uint64)(addr), codegen


@njit
def u64_array(addr, n):
    """A numba callback's view of the numpy array it was given as userdata (its address)."""
    return carray(_u64_ptr(addr), n)


def _symbols(path):
    from elftools.elf.elffile import ELFFile
    with open(path, 'rb') as f:
        st = ELFFile(f).get_section_by_name('.symtab')
        return {s.name: s['st_value'] for s in st.iter_symbols() if s.name}


def run(path, plugin_install, cache_dir, jit='off', cpu='max', argv=None, **kw):
    """Run a guest with a plugin given as an install function; returns (status, stdout)."""
    mod = types.ModuleType('test_plugin')
    mod.install = plugin_install
    out = os.open(os.devnull, os.O_WRONLY) if 'stdout' not in kw else kw.pop('stdout')
    emu = Emulator(str(path), argv=argv or [str(path)], env={}, jit=jit, cache_dir=cache_dir,
                   cpu=cpu, stdout=out, plugins=[mod], **kw)
    try:
        return emu.run(), emu
    finally:
        emu.close()


@pytest.mark.parametrize('jit', ['off', 'all'])
def test_memory_callbacks_see_every_access_with_size_and_value(jit, cache_dir):
    sym = _symbols(MEMOPS)
    want_pcs = {sym[k]: k for k in sym if k.startswith('m_')}
    seen = []

    def install(api, args):
        def mem(vcpu, info, vaddr, label):
            seen.append((label, vaddr, api.mem_size_shift(info), api.mem_is_store(info),
                         api.mem_get_value(info), api.mem_is_big_endian(info)))

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                label = want_pcs.get(api.insn_vaddr(insn))
                if label:
                    api.register_vcpu_mem_cb(insn, mem, api.CB_NO_REGS, api.MEM_RW, label)
        api.register_vcpu_tb_trans_cb(trans)

    status, _ = run(MEMOPS, install, cache_dir, jit=jit)
    assert status == 0
    buf = seen[0][1]
    got = [(lab, va - buf, 1 << sh, st, v) for lab, va, sh, st, v, be in seen]
    assert not any(be for *_x, be in seen)
    sx = 0xFFFFFFFF87885566
    assert got == [
        ('m_strb', 0, 1, True, 0x22),
        ('m_strh', 2, 2, True, 0x1122),
        ('m_strw', 4, 4, True, 0x33441122),
        ('m_strx', 8, 8, True, X1),
        ('m_ldrsw', 12, 4, False, 0x87885566),
        ('m_stp', 16, 8, True, X1),                  # a pair: two accesses, as QEMU 7.2
        ('m_stp', 24, 8, True, sx),
        ('m_strq', 32, 8, True, X1),                 # a Q register: two halves, as QEMU 7.2
        ('m_strq', 40, 8, True, sx),
        ('m_ldxr', 48, 8, False, 0),
        ('m_stxr', 48, 8, False, 0),                 # a compare-and-swap, as QEMU models it
        ('m_stxr', 48, 8, True, 5),
        ('m_ldadd', 48, 8, False, 5),                # an atomic: the load, then the store
        ('m_ldadd', 48, 8, True, 12),
        ('m_dczva', 128, 64, True, 0),               # DC ZVA: one store of the whole block
        ('m_cross', 4096 - 4, 8, False, X1),         # across a page boundary: one access
    ]


def test_memory_filter_and_inline_ops(cache_dir):
    counts = {}

    def install(api, args):
        score = api.scoreboard_new(24)
        entries = {rw: api.scoreboard_u64_in_struct(score, 8 * k)
                   for k, rw in enumerate((api.MEM_R, api.MEM_W, api.MEM_RW))}

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                for rw, e in entries.items():
                    api.register_vcpu_mem_inline_per_vcpu(insn, rw, api.INLINE_ADD_U64, e, 1)

        def done(_id, _u):
            counts.update({rw: e.sum() for rw, e in entries.items()})
        api.register_vcpu_tb_trans_cb(trans)
        api.register_atexit_cb(done)

    assert run(MEMOPS, install, cache_dir)[0] == 0
    # memops' loads: LDRSW, LDXR, STXR's and LDADD's loads, the cross-page LDR; stores: STRB,
    # STRH, STR W, STR X, STP (2), STR Q (2), STXR, LDADD, DC ZVA, the STR before the last LDR
    assert counts == {1: 5, 2: 12, 3: 17}


def test_numba_callbacks_and_inline_agree_with_the_instruction_count(cache_dir):
    hits = np.zeros(2, dtype=np.uint64)

    @njit
    def count_insn(vcpu, addr):     # addr: the userdata array's address
        p = u64_array(addr, 2)
        p[0] += 1

    @njit
    def count_mem(vcpu, info, vaddr, addr):
        p = u64_array(addr, 2)
        p[1] += 1

    inline_total = []

    def install(api, args):
        e = api.scoreboard_u64(api.scoreboard_new(8))

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                api.register_vcpu_insn_exec_cb(insn, count_insn, api.CB_NO_REGS, hits)
                api.register_vcpu_mem_cb(insn, count_mem, api.CB_NO_REGS, api.MEM_RW, hits)
                api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64, e, 1)
        api.register_vcpu_tb_trans_cb(trans)
        api.register_atexit_cb(lambda _id, _u: inline_total.append(e.sum()))

    status, emu = run(HELLO, install, cache_dir)
    assert status == 0
    insns = emu.stats.instructions
    assert int(hits[0]) == inline_total[0] == insns > 5000
    assert int(hits[1]) > 2000


def test_conditional_callback_fires_once_at_the_threshold(cache_dir):
    fired = []

    def install(api, args):
        e = api.scoreboard_u64(api.scoreboard_new(8))

        def at(vcpu, pc):
            fired.append((e.get(vcpu), pc))

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64, e, 1)
                api.register_vcpu_insn_exec_cond_cb(insn, at, api.CB_NO_REGS, api.COND_EQ, e,
                                                    1000, api.insn_vaddr(insn))
        api.register_vcpu_tb_trans_cb(trans)

    assert run(HELLO, install, cache_dir)[0] == 0
    assert len(fired) == 1 and fired[0][0] == 1000


def test_registers_with_an_up_to_date_pc(cache_dir):
    sym = _symbols(MEMOPS)
    got = {}

    def install(api, args):
        regs = {r.name: r.handle for r in api.get_registers()}

        def at(vcpu, _u):
            got['pc'] = int.from_bytes(api.read_register(regs['pc']), 'little')
            got['x1'] = int.from_bytes(api.read_register(regs['x1']), 'little')
            got['mem'] = api.read_memory_vaddr(got['pc'], 4)

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                if api.insn_vaddr(insn) == sym['m_strx']:
                    api.register_vcpu_insn_exec_cb(insn, at, api.CB_R_REGS)
        api.register_vcpu_tb_trans_cb(trans)

    assert run(MEMOPS, install, cache_dir)[0] == 0
    assert got['pc'] == sym['m_strx'] and got['x1'] == X1
    assert got['mem'] == bytes.fromhex('610600f9')     # str x1, [x19, #8]


def _setpc_run(cache_dir, jit, at, flags=None, kind='insn', when=1, to=None):
    """Run SETPC with a callback at symbol `at` (an instruction's, or the TB's that starts
    there) that calls set_pc(symbol `to`, or the next instruction) on its `when`-th call:
    (exit status, instructions executed, calls)."""
    sym = _symbols(SETPC)
    calls = []

    def install(api, args):
        def divert(vcpu, _u):
            calls.append(vcpu)
            if len(calls) == when:
                api.set_pc(sym[to] if to else sym[at] + 4)

        def trans(tb):
            if kind == 'tb':
                if api.tb_vaddr(tb) == sym[at]:
                    api.register_vcpu_tb_exec_cb(tb, divert, flags)
                return
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                if api.insn_vaddr(insn) == sym[at]:
                    api.register_vcpu_insn_exec_cb(insn, divert, flags)
        api.register_vcpu_tb_trans_cb(trans)

    status, emu = run(SETPC, install, cache_dir, jit=jit)
    return status, emu.stats.instructions, len(calls)


@pytest.mark.parametrize('jit', ['off', 'all'])
def test_set_pc_diverts_before_the_instruction(jit, cache_dir):
    """set_pc from a CB_RW_REGS callback: the instruction (and what follows in its TB) does not
    run and is not counted, execution goes on at the target, in both tiers and in a compiled
    self-looping TB."""
    assert _setpc_run(cache_dir, jit, 's_skip', CB_RW_REGS)[:2] == (150, SETPC_PLAIN[1] - 1)
    assert _setpc_run(cache_dir, jit, 's_skip', CB_RW_REGS_PC)[:2] == (150, SETPC_PLAIN[1] - 1)
    # from the TB callback of the first TB: its first instruction (x19 = 1) is jumped over,
    # and the TB translated at s_skip has no callback
    assert _setpc_run(cache_dir, jit, '_start', CB_RW_REGS, kind='tb', to='s_skip') == \
        (250, SETPC_PLAIN[1] - 1, 1)
    # out of the loop from its third b.ne: 3 iterations, 7 instructions fewer
    assert _setpc_run(cache_dir, jit, 's_back', CB_RW_REGS, when=3, to='s_done') == \
        (230, SETPC_PLAIN[1] - 7, 3)


def test_set_pc_needs_a_callback_that_may_write_registers(cache_dir):
    for flags in (CB_NO_REGS, CB_R_REGS):
        with pytest.raises(PluginError, match='set_pc works only in an execution callback '
                                              'registered with CB_RW_REGS'):
            _setpc_run(cache_dir, 'off', 's_skip', flags)

    def install(api, args):
        def mem(vcpu, info, vaddr, _u):
            api.set_pc(vaddr)

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                api.register_vcpu_mem_cb(api.tb_get_insn(tb, i), mem, CB_RW_REGS)
        api.register_vcpu_tb_trans_cb(trans)

    with pytest.raises(PluginError, match='set_pc works only'):
        run(MEMOPS, install, cache_dir)
    with pytest.raises(PluginError, match='set_pc works only'):
        run(SETPC, lambda api, args: api.register_vcpu_init_cb(lambda _i, v: api.set_pc(0)),
            cache_dir)


def test_set_pc_from_syscall_callbacks(cache_dir):
    """From a syscall callback the syscall is skipped and x0 kept (here: written by the
    plugin); from a syscall-return callback x0 keeps the value the callback wrote."""
    seen = []

    def install(api, args):
        regs = {r.name: r.handle for r in api.get_registers()}

        def answer(vcpu, num, *a):
            if num == 172:
                api.write_register(regs['x0'], (4242).to_bytes(8, 'little'))
                api.set_pc(int.from_bytes(api.read_register(regs['pc']), 'little'))
        api.register_vcpu_syscall_cb(answer)
        api.register_vcpu_syscall_ret_cb(lambda vcpu, num, ret: seen.append(num))

    status, emu = run(SETPC, install, cache_dir)
    assert (status, emu.stats.instructions) == (251, SETPC_PLAIN[1])
    assert seen == []                  # getpid never ran; exit_group never returns

    def install_ret(api, args):
        regs = {r.name: r.handle for r in api.get_registers()}

        def after(vcpu, num, ret):
            seen.append((num, ret > 0))
            api.write_register(regs['x0'], (4242).to_bytes(8, 'little'))
            api.set_pc(int.from_bytes(api.read_register(regs['pc']), 'little'))
        api.register_vcpu_syscall_ret_cb(after)
        api.register_vcpu_syscall_ret_cb(lambda vcpu, num, ret: seen.append('not reached'))

    assert run(SETPC, install_ret, cache_dir)[0] == 251
    assert seen == [(172, True)]


def test_setpc_guest_runs_as_written(qemu, cache_dir):
    status, emu = run(SETPC, lambda api, args: None, cache_dir)
    assert (status, emu.stats.instructions) == SETPC_PLAIN
    assert subprocess.run([qemu, str(SETPC)]).returncode == SETPC_PLAIN[0]


def test_syscall_callbacks_and_filter(cache_dir, tmp_path):
    log = []

    def install(api, args):
        api.register_vcpu_syscall_cb(lambda vcpu, num, *a: log.append(('enter', num, a[2])))
        api.register_vcpu_syscall_ret_cb(lambda vcpu, num, ret: log.append(('ret', num, ret)))

        def filt(vcpu, num, fd, buf, n, *rest):
            if num == 64 and fd == 1:       # write(1, ...): swallowed, reported as written
                return True, n
            return None
        api.register_vcpu_syscall_filter_cb(filt)

    r, w = os.pipe()
    status, _ = run(HELLO, install, cache_dir, stdout=w)
    os.close(w)
    assert status == 0 and os.read(r, 100) == b''
    assert ('enter', 64, 14) in log and ('ret', 64, 14) in log     # "Hello, world!\n"
    assert log[-1][:2] == ('enter', 94)                             # exit_group never returns


def test_reset_storm_from_callbacks_counts_exactly(cache_dir):
    """A reset requested from a TB callback every 50 TB executions (and the plugin registering
    again in its completion callback) loses and doubles nothing: the inline count equals the
    instruction count. A reset is not an architectural event, so a reset between LDXR and STXR
    (the atomics program under cortex-a53 uses exclusives) does not livelock the guest."""
    state = {'resets': 0, 'tbs': 0}

    def install(api, args):
        e = api.scoreboard_u64(api.scoreboard_new(8))
        state['entry'] = e

        def tb_exec(vcpu, _u):
            state['tbs'] += 1
            if state['tbs'] % 50 == 0:
                api.reset(again)

        def trans(tb):
            api.register_vcpu_tb_exec_inline_per_vcpu(tb, api.INLINE_ADD_U64, e,
                                                      api.tb_n_insns(tb))
            api.register_vcpu_tb_exec_cb(tb, tb_exec)

        def again(plugin_id):
            state['resets'] += 1
            api.register_vcpu_tb_trans_cb(trans)
        api.register_vcpu_tb_trans_cb(trans)

    status, emu = run(ATOMICS, install, cache_dir, cpu='cortex-a53')
    assert status == 0
    assert state['resets'] > 100
    assert state['entry'].sum() == emu.stats.instructions


def test_uninstall_stops_callbacks(cache_dir):
    state = {'n': 0, 'done': False}

    def install(api, args):
        def insn_exec(vcpu, _u):
            state['n'] += 1
            if state['n'] == 500:
                api.uninstall(lambda pid: state.update(done=True))

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                api.register_vcpu_insn_exec_cb(api.tb_get_insn(tb, i), insn_exec)
        api.register_vcpu_tb_trans_cb(trans)
        api.register_atexit_cb(lambda pid, u: state.update(atexit=True))

    status, emu = run(HELLO, install, cache_dir)
    assert status == 0 and state['done'] and 'atexit' not in state
    # callbacks fire until the TB in which uninstall was asked for ends (at most 128 more)
    assert 500 <= state['n'] < 500 + 128 < emu.stats.instructions


def test_handles_are_valid_only_inside_the_translation_callback(cache_dir):
    kept = []

    def install(api, args):
        api.register_vcpu_tb_trans_cb(lambda tb: kept.append(tb))
        api.register_atexit_cb(lambda pid, u: api.tb_vaddr(kept[0]))

    with pytest.raises(PluginError, match='valid only inside its tb_trans callback'):
        run(MEMOPS, install, cache_dir)
    with pytest.raises(PluginUsageError):
        kept[0].check()


def test_translation_queries(cache_dir):
    sym = _symbols(HELLO)
    seen = {}

    def install(api, args):
        def trans(tb):
            insn = api.tb_get_insn(tb, 0)
            if api.insn_vaddr(insn) == sym['main']:
                seen.update(haddr=ctypes.string_at(api.insn_haddr(insn), 4),
                            symbol=api.insn_symbol(insn), size=api.insn_size(insn),
                            data=api.insn_data(insn), disas=api.insn_disas(insn),
                            vaddr=api.tb_vaddr(tb), n=api.tb_n_insns(tb))
        api.register_vcpu_tb_trans_cb(trans)

    assert run(HELLO, install, cache_dir)[0] == 0
    with open(HELLO, 'rb') as f:
        from elftools.elf.elffile import ELFFile
        elf = ELFFile(f)
        text = elf.get_section_by_name('.text')
        word = text.data()[sym['main'] - text['sh_addr']:][:4]
    assert seen['symbol'] == 'main' and seen['size'] == 4 and seen['data'] == word
    assert seen['haddr'] == word
    assert seen['vaddr'] == sym['main'] and seen['n'] >= 1 and seen['disas']


def test_cli_plugin_errors_are_one_line(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('def install(api, args):\n'
                   '    def trans(tb):\n'
                   '        api.register_vcpu_tb_exec_cb(tb, boom)\n'
                   '    def boom(vcpu, u):\n'
                   '        raise ValueError("boom")\n'
                   '    api.register_vcpu_tb_trans_cb(trans)\n')
    r = run_nbemu_cli(['--jit=off', '-plugin', str(bad), str(HELLO)])
    err = r.stderr.decode()
    assert r.returncode == 1 and 'Traceback' not in err
    assert err.strip().splitlines()[-1].startswith(
        "nbemu: plugin 'bad.py': callback boom raised ValueError: boom (")
    r = run_nbemu_cli(['--jit=off', '-plugin', str(tmp_path / 'missing.py'), str(HELLO)])
    assert r.returncode == 1 and r.stderr.decode().strip().endswith('no such file')
    noinst = tmp_path / 'noinstall.py'
    noinst.write_text('x = 1\n')
    r = run_nbemu_cli(['--jit=off', '-plugin', str(noinst), str(HELLO)])
    assert r.returncode == 1 and 'has no install(api, args) function' in r.stderr.decode()
    r = run_nbemu_cli(['--jit=off', '-plugin', f'{ROOT}/plugins/insn.py,bogus=1', str(HELLO)])
    assert r.returncode == 1 and 'option parsing failed' in r.stderr.decode()


def test_cli_plugin_output_goes_to_the_log_file(tmp_path):
    log = tmp_path / 'log'
    r = run_nbemu_cli(['--jit=off', '-d', 'plugin', '-D', str(log),
                       '-plugin', f'{ROOT}/plugins/bb.py,inline=on', str(HELLO)])
    assert r.returncode == 0 and r.stdout == b'Hello, world!\n'
    assert log.read_text().startswith("bb's: ")
    r = run_nbemu_cli(['--jit=off', '-plugin', f'{ROOT}/plugins/bb.py', str(HELLO)])
    assert r.returncode == 0 and b"bb's" not in r.stderr      # no -d plugin: dropped, as qemu


def test_plugins_survive_fork(qemu, tmp_path):
    """A forked child keeps its copy of the plugin: every process prints at its exit, as each
    does under qemu-aarch64 with QEMU's bb plugin."""
    r = run_nbemu_cli(['--jit=off', '-d', 'plugin', '-plugin', f'{ROOT}/plugins/bb.py',
                       str(GUEST / 'bin' / 'fork_pipe')])
    assert r.returncode == 0, r.stderr
    ref = ROOT / 'tests' / 'qemu_plugins' / 'build' / 'libbb.so'
    q = subprocess.run([qemu, '-d', 'plugin', '-plugin', str(ref), str(GUEST / 'bin' / 'fork_pipe')],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.stderr.decode().count("bb's: ") == q.stderr.count("bb's: ") > 1


def _discontinuities(path, cache_dir, jit, args=()):
    """[(kind, from_pc, to_pc, last pc executed before it, first pc executed after it)]."""
    events, last, pending = [], [None], []

    def install(api, args):
        def insn(vcpu, pc):
            if pending:
                events.append(pending.pop() + (pc,))
            last[0] = pc

        def trans(tb):
            for i in range(api.tb_n_insns(tb)):
                h = api.tb_get_insn(tb, i)
                api.register_vcpu_insn_exec_cb(h, insn, api.CB_NO_REGS, api.insn_vaddr(h))

        def discon(_id, vcpu, kind, from_pc, to_pc):
            assert not pending
            pending.append((kind, from_pc, to_pc, last[0]))
        api.register_vcpu_tb_trans_cb(trans)
        api.register_vcpu_discon_cb(api.DISCON_ALL, discon)
    status, _emu = run(path, install, cache_dir, jit=jit, argv=[str(path), *args])
    return status, events


@pytest.mark.parametrize('jit', ['off', 'auto'])
def test_discontinuity_callbacks_say_where_control_flow_left_and_went(jit, cache_dir):
    from nbemu.runtime.plugin.api import PluginApi as A
    path = GUEST / 'bin' / 'discon'
    sym = _symbols(path)
    status, events = _discontinuities(path, cache_dir, jit)
    assert status == 0
    faults = [e for e in events if e[0] == A.DISCON_EXCEPTION]
    signals = [e for e in events if e[0] == A.DISCON_INTERRUPT]
    assert len(faults) == 2 and len(signals) == 1 and len(events) == 3
    for kind, from_pc, to_pc, last, after in events:
        assert after == to_pc           # execution goes on where the callback said
    for _k, from_pc, to_pc, last, _a in faults:
        assert to_pc == sym['on_segv'] and from_pc == last      # the faulting store
    _k, from_pc, to_pc, last, _a = signals[0]
    assert to_pc == sym['on_usr1'] and from_pc == last + 4      # after the kill's svc


def test_semihosting_calls_are_host_call_discontinuities(cache_dir, tmp_path):
    from nbemu.runtime.plugin.api import PluginApi as A
    status, events = _discontinuities(GUEST / 'bin' / 'semihost', cache_dir, 'off',
                                      [str(tmp_path)])
    assert status == 3
    assert [e[0] for e in events] == [A.DISCON_HOSTCALL] * 23
    for _k, from_pc, to_pc, last, after in events:
        assert from_pc == last and to_pc == from_pc + 4 == after


def test_traps_plugin_counts_discontinuities_per_vcpu(tmp_path):
    log = tmp_path / 'log'
    r = run_nbemu_cli(['--jit=off', '-plugin', str(ROOT / 'plugins' / 'traps.py'), '-d', 'plugin',
                       '-D', str(log), str(GUEST / 'bin' / 'discon')])
    assert r.returncode == 0 and r.stdout == b'faults 2, usr1 1\n'
    assert log.read_text().splitlines() == ['vCPU | interrupts | exceptions | host calls',
                                            '   0 |          1 |          2 |          0']


def test_discontinuity_kinds_are_checked(cache_dir):
    def install(api, args):
        api.register_vcpu_discon_cb(8, lambda *a: None)
    with pytest.raises(PluginError, match='discontinuity kinds 8'):
        run(HELLO, install, cache_dir)
