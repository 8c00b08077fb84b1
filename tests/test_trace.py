"""The trace recorder (Emulator.trace, nbemu --trace): its totals against the mem and bb plugins
counting the same run, the accesses to a known guest buffer with their values, spilling to .npy
files (memmaps) with the same rows as in memory, the CLI, and compiled code recording what the
interpreter records."""
import io
import os
import re

import numpy as np
import pytest

from conftest import GUEST, ROOT, run_nbemu_cli

from nbemu.emulator import Emulator
from nbemu.runtime.plugin.trace import HEADROOM, MEM_DTYPE, TB_DTYPE

INTARITH = GUEST / 'bin' / 'intarith'
MEMOPS = GUEST / 'asm' / 'bin' / 'memops'


def traced(path, jit='off', cpu=None, plugins=(), **kw):
    log = io.StringIO()
    emu = Emulator(str(path), argv=[path.name], env={}, jit=jit, cpu=cpu, plugins=plugins,
                   plugin_log=log, stdout=os.open(os.devnull, os.O_WRONLY))
    try:
        tr = emu.trace(**kw)
        status = emu.run()
        traced.native_execs = emu.machine.native_execs
        return status, tr, log.getvalue(), emu.stats.instructions
    finally:
        emu.close()


def _symbol(path, name):
    """(address, initial bytes) of a data object of the static ELF."""
    from elftools.elf.elffile import ELFFile
    with open(path, 'rb') as f:
        elf = ELFFile(f)
        sym = next(s for s in elf.get_section_by_name('.symtab').iter_symbols() if s.name == name)
        addr, size = sym['st_value'], sym['st_size']
        for seg in elf.iter_segments():
            if seg['p_type'] == 'PT_LOAD' and seg['p_vaddr'] <= addr < seg['p_vaddr'] + seg['p_filesz']:
                off = addr - seg['p_vaddr']
                return addr, seg.data()[off:off + size]
    raise AssertionError(f'{name} not in a loaded segment')


@pytest.fixture(scope='module')
def intarith_trace(cache_dir):
    return traced(INTARITH, plugins=[f'{ROOT}/plugins/mem.py,callback=on,inline=on',
                                     f'{ROOT}/plugins/bb.py,inline=on'])


def test_totals_equal_the_mem_and_bb_plugins(intarith_trace):
    status, tr, log, insns = intarith_trace
    assert status == 114            # intarith's own exit status (qemu-aarch64's too)
    assert tr.mem.dtype == MEM_DTYPE and tr.tbs.dtype == TB_DTYPE
    cb, inline = map(int, re.search(r'inline mem accesses: (\d+)\ncallback mem accesses: (\d+)',
                                    log).groups()[::-1])
    bbs, bb_insns = map(int, re.search(r"bb's: (\d+), insns: (\d+)", log).groups())
    assert len(tr.mem) == cb == inline > 100000
    assert len(tr.tbs) == bbs and int(tr.tbs['n_insns'].sum()) == bb_insns == insns
    # instruction counts run forward: every TB starts where the previous ended
    assert np.array_equal(tr.tbs['icount'][1:], np.cumsum(tr.tbs['n_insns'])[:-1])
    stores = tr.mem['flags'] & 0x40 != 0
    assert 0 < stores.sum() < len(tr.mem)
    assert set(np.unique(tr.mem['size'])) <= {1, 2, 4, 8, 16, 64}


def test_the_known_buffer_is_read_with_its_values(intarith_trace):
    """intarith's `static volatile uint64_t vu64[17]` is only read: every access to it is an
    8-byte load of the element's initial value, at pcs inside the program, and every element
    is read."""
    check_vu64(intarith_trace[1])


def check_vu64(tr):
    addr, data = _symbol(INTARITH, 'vu64')
    init = np.frombuffer(data, dtype='<u8')
    m = tr.mem[(tr.mem['vaddr'] >= addr) & (tr.mem['vaddr'] < addr + len(data))]
    assert len(m) > len(init)
    assert np.all(m['size'] == 8) and np.all(m['flags'] & 0x40 == 0)
    idx = (m['vaddr'] - addr) // 8
    assert np.array_equal(m['value'], init[idx])
    assert set(idx.tolist()) == set(range(len(init)))
    # the instruction at each access's pc is one the TB trace executed
    tb_lo, tb_hi = tr.tbs['pc'], tr.tbs['pc'] + 4 * tr.tbs['n_insns']
    assert all(np.any((tb_lo <= pc) & (pc < tb_hi)) for pc in np.unique(m['pc']))


def test_spilled_chunks_are_the_same_rows(intarith_trace, tmp_path):
    _status, mem_tr, _log, _insns = intarith_trace
    chunk = 2 * HEADROOM
    status, tr, _l, _i = traced(INTARITH, out_dir=str(tmp_path), chunk=chunk)
    assert status == 114
    assert isinstance(tr.mem, np.memmap) and isinstance(tr.tbs, np.memmap)
    assert len(tr.mem) > 10 * chunk
    # the same rows, but for the values that derive from AT_RANDOM (16 random bytes per run:
    # glibc's stack guard and pointer guard)
    same = [f for f in MEM_DTYPE.names if f != 'value']
    assert np.array_equal(tr.mem[same], mem_tr.mem[same]) and np.array_equal(tr.tbs, mem_tr.tbs)
    assert np.mean(tr.mem['value'] == mem_tr.mem['value']) > 0.95
    check_vu64(tr)
    again = np.load(tmp_path / 'mem.npy')
    assert np.array_equal(again, tr.mem)


def test_small_chunks_in_memory_are_the_same_rows(intarith_trace):
    _status, mem_tr, _log, _insns = intarith_trace
    chunk = 2 * HEADROOM
    status, tr, _l, _i = traced(INTARITH, chunk=chunk)
    assert status == 114 and not isinstance(tr.mem, np.memmap)
    assert len(tr.mem) > 10 * chunk
    same = [f for f in MEM_DTYPE.names if f != 'value']     # AT_RANDOM differs, as above
    assert np.array_equal(tr.mem[same], mem_tr.mem[same]) and np.array_equal(tr.tbs, mem_tr.tbs)


def test_cli_trace(tmp_path, cache_dir):
    out = tmp_path / 'tr'
    r = run_nbemu_cli(['--jit=off', '--stats', '--trace', 'mem,tb', '--trace-out', str(out),
                       str(GUEST / 'bin' / 'hello')])
    assert r.returncode == 0 and r.stdout == b'Hello, world!\n', r.stderr
    insns = int(re.search(rb'instructions executed: (\d+)', r.stderr).group(1))
    tbs, mem = np.load(out / 'tbs.npy'), np.load(out / 'mem.npy')
    assert int(tbs['n_insns'].sum()) == insns and len(mem) > 1000
    bad = run_nbemu_cli(['--trace', 'mem,regs', '--trace-out', str(out), 'x'])
    assert bad.returncode == 1 and bad.stderr == b'nbemu: --trace: unknown item(s) regs (mem, tb)\n'
    bad = run_nbemu_cli(['--trace', 'mem', 'x'])
    assert bad.returncode == 1 and bad.stderr == b'nbemu: --trace needs --trace-out DIR\n'


def test_compiled_code_records_what_the_interpreter_records(cache_dir):
    """memops (one access of each kind, LSE atomics and a pair included) with every TB
    compiled."""
    _s, off, _l, _i = traced(MEMOPS, cpu='max')
    _s, comp, _l, _i = traced(MEMOPS, jit='all', cpu='max')
    assert traced.native_execs > 0
    assert len(off.mem) > 10
    small = off.mem['size'] < 8     # values are the bytes the access moved, nothing above
    assert np.all(off.mem['value'][small] >> (8 * off.mem['size'][small].astype(np.uint64)) == 0)
    assert np.array_equal(off.mem, comp.mem) and np.array_equal(off.tbs, comp.tbs)
