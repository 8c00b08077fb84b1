"""Run instructions in nbemu and in Unicorn from the same starting state and compare.

Layout shared by both: code at CODE (one page), data at DATA (two pages, RW). Tests give register
values, flags, vector registers and data bytes, then compare every register, NZCV, FPSR/FPCR and
the data pages after the instructions ran.
"""
import struct

import numpy as np

CODE = 0x10000
DATA = 0x20000
DATA_SIZE = 0x2000
STACK_TOP = DATA + DATA_SIZE


class Start:
    def __init__(self, x=None, sp=STACK_TOP - 0x100, nzcv=0, v=None, data=None, fpcr=0, fpsr=0,
                 tpidr=0):
        self.x = list(x or [0] * 31)
        self.x += [0] * (31 - len(self.x))
        self.sp = sp
        self.nzcv = nzcv
        self.v = list(v or [0] * 32)          # 128-bit ints
        self.v += [0] * (32 - len(self.v))
        self.data = data if data is not None else bytes(DATA_SIZE)
        self.fpcr = fpcr
        self.fpsr = fpsr
        self.tpidr = tpidr


def _result(x, sp, pc, nzcv, v, data, fpcr, fpsr):
    return {'x': [int(a) for a in x], 'sp': int(sp), 'pc': int(pc), 'nzcv': int(nzcv),
            'v': [int(a) for a in v], 'data': bytes(data), 'fpcr': int(fpcr), 'fpsr': int(fpsr)}


def run_nbemu(words, start, jit='off', cache_dir=None):
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    from nbemu.runtime import cpu
    mem = Memory(1 << 22)
    mem.map(CODE, 0x1000, 5)
    mem.map(DATA, DATA_SIZE, 3)
    mem.write(CODE, b''.join(struct.pack('<I', w) for w in words), need=0)
    mem.write(DATA, start.data, need=0)
    m = Machine(mem, jit=jit, cache_dir=cache_dir, max_tb_insns=len(words))
    st = m.state
    st['x'][0] = start.x
    st['sp'] = start.sp
    st['pc'] = CODE
    st['nzcv'] = start.nzcv
    st['fpcr'] = start.fpcr
    st['fpsr'] = start.fpsr
    st['tpidr'] = start.tpidr
    vv = st['v'][0]
    for i, q in enumerate(start.v):
        vv[2 * i] = q & (2**64 - 1)
        vv[2 * i + 1] = q >> 64
    st['v'][0] = vv
    reason = m.run_one_tb()
    vv = st['v'][0]
    v = [int(vv[2 * i]) | int(vv[2 * i + 1]) << 64 for i in range(32)]
    res = _result(st['x'][0], st['sp'][0], st['pc'][0], st['nzcv'][0], v,
                  mem.read(DATA, DATA_SIZE), st['fpcr'][0], st['fpsr'][0])
    res['fault'] = reason >= cpu.FIRST_FAULT
    res['reason'] = reason
    return res


def run_unicorn(words, start):
    from unicorn import Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM
    from unicorn import arm64_const as A
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
    uc.mem_map(CODE, 0x1000, 5)
    uc.mem_map(DATA, DATA_SIZE, 3)
    uc.mem_write(CODE, b''.join(struct.pack('<I', w) for w in words))
    uc.mem_write(DATA, start.data)
    uc.reg_write(A.UC_ARM64_REG_CPACR_EL1, uc.reg_read(A.UC_ARM64_REG_CPACR_EL1) | (3 << 20))
    for i in range(29):
        uc.reg_write(A.UC_ARM64_REG_X0 + i, start.x[i])
    uc.reg_write(A.UC_ARM64_REG_X29, start.x[29])
    uc.reg_write(A.UC_ARM64_REG_X30, start.x[30])
    uc.reg_write(A.UC_ARM64_REG_SP, start.sp)
    uc.reg_write(A.UC_ARM64_REG_NZCV, start.nzcv)
    uc.reg_write(A.UC_ARM64_REG_FPCR, start.fpcr)
    uc.reg_write(A.UC_ARM64_REG_FPSR, start.fpsr)
    uc.reg_write(A.UC_ARM64_REG_TPIDR_EL0, start.tpidr)
    for i in range(32):
        uc.reg_write(A.UC_ARM64_REG_Q0 + i, start.v[i])
    fault = False
    try:
        uc.emu_start(CODE, CODE + 4 * len(words), count=len(words))
    except UcError:
        fault = True
    x = [uc.reg_read(A.UC_ARM64_REG_X0 + i) for i in range(29)]
    x += [uc.reg_read(A.UC_ARM64_REG_X29), uc.reg_read(A.UC_ARM64_REG_X30)]
    v = [uc.reg_read(A.UC_ARM64_REG_Q0 + i) for i in range(32)]
    res = _result(x, uc.reg_read(A.UC_ARM64_REG_SP), uc.reg_read(A.UC_ARM64_REG_PC),
                  uc.reg_read(A.UC_ARM64_REG_NZCV), v, uc.mem_read(DATA, DATA_SIZE),
                  uc.reg_read(A.UC_ARM64_REG_FPCR), uc.reg_read(A.UC_ARM64_REG_FPSR))
    res['fault'] = fault
    return res


def diff(a, b, compare_fp_status=True):
    """Human-readable differences between two results ('' when equal)."""
    out = []
    if a['fault'] != b['fault']:
        out.append(f"fault: nbemu={a['fault']} unicorn={b['fault']}")
        return '\n'.join(out)
    if a['fault']:
        return ''
    for i in range(31):
        if a['x'][i] != b['x'][i]:
            out.append(f"x{i}: nbemu={a['x'][i]:#x} unicorn={b['x'][i]:#x}")
    for k in ('sp', 'pc', 'nzcv') + (('fpsr',) if compare_fp_status else ()):
        if a[k] != b[k]:
            out.append(f"{k}: nbemu={a[k]:#x} unicorn={b[k]:#x}")
    for i in range(32):
        if a['v'][i] != b['v'][i]:
            out.append(f"v{i}: nbemu={a['v'][i]:#034x} unicorn={b['v'][i]:#034x}")
    if a['data'] != b['data']:
        d = np.flatnonzero(np.frombuffer(a['data'], np.uint8) != np.frombuffer(b['data'], np.uint8))
        out.append(f"data differs at offsets {[hex(DATA + int(o)) for o in d[:8]]}")
    return '\n'.join(out)


def check(words, start, jit='off', cache_dir=None, compare_fp_status=True):
    """Assert nbemu and Unicorn agree; returns the nbemu result."""
    if isinstance(words, int):
        words = [words]
    a = run_nbemu(words, start, jit, cache_dir)
    b = run_unicorn(words, start)
    d = diff(a, b, compare_fp_status)
    if d:
        from nbemu.gen.disas import disas_word
        listing = '; '.join(f'{w:08x} {disas_word(w, CODE + 4 * i)}' for i, w in enumerate(words))
        raise AssertionError(f'{listing}\n{d}')
    return a
