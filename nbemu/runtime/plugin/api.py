"""What a plugin sees: QEMU's TCG plugin API without the `qemu_plugin_` prefix.

A plugin is a Python module (or file) with `install(api, args)`; `args` is the dict of
`key=value` strings given with `-plugin path,key=value,...`. Every method below is QEMU's
function of the same name (the plugin id is implicit). Callbacks may be plain Python callables
or numba `@njit` functions (then they run natively inside the generated code; their userdata
must be an int or a numpy array, passed as its address).
"""
import struct

import numpy as np

from nbemu.core import cbtable, cpu
from nbemu.core.cpu import DISCON_EXCEPTION, DISCON_HOSTCALL, DISCON_INTERRUPT
from nbemu.core.memdefs import GuestFault
from nbemu.gen.disas import disas_word

from .handles import InsnHandle, PluginUsageError, SetPC, TBHandle
from .scoreboard import Scoreboard, U64Entry

# QEMU's enums; CB_RW_REGS_PC (QEMU 11) is CB_RW_REGS, which QEMU also lets set_pc
CB_NO_REGS, CB_R_REGS, CB_RW_REGS, CB_RW_REGS_PC = 0, 1, 2, 3
MEM_R, MEM_W, MEM_RW = 1, 2, 3
DISCON_ALL = DISCON_INTERRUPT | DISCON_EXCEPTION | DISCON_HOSTCALL
INLINE_ADD_U64, INLINE_STORE_U64 = 0, 1
(COND_NEVER, COND_ALWAYS, COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT,
 COND_GE) = range(8)
assert COND_GE == cbtable.COND_GE

_EXEC_INLINE = {INLINE_ADD_U64: cbtable.KIND_INLINE_ADD, INLINE_STORE_U64: cbtable.KIND_INLINE_STORE}
_MEM_INLINE = {INLINE_ADD_U64: cbtable.KIND_MEM_INLINE_ADD,
               INLINE_STORE_U64: cbtable.KIND_MEM_INLINE_STORE}


class RegisterDescriptor:
    def __init__(self, handle, name, feature):
        self.handle = handle
        self.name = name
        self.feature = feature

    def __repr__(self):
        return f'RegisterDescriptor({self.handle}, {self.name!r}, {self.feature!r})'


# (name, word offset in the vCPU record, bytes, gdb feature), gdb's names as QEMU reports them
_CORE = 'org.gnu.gdb.aarch64.core'
_FPU = 'org.gnu.gdb.aarch64.fpu'
REGISTERS = ([(f'x{i}', cpu.OFF_X // 8 + i, 8, _CORE) for i in range(31)] +
             [('sp', cpu.OFF_SP // 8, 8, _CORE), ('pc', cpu.OFF_PC // 8, 8, _CORE),
              ('cpsr', cpu.OFF_NZCV // 8, 4, _CORE)] +
             [(f'v{i}', cpu.OFF_V // 8 + 2 * i, 16, _FPU) for i in range(32)] +
             [('fpsr', cpu.OFF_FPSR // 8, 4, _FPU), ('fpcr', cpu.OFF_FPCR // 8, 4, _FPU)])


def _check_kind(obj, cls, what):
    if not isinstance(obj, cls):
        raise PluginUsageError(f'{what} expected, got {type(obj).__name__}')
    return obj


def _entry(entry):
    """(address for vCPU 0, stride) of a scoreboard u64 entry."""
    _check_kind(entry, U64Entry, 'a scoreboard u64 entry (api.scoreboard_u64)')
    return entry.address(), entry.score.stride


class PluginApi:
    CB_NO_REGS, CB_R_REGS, CB_RW_REGS, CB_RW_REGS_PC = CB_NO_REGS, CB_R_REGS, CB_RW_REGS, \
        CB_RW_REGS_PC
    MEM_R, MEM_W, MEM_RW = MEM_R, MEM_W, MEM_RW
    INLINE_ADD_U64, INLINE_STORE_U64 = INLINE_ADD_U64, INLINE_STORE_U64
    COND_NEVER, COND_ALWAYS, COND_EQ, COND_NE = COND_NEVER, COND_ALWAYS, COND_EQ, COND_NE
    COND_LT, COND_LE, COND_GT, COND_GE = COND_LT, COND_LE, COND_GT, COND_GE
    DISCON_INTERRUPT, DISCON_EXCEPTION, DISCON_HOSTCALL = \
        DISCON_INTERRUPT, DISCON_EXCEPTION, DISCON_HOSTCALL
    DISCON_ALL = DISCON_ALL

    def __init__(self, manager, plugin):
        self._m = manager
        self._p = plugin
        self.id = plugin.id

    # ----- lifecycle and output -----
    def outs(self, text):
        self._m.outs(text)

    def bool_parse(self, name, value):
        """QEMU's qemu_plugin_bool_parse: 'on'/'true'/'yes' or 'off'/'false'/'no'."""
        v = str(value).lower()
        if v in ('on', 'true', 'yes'):
            return True
        if v in ('off', 'false', 'no'):
            return False
        raise PluginUsageError(f"{name}={value}: not a boolean (on/off)")

    def num_vcpus(self):
        """vCPUs created so far: one more than the highest index handed out (QEMU 9.0's
        qemu_plugin_num_vcpus; 7.2's qemu_plugin_n_vcpus is -1 in user mode). It grows as guest
        threads start and does not shrink when they exit."""
        return self._m.n_vcpus

    def vcpu_for_each(self, cb):
        """cb(id, vcpu_index) for every live vCPU (guest thread), in index order."""
        self._m.vcpu_for_each(self._p, cb)

    def register_vcpu_tb_trans_cb(self, cb):
        self._p.tb_trans.append(cb)

    def register_vcpu_init_cb(self, cb):
        """cb(id, vcpu_index) for the main thread's vCPU at start and for each guest thread's
        when clone creates it, before its first instruction (registered after the start: at
        once for every live vCPU)."""
        self._p.vcpu_init.append(cb)
        if self._m.started:
            for index in sorted(self._m.live):
                self._m._vcpu_call(index, self._p, cb)

    def register_vcpu_exit_cb(self, cb):
        """cb(id, vcpu_index) when a guest thread exits while others live (as qemu-aarch64
        7.2: not at the process's exit)."""
        self._p.vcpu_exit.append(cb)

    def register_atexit_cb(self, cb, userdata=None):
        self._p.atexit.append((cb, userdata))

    def register_flush_cb(self, cb):
        self._p.flush.append(cb)

    def register_vcpu_discon_cb(self, kinds, cb):
        """cb(id, vcpu_index, kind, from_pc, to_pc) when the guest's control flow leaves the
        program's order (QEMU 11's discontinuity callback), for the kinds in the mask `kinds`.
        In a Linux process: DISCON_EXCEPTION when a fault's signal (SIGSEGV, SIGBUS, SIGILL,
        SIGTRAP...) enters its handler, from the faulting pc; DISCON_INTERRUPT when any other
        signal enters its handler, from the pc the thread would have run next; DISCON_HOSTCALL
        for a semihosting call, from the HLT to the instruction after it. to_pc is where
        execution goes on."""
        if not isinstance(kinds, int) or not kinds & DISCON_ALL or kinds & ~DISCON_ALL:
            raise PluginUsageError(f'discontinuity kinds {kinds!r}: a mask of DISCON_INTERRUPT, '
                             f'DISCON_EXCEPTION and DISCON_HOSTCALL')
        self._p.discon.append((kinds, cb))
        self._m.machine.on_discon = self._m.discontinuity

    def register_vcpu_syscall_cb(self, cb):
        self._p.syscall.append(cb)

    def register_vcpu_syscall_ret_cb(self, cb):
        self._p.syscall_ret.append(cb)

    def register_vcpu_syscall_filter_cb(self, cb):
        """cb(vcpu_index, num, a1..a8) returns None to let the syscall run, or
        (True, return_value) to skip it and make it return that value."""
        self._p.syscall_filter.append(cb)

    def reset(self, cb=None):
        """Drop every registration of this plugin, asynchronously: callbacks may still fire
        until the guest leaves the current TB; then the code cache is flushed and cb(id) runs
        (where the plugin may register again)."""
        self._m.request(self._p, 'reset', cb)

    def uninstall(self, cb=None):
        self._m.request(self._p, 'uninstall', cb)

    # ----- translation-time queries -----
    def tb_n_insns(self, tb):
        return len(_check_kind(tb, TBHandle, 'a TB handle').check().insns)

    def tb_vaddr(self, tb):
        return _check_kind(tb, TBHandle, 'a TB handle').check().pc

    def tb_get_insn(self, tb, i):
        t = _check_kind(tb, TBHandle, 'a TB handle')
        n = len(t.check().insns)
        if not 0 <= i < n:
            raise PluginUsageError(f'tb_get_insn: index {i} outside the TB (it has {n})')
        return t.insns[i]

    def insn_data(self, insn):
        return struct.pack('<I', _check_kind(insn, InsnHandle, 'an instruction handle').insn().word)

    def insn_size(self, insn):
        _check_kind(insn, InsnHandle, 'an instruction handle').insn()
        return 4

    def insn_vaddr(self, insn):
        return _check_kind(insn, InsnHandle, 'an instruction handle').insn().pc

    def insn_haddr(self, insn):
        """The host address of the instruction's bytes (inside the guest's memory buffer)."""
        i = _check_kind(insn, InsnHandle, 'an instruction handle').insn()
        return self._m.machine.mem.guest_host_address(i.pc)

    def insn_disas(self, insn):
        i = _check_kind(insn, InsnHandle, 'an instruction handle').insn()
        return disas_word(i.word, i.pc)

    def insn_symbol(self, insn):
        i = _check_kind(insn, InsnHandle, 'an instruction handle').insn()
        return self._m.symbols.lookup(i.pc)

    # ----- execution callbacks -----
    def _flags(self, flags):
        if flags not in (CB_NO_REGS, CB_R_REGS, CB_RW_REGS, CB_RW_REGS_PC):
            raise PluginUsageError(f'callback flags {flags!r}: one of CB_NO_REGS, CB_R_REGS, '
                                   f'CB_RW_REGS, CB_RW_REGS_PC')
        return min(flags, CB_RW_REGS)

    def register_vcpu_tb_exec_cb(self, tb, cb, flags=CB_NO_REGS, userdata=None):
        t = _check_kind(tb, TBHandle, 'a TB handle')
        t.check()
        t.exec_regs.append(self._m.exec_row(self._p, cbtable.KIND_CALL, cb, userdata,
                                            self._flags(flags)))

    def register_vcpu_insn_exec_cb(self, insn, cb, flags=CB_NO_REGS, userdata=None):
        i = _check_kind(insn, InsnHandle, 'an instruction handle')
        i.insn()
        i.exec_regs.append(self._m.exec_row(self._p, cbtable.KIND_CALL, cb, userdata,
                                            self._flags(flags)))

    def _cond_row(self, cb, flags, cond, entry, imm, userdata):
        if cond == COND_NEVER:
            return None
        if not COND_NEVER <= cond <= COND_GE:
            raise PluginUsageError(f'condition {cond!r}: one of COND_NEVER..COND_GE')
        addr, stride = _entry(entry)
        kind = cbtable.KIND_CALL if cond == COND_ALWAYS else cbtable.KIND_COND_CALL
        return self._m.exec_row(self._p, kind, cb, userdata, self._flags(flags), cond=cond,
                                entry=addr, stride=stride, imm=imm,
                                keep=(entry.score.buf,))

    def register_vcpu_tb_exec_cond_cb(self, tb, cb, flags, cond, entry, imm, userdata=None):
        t = _check_kind(tb, TBHandle, 'a TB handle')
        t.check()
        r = self._cond_row(cb, flags, cond, entry, imm, userdata)
        if r is not None:
            t.exec_regs.append(r)

    def register_vcpu_insn_exec_cond_cb(self, insn, cb, flags, cond, entry, imm, userdata=None):
        i = _check_kind(insn, InsnHandle, 'an instruction handle')
        i.insn()
        r = self._cond_row(cb, flags, cond, entry, imm, userdata)
        if r is not None:
            i.exec_regs.append(r)

    def _inline(self, op, entry, imm, table):
        if op not in table:
            raise PluginUsageError(f'inline op {op!r}: INLINE_ADD_U64 or INLINE_STORE_U64')
        addr, stride = _entry(entry)
        return dict(kind=table[op], fn=addr, stride=stride, imm=int(imm) & (2**64 - 1),
                    keep=(entry.score.buf,))

    def register_vcpu_tb_exec_inline_per_vcpu(self, tb, op, entry, imm):
        t = _check_kind(tb, TBHandle, 'a TB handle')
        t.check()
        t.exec_regs.append(self._m.exec_row(self._p, **self._inline(op, entry, imm, _EXEC_INLINE)))

    def register_vcpu_insn_exec_inline_per_vcpu(self, insn, op, entry, imm):
        i = _check_kind(insn, InsnHandle, 'an instruction handle')
        i.insn()
        i.exec_regs.append(self._m.exec_row(self._p, **self._inline(op, entry, imm, _EXEC_INLINE)))

    # ----- memory callbacks -----
    def _rw(self, rw):
        if rw not in (MEM_R, MEM_W, MEM_RW):
            raise PluginUsageError(f'rw {rw!r}: one of MEM_R, MEM_W, MEM_RW')
        return rw << cbtable.MEM_RW_SHIFT

    def register_vcpu_mem_cb(self, insn, cb, flags=CB_NO_REGS, rw=MEM_RW, userdata=None):
        i = _check_kind(insn, InsnHandle, 'an instruction handle')
        i.insn()
        i.mem_regs.append(self._m.mem_spec(self._p, cbtable.KIND_MEM_CALL, cb, userdata,
                                           flags=self._rw(rw) | self._flags(flags)))

    def register_vcpu_mem_inline_per_vcpu(self, insn, rw, op, entry, imm):
        i = _check_kind(insn, InsnHandle, 'an instruction handle')
        i.insn()
        kw = self._inline(op, entry, imm, _MEM_INLINE)
        keep = kw.pop('keep')
        self._m.table.keep.extend(keep)
        i.mem_regs.append(self._m.mem_spec(self._p, flags=self._rw(rw), **kw))

    # meminfo, as QEMU packs it (nbemu.core.cbtable.INFO_*)
    @staticmethod
    def mem_size_shift(info):
        return int(info) & cbtable.INFO_SHIFT_MASK

    @staticmethod
    def mem_is_sign_extended(info):
        return bool(int(info) & cbtable.INFO_SIGN)

    @staticmethod
    def mem_is_big_endian(info):
        return bool(int(info) & cbtable.INFO_BE)

    @staticmethod
    def mem_is_store(info):
        return bool(int(info) & cbtable.INFO_STORE)

    def mem_get_value(self, info):
        """The value the access being reported moved (valid inside the memory callback), as an
        int of 1 << size_shift bytes."""
        st = self._m.current_state()
        v = int(st['memval_lo'][0]) | (int(st['memval_hi'][0]) << 64)
        return v & ((1 << (8 << self.mem_size_shift(info))) - 1)

    # ----- scoreboards -----
    def scoreboard_new(self, element_size):
        """An element per vCPU; it grows as guest threads get new vCPU indices."""
        return self._m.new_scoreboard(element_size)

    def scoreboard_free(self, score):
        """The scoreboard's memory stays valid until the next code-cache flush, but no inline
        op or conditional callback registered on it runs any more."""
        _check_kind(score, Scoreboard, 'a scoreboard')
        addr_lo, addr_hi = score.buf.ctypes.data, score.buf.ctypes.data + score.buf.nbytes
        rows = self._m.table.rows
        self._m.table.invalidate_where(
            lambda r: addr_lo <= rows[r, cbtable.CB_FN] < addr_hi or
            addr_lo <= rows[r, cbtable.CB_ENTRY] < addr_hi)
        score.freed = True

    @staticmethod
    def scoreboard_find(score, vcpu_index):
        return score.find(vcpu_index)

    @staticmethod
    def scoreboard_u64(score):
        return U64Entry(score, 0)

    @staticmethod
    def scoreboard_u64_in_struct(score, offset):
        return U64Entry(score, offset)

    @staticmethod
    def u64_add(entry, vcpu_index, v):
        entry.add(vcpu_index, v)

    @staticmethod
    def u64_get(entry, vcpu_index):
        return entry.get(vcpu_index)

    @staticmethod
    def u64_set(entry, vcpu_index, v):
        entry.set(vcpu_index, v)

    @staticmethod
    def u64_sum(entry):
        return entry.sum()

    # ----- registers and memory -----
    def get_registers(self):
        return [RegisterDescriptor(i, name, feat) for i, (name, _w, _n, feat) in enumerate(REGISTERS)]

    def _reg(self, handle):
        if not isinstance(handle, (int, np.integer)) or not 0 <= handle < len(REGISTERS):
            raise PluginUsageError(f'register handle {handle!r} is not one of get_registers()')
        return REGISTERS[handle]

    def read_register(self, handle):
        """The register's value as little-endian bytes (4, 8 or 16 of them)."""
        _name, word, size, _f = self._reg(handle)
        regs = cpu.words(self._m.current_state())
        raw = regs[word:word + 2].tobytes() if size == 16 else regs[word:word + 1].tobytes()
        if _name == 'cpsr':
            return raw[:4]
        return raw[:size]

    def write_register(self, handle, data):
        name, word, size, _f = self._reg(handle)
        data = bytes(data)
        if len(data) != size:
            raise PluginUsageError(f'{name} takes {size} bytes, not {len(data)}')
        if name == 'pc':
            raise PluginUsageError('write_register cannot write pc: use set_pc')
        regs = cpu.words(self._m.current_state())
        if size == 16:
            regs[word:word + 2] = np.frombuffer(data, dtype=np.uint64)
        else:
            regs[word] = int.from_bytes(data, 'little')
        return size

    def set_pc(self, vaddr):
        """Go on at vaddr: does not return. From an instruction or TB callback registered with
        CB_RW_REGS (or CB_RW_REGS_PC) the instruction it precedes does not run (nor its other
        callbacks); from a syscall callback the syscall does not run and x0 is left alone, from
        a syscall-return callback x0 keeps what it holds (the syscall's result unless the
        callback wrote it). Elsewhere it is a PluginUsageError, where QEMU returns silently."""
        if not isinstance(vaddr, (int, np.integer)):
            raise PluginUsageError(f'set_pc takes an address, not {type(vaddr).__name__}')
        vaddr = int(vaddr) & (2**64 - 1)
        if self._m.setpc_allowed():
            raise SetPC(vaddr)
        raise PluginUsageError('set_pc works only in an execution callback registered with '
                               'CB_RW_REGS or CB_RW_REGS_PC, or in a syscall or syscall-return '
                               'callback')

    def read_memory_vaddr(self, vaddr, length):
        """The guest's bytes at vaddr, or None when any of them is not readable."""
        try:
            return self._m.machine.mem.read(vaddr, length)
        except GuestFault:
            return None

    def write_memory_vaddr(self, vaddr, data):
        """Write guest memory (translated code there is invalidated); False if not writable."""
        try:
            self._m.machine.mem.write(vaddr, data)
            return True
        except GuestFault:
            return False

    # ----- the program -----
    def path_to_binary(self):
        return self._m.program.exe_path if self._m.program else None

    def start_code(self):
        return self._m.program.exe.lo if self._m.program else 0

    def end_code(self):
        return self._m.program.exe.hi if self._m.program else 0

    def entry_code(self):
        return self._m.program.entry if self._m.program else 0
