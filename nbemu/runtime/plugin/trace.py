"""A trace recorder on the plugin machinery: every memory access and every TB execution as rows of
preallocated numpy structured arrays, filled by numba callbacks running inside the interpreter
and the generated code (no Python per event).

    tr = emu.trace(mem=True, tbs=True[, out_dir=DIR])
    emu.run()
    tr.mem['vaddr'], tr.tbs['pc']        # numpy arrays (memmaps of DIR/mem.npy, DIR/tbs.npy)

MEM_DTYPE rows: icount (instructions the vCPU completed before the access's instruction), pc,
vaddr, value (the low 64 bits moved), size (bytes), flags (QEMU's meminfo bits: store 0x40,
big-endian 0x20, sign-extended 0x10, size shift in 0-3). TB_DTYPE rows: icount (before the TB),
pc, n_insns. Accesses are reported as the plugin API reports them (a pair as two 8-byte ones).

Each stream is a chunk of `chunk` rows. A callback that sees a chunk within HEADROOM rows of full
asks for an exit at the end of the TB (the plugin-request word); the recorder then spills the
rows to its .npy file (out_dir) or keeps them in memory, and starts the chunk again. The headroom
covers what one TB, or one iteration of a compiled loop, can add before the loop looks at the
request; a row that finds the chunk full anyway is counted as lost and the trace raises.
"""
import os

import numpy as np
from numba import njit

from nbemu.core import cpu
from nbemu.core.cbtable import INFO_SHIFT_MASK
from nbemu.core.native import peek64, poke32, poke64

MEM_DTYPE = np.dtype([('icount', '<u8'), ('pc', '<u8'), ('vaddr', '<u8'), ('value', '<u8'),
                      ('size', '<u4'), ('flags', '<u4')])
TB_DTYPE = np.dtype([('icount', '<u8'), ('pc', '<u8'), ('n_insns', '<u8')])
HEADROOM = 1 << 13          # > 128 instructions x 8 reported accesses (an LD4 of Q registers)
DEFAULT_CHUNK = 1 << 20

# the control block of a stream (uint64 words), read and written by the callbacks
C_COUNT, C_CAP, C_SPILL_AT, C_LOST, C_BUF, C_STATE = range(6)
U = np.uint64
_O_ICOUNT = U(cpu.OFF_ICOUNT)
_O_MEMVAL_LO = U(cpu.OFF_MEMVAL_LO)
_O_REQ = U(cpu.OFF_PLUGIN_REQ)
_IDX_SHIFT = U(56)
_ADDR_MASK = (U(1) << _IDX_SHIFT) - U(1)
_TB_ROW = U(TB_DTYPE.itemsize)
_MEM_ROW = U(MEM_DTYPE.itemsize)


@njit(cache=True)
def _claim_row(ctl, row_size):
    """The address of the stream's next row (0 if the chunk is full: counted as lost). Taking
    the row that fills the chunk to its spill mark asks the loop to spill at the TB's end."""
    n = peek64(ctl + U(8 * C_COUNT))
    if n >= peek64(ctl + U(8 * C_CAP)):
        poke64(ctl + U(8 * C_LOST), peek64(ctl + U(8 * C_LOST)) + U(1))
        return U(0)
    poke64(ctl + U(8 * C_COUNT), n + U(1))
    if n + U(1) == peek64(ctl + U(8 * C_SPILL_AT)):
        poke64(peek64(ctl + U(8 * C_STATE)) + _O_REQ, U(1))
    return peek64(ctl + U(8 * C_BUF)) + n * row_size


@njit(cache=True)
def record_tb(vcpu, info):
    """TB callback; info: address of the TB's uint64[3] (stream control block, pc, n_insns)."""
    ctl = peek64(info)
    row = _claim_row(ctl, _TB_ROW)
    if row == U(0):
        return
    st = peek64(ctl + U(8 * C_STATE))
    poke64(row, peek64(st + _O_ICOUNT))
    poke64(row + U(8), peek64(info + U(8)))
    poke64(row + U(16), peek64(info + U(16)))


@njit(cache=True)
def record_mem(vcpu, meminfo, vaddr, udata):
    """Memory callback; udata: address of the TB's uint64[3] | instruction index << 56 (the
    instruction's pc is the TB's plus 4 * index, its icount the vCPU's plus index)."""
    info = udata & _ADDR_MASK
    idx = udata >> _IDX_SHIFT
    ctl = peek64(info)
    row = _claim_row(ctl, _MEM_ROW)
    if row == U(0):
        return
    st = peek64(ctl + U(8 * C_STATE))
    poke64(row, peek64(st + _O_ICOUNT) + idx)
    poke64(row + U(8), peek64(info + U(8)) + U(4) * idx)
    poke64(row + U(16), vaddr)
    size = U(1) << (meminfo & U(INFO_SHIFT_MASK))
    value = peek64(st + _O_MEMVAL_LO)
    if size < U(8):                 # the record holds the register's bits beyond the access
        value &= (U(1) << (U(8) * size)) - U(1)
    poke64(row + U(24), value)
    poke32(row + U(32), size)
    poke32(row + U(36), meminfo)


class _Stream:
    """One record stream: its chunk, control block and where full chunks go."""

    def __init__(self, name, dtype, chunk, state_addr, out_dir):
        self.name = name
        self.dtype = dtype
        self.buf = np.zeros(chunk, dtype=dtype)
        self.ctl = np.zeros(6, dtype=np.uint64)
        self.ctl[C_CAP] = chunk
        self.ctl[C_SPILL_AT] = chunk - HEADROOM
        self.ctl[C_BUF] = self.buf.ctypes.data
        self.ctl[C_STATE] = state_addr
        self.path = os.path.join(out_dir, f'{name}.npy') if out_dir else None
        self.parts = []         # in memory: the full chunks, each handed over whole
        self.written = 0        # on disk: rows after the header
        self._file = None
        if self.path:
            self._file = open(self.path, 'wb')
            self._file.write(_npy_header(dtype, 0))

    @property
    def address(self):
        return int(self.ctl.ctypes.data)

    def drain(self):
        n = int(self.ctl[C_COUNT])
        if n:
            if self._file is not None:
                self._file.write(self.buf[:n].data)
                self.written += n
            else:
                # the native side takes the chunk's address from ctl at every row, so a full
                # chunk is kept as it is and a fresh one takes its place (no copy per row)
                self.parts.append(self.buf[:n])
                self.buf = np.empty(len(self.buf), dtype=self.dtype)
                self.ctl[C_BUF] = self.buf.ctypes.data
            self.ctl[C_COUNT] = 0

    def finish(self):
        """All rows: a memmap of the .npy file, or one array in memory."""
        self.drain()
        if int(self.ctl[C_LOST]):
            from .manager import PluginError
            raise PluginError(f'trace: {int(self.ctl[C_LOST])} {self.name} rows did not fit '
                              f'a chunk')
        if self._file is not None:
            self._file.seek(0)
            self._file.write(_npy_header(self.dtype, self.written))
            self._file.close()
            self._file = None
        if self.path:
            return np.load(self.path, mmap_mode='r')
        if len(self.parts) == 1:
            return self.parts[0]
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=self.dtype)


def _npy_header(dtype, rows):
    """An .npy version 1.0 header (numpy's format: magic, version, header length, a dict literal
    padded with spaces to a multiple of 64 bytes and ending in a newline) whose length does not
    depend on rows, so that it can be rewritten in place with the final count."""
    def text(n):
        return "{'descr': %r, 'fortran_order': False, 'shape': (%d,), }" % (
            np.lib.format.dtype_to_descr(dtype), n)
    total = -(-(10 + len(text(2**64)) + 1) // 64) * 64
    body = text(rows).ljust(total - 10 - 1) + '\n'
    return b'\x93NUMPY\x01\x00' + len(body).to_bytes(2, 'little') + body.encode('latin1')


class Trace:
    """The recorder, installed as a plugin (install); mem and tbs are the results once the run
    ended (None for a stream not asked for)."""

    __name__ = 'trace'      # what the plugin core calls it in messages

    def __init__(self, mem=True, tbs=True, out_dir=None, chunk=DEFAULT_CHUNK):
        if chunk < 2 * HEADROOM:
            raise ValueError(f'trace chunk must hold at least {2 * HEADROOM} rows')
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
        self.want_mem, self.want_tbs = mem, tbs
        self.out_dir, self.chunk = out_dir, chunk
        self.streams = {}
        self.pid = os.getpid()  # a forked guest child inherits the recorder: it must not write
        self._infos = []        # the TBs' uint64[3], alive while their TBs may run
        self._done = None

    def install(self, api, args):
        m = api._m
        st = int(m.machine.state.ctypes.data)
        for name, want, dtype in (('mem', self.want_mem, MEM_DTYPE),
                                  ('tbs', self.want_tbs, TB_DTYPE)):
            if want:
                self.streams[name] = _Stream(name, dtype, self.chunk, st, self.out_dir)
        m.boundary_hooks.append(self._drain_full)
        api.register_vcpu_tb_trans_cb(self._tb_trans)
        api.register_flush_cb(lambda _pid: self._infos.clear())
        api.register_atexit_cb(lambda _pid, _u: self.results())
        self.api = api

    def _tb_trans(self, tb):
        api = self.api
        n = api.tb_n_insns(tb)
        for name in self.streams:
            info = np.array([self.streams[name].address, api.tb_vaddr(tb), n], dtype=np.uint64)
            self._infos.append(info)
            addr = int(info.ctypes.data)
            if name == 'tbs':
                api.register_vcpu_tb_exec_cb(tb, record_tb, api.CB_NO_REGS, addr)
            else:
                for i in range(n):
                    api.register_vcpu_mem_cb(api.tb_get_insn(tb, i), record_mem, api.CB_NO_REGS,
                                             api.MEM_RW, addr | (i << 56))

    def _drain_full(self):
        if os.getpid() != self.pid:
            return
        for s in self.streams.values():
            if int(s.ctl[C_COUNT]) >= int(s.ctl[C_SPILL_AT]):
                s.drain()

    def results(self):
        """{stream: rows}; only the process that created the recorder records (a forked guest
        child's rows are dropped)."""
        if os.getpid() != self.pid:
            return {}
        if self._done is None:
            self._done = {name: s.finish() for name, s in self.streams.items()}
        return self._done

    @property
    def mem(self):
        return self.results().get('mem')

    @property
    def tbs(self):
        return self.results().get('tbs')
