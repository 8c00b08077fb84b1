"""ELF loader and initial stack: layout checks on corpus binaries, and rejection of bad input."""
import os
import struct
import sys

import pytest
from elftools.elf.elffile import ELFFile

from conftest import GUEST
from nbemu.runtime.linux import abi
from nbemu.runtime.linux.loader import LoadError, load_program
from nbemu.runtime.linux.mm import PIE_BASE, STACK_TOP, AddressSpace
from nbemu.runtime.memory import PTE_R, PTE_W, PTE_X, Memory

BIN = GUEST / 'bin'
ASM = GUEST / 'asm' / 'bin'
HELLO = BIN / 'hello'
PIE = BIN / 'pie'


def load(path, argv=None, envp=(), limit=1 << 30, **kw):
    mem = Memory(limit)
    mm = AddressSpace(mem)
    prog = load_program(mm, str(path), argv or [str(path)], list(envp), **kw)
    return mem, mm, prog


def read_stack(mem, sp):
    """(argc, argv strings, envp strings, auxv dict, auxv order)."""
    argc = mem.u64(sp)
    pos = sp + 8
    argv = [mem.read_cstr(mem.u64(pos + 8 * i)) for i in range(argc)]
    assert mem.u64(pos + 8 * argc) == 0
    pos += 8 * (argc + 1)
    envp = []
    while mem.u64(pos):
        envp.append(mem.read_cstr(mem.u64(pos)))
        pos += 8
    pos += 8
    auxv, order = {}, []
    while True:
        k, v = mem.u64(pos), mem.u64(pos + 8)
        pos += 16
        order.append(k)
        if k == abi.AT_NULL:
            assert v == 0
            break
        auxv[k] = v
    return argc, argv, envp, auxv, order, pos


def test_static_stack_and_auxv():
    argv = ['hello', 'one', 'two words', '']
    envp = ['A=1', 'LANG=C']
    mem, mm, prog = load(HELLO, argv, envp, random_bytes=bytes(range(16)))
    assert prog.sp % 16 == 0
    argc, av, ev, aux, order, end = read_stack(mem, prog.sp)
    assert argc == 4
    assert av == [a.encode() for a in argv]
    assert ev == [e.encode() for e in envp]
    with open(HELLO, 'rb') as f:
        elf = ELFFile(f)
        entry, phnum = elf.header['e_entry'], elf.header['e_phnum']
        phdrs = [elf.get_segment(i).header for i in range(phnum)]
    assert prog.entry == entry and aux[abi.AT_ENTRY] == entry
    assert aux[abi.AT_PHNUM] == phnum
    assert aux[abi.AT_PHENT] == 56
    assert aux[abi.AT_PAGESZ] == 4096
    assert aux[abi.AT_CLKTCK] == 100
    assert aux[abi.AT_BASE] == 0
    assert aux[abi.AT_FLAGS] == 0
    assert aux[abi.AT_SECURE] == 0
    # which bits AT_HWCAP/AT_HWCAP2 hold is checked against the ID registers in test_hwcaps.py
    assert aux[abi.AT_HWCAP] & (1 << 11) and abi.AT_HWCAP2 in aux      # HWCAP_CPUID
    assert aux[abi.AT_UID] == os.getuid() and aux[abi.AT_EGID] == os.getegid()
    assert abi.AT_MINSIGSTKSZ not in aux       # as under qemu-aarch64; the corpus compares the list
    assert mem.read(aux[abi.AT_RANDOM], 16) == bytes(range(16))
    assert mem.read_cstr(aux[abi.AT_PLATFORM]) == b'aarch64'
    assert mem.read_cstr(aux[abi.AT_EXECFN]) == str(HELLO).encode()
    # the program headers are visible at AT_PHDR
    raw = mem.read(aux[abi.AT_PHDR], 56 * phnum)
    for i, ph in enumerate(phdrs):
        p_type, p_flags, p_off, p_vaddr = struct.unpack_from('<IIQQ', raw, 56 * i)
        assert p_off == ph['p_offset'] and p_vaddr == ph['p_vaddr']
    assert order[-1] == abi.AT_NULL
    # strings sit between the vectors and the top of the stack, execfn highest
    assert end <= aux[abi.AT_RANDOM] < aux[abi.AT_EXECFN] < STACK_TOP
    assert mem.u64(STACK_TOP - 8) == 0


def test_static_segments_and_brk():
    mem, mm, prog = load(HELLO)
    with open(HELLO, 'rb') as f:
        elf = ELFFile(f)
        loads = [s.header for s in elf.iter_segments() if s['p_type'] == 'PT_LOAD']
        data = open(HELLO, 'rb').read()
    hi = 0
    for ph in loads:
        va = ph['p_vaddr']
        pte = mem.pte(va >> 12)
        want = (PTE_R if ph['p_flags'] & 4 else 0) | (PTE_W if ph['p_flags'] & 2 else 0) | \
            (PTE_X if ph['p_flags'] & 1 else 0)
        assert pte & 7 == want
        fsz, msz = ph['p_filesz'], ph['p_memsz']
        assert mem.read(va, fsz, need=0) == data[ph['p_offset']:ph['p_offset'] + fsz]
        # bss is zero
        assert mem.read(va + fsz, msz - fsz, need=0) == bytes(msz - fsz)
        hi = max(hi, va + msz)
    assert mm.brk_start == (hi + 4095) & ~4095 == mm.brk_cur
    assert mm.find_vma(prog.stack_lo).name == '[stack]'
    assert prog.stack_hi - prog.stack_lo == 8 << 20
    text = mm.maps_text()
    assert '[stack]' in text and str(HELLO.resolve()) in text


def test_static_pie_is_relocated():
    mem, mm, prog = load(PIE)
    _, _, _, aux, _, _ = read_stack(mem, prog.sp)
    with open(PIE, 'rb') as f:
        elf = ELFFile(f)
        assert elf.header['e_type'] == 'ET_DYN'
        entry = elf.header['e_entry']
    assert prog.exe.bias == PIE_BASE
    assert prog.entry == PIE_BASE + entry == aux[abi.AT_ENTRY]
    assert aux[abi.AT_BASE] == 0           # no interpreter
    assert aux[abi.AT_PHDR] > PIE_BASE
    assert mm.brk_start > PIE_BASE


def test_asm_binary_loads():
    mem, mm, prog = load(ASM / 'exit42')
    assert prog.entry == prog.exe.entry
    assert mem.pte(prog.entry >> 12) & PTE_X


def test_stack_size_and_env_limits():
    mem, mm, prog = load(HELLO, stack_size=1 << 20)
    assert prog.stack_hi - prog.stack_lo == 1 << 20
    with pytest.raises(LoadError, match='argument list too long'):
        load(HELLO, argv=['x' * (1 << 20)] * 3)


def test_memory_limit_while_loading(tmp_path):
    with pytest.raises(LoadError, match='memory limit'):
        load(HELLO, limit=4 << 20)


# ----- malformed input -----
def _err(path):
    with pytest.raises(LoadError) as ei:
        load(path)
    msg = str(ei.value)
    assert '\n' not in msg and str(path) in msg
    return msg


def test_missing_file(tmp_path):
    assert 'No such file' in _err(tmp_path / 'nope')


def test_directory(tmp_path):
    assert 'Is a directory' in _err(tmp_path)


def test_empty_and_random(tmp_path):
    e = tmp_path / 'empty'
    e.write_bytes(b'')
    assert 'not an ELF' in _err(e)
    r = tmp_path / 'random'
    r.write_bytes(os.urandom(4096).replace(b'\x7fELF', b'xxxx'))
    assert 'not an ELF' in _err(r)


def test_host_binary_is_rejected():
    msg = _err(os.path.realpath(sys.executable))      # an ELF for the host, not AArch64
    assert 'AArch64' in msg


@pytest.mark.parametrize('size', [20, 64, 100, 300, 5000, 300000])
def test_truncated(tmp_path, size):
    data = HELLO.read_bytes()[:size]
    t = tmp_path / f'trunc{size}'
    t.write_bytes(data)
    msg = _err(t)
    assert 'truncated' in msg or 'malformed' in msg


def test_bad_header_fields(tmp_path):
    data = bytearray(HELLO.read_bytes())
    cases = {
        'class32': (4, 1, '64-bit'),
        'bigendian': (5, 2, 'little-endian'),
    }
    for name, (off, val, words) in cases.items():
        d = bytearray(data)
        d[off] = val
        p = tmp_path / name
        p.write_bytes(bytes(d))
        assert words in _err(p)
    d = bytearray(data)
    struct.pack_into('<H', d, 16, 1)        # ET_REL
    p = tmp_path / 'rel'
    p.write_bytes(bytes(d))
    assert 'not an executable' in _err(p)
    d = bytearray(data)
    struct.pack_into('<H', d, 54, 32)       # e_phentsize
    p = tmp_path / 'phentsize'
    p.write_bytes(bytes(d))
    assert 'malformed' in _err(p)
    d = bytearray(data)
    struct.pack_into('<H', d, 56, 0)        # e_phnum
    p = tmp_path / 'nophdr'
    p.write_bytes(bytes(d))
    assert 'program headers' in _err(p)


def test_dynamic_without_sysroot(tmp_path):
    """A PT_INTERP program whose interpreter is not found gives a clear error."""
    data = bytearray(HELLO.read_bytes())
    with open(HELLO, 'rb') as f:
        elf = ELFFile(f)
        phoff = elf.header['e_phoff']
        # turn the PT_NOTE (or the last non-LOAD) header into a PT_INTERP naming a missing file
        idx = next(i for i in range(elf.header['e_phnum'])
                   if elf.get_segment(i)['p_type'] == 'PT_NOTE')
        note = elf.get_segment(idx).header
    name = b'/nonexistent/ld-linux-aarch64.so.1\0'
    off = len(data)
    data += name
    struct.pack_into('<IIQQQQQQ', data, phoff + 56 * idx, 3, 4, off, 0, 0, len(name), len(name), 1)
    p = tmp_path / 'dyn'
    p.write_bytes(bytes(data))
    msg = _err(p)
    assert 'interpreter' in msg and '-L' in msg
    del note


def test_emulator_raises_load_error(tmp_path):
    from nbemu.emulator import Emulator, LoadError as E2
    assert E2 is LoadError
    with pytest.raises(LoadError):
        Emulator(str(tmp_path))
