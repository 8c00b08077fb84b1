"""One vCPU with its memory, TB cache and tiers: runs guest code until something needs the OS.

`Machine.run()` re-enters the nopython loop after every internal exit (TB miss, hot TB, store to
translated code) and returns only for exits the Linux layer handles: syscalls and faults.
"""
import threading
import time

import numpy as np

from nbemu.core import cpu, tlb
from nbemu.gen import decode, emit, interp_builder, translate

from . import codecache, regions
from .codecache import default_cache_dir
from .jit import BackgroundCompiler, TBCompiler
from .memory import GuestFault
from .tbcache import TB_ENTRY, TB_HITS, TBCache

JIT_MODES = ('off', 'auto', 'all')
DEFAULT_HOT_THRESHOLD = 200


class Stats:
    def __init__(self):
        self.translate_s = 0.0
        self.native_s = 0.0
        self.syscall_s = 0.0
        self.entries = 0


class Machine:
    def __init__(self, memory, jit='auto', cache_dir=None, max_tb_insns=translate.MAX_TB_INSNS,
                 hot_threshold=DEFAULT_HOT_THRESHOLD, on_translate=None, jit_sync=False,
                 cache_limit=codecache.DEFAULT_LIMIT, cpu_model=None):
        """jit_sync (auto mode): compile a TB on this thread when it becomes hot instead of on
        the background worker, so tier-up happens at a deterministic point (tests).
        cpu_model: a features.CpuModel or its name (None: the default model)."""
        if jit not in JIT_MODES:
            raise ValueError(f'jit mode must be one of {JIT_MODES}')
        self.mem = memory
        self.jit = jit
        self.cache_dir = cache_dir or default_cache_dir()
        self.cache_limit = cache_limit      # bytes on disk; least recently used entries go first
        self.max_tb_insns = max_tb_insns
        self.hot_threshold = hot_threshold if jit == 'auto' else -1
        self.jit_sync = jit_sync
        self.hot_submitted = 0
        self.pending = set()        # rows whose compiled code is queued for the background worker
        self.sync_errors = []       # (pc, error) of hot TBs that failed to compile in sync mode
        self.state = cpu.new_state()
        self.regs = cpu.words(self.state)
        self.tlb = tlb.new_tlb()
        tlb.attach(self.state, memory, self.tlb)
        self.vcpus = [self.state]   # every live vCPU record (guest threads)
        self.retired_icount = 0     # instructions of vCPUs that are gone (exited threads)
        memory.on_code_unmapped = self.invalidate_pages
        self.dec = decode.decoder(cpu_model)
        self.cpu_model = self.dec.model
        self.interp = interp_builder.load_interpreter(self.cache_dir, self.dec)
        self.tbc = TBCache()
        self.compiler = TBCompiler(self.cache_dir) if jit != 'off' else None
        self.bg = None
        self.lock = threading.Lock()
        self.epoch = 0
        self.stats = Stats()
        self.on_translate = on_translate    # hook(TranslatedTB): -d in_asm, op
        # plugin core hooks (runtime/plugin): instrument(TranslatedTB) at translation,
        # on_plugin_request() at EXIT_PLUGIN, on_flush() after a code-cache flush
        self.instrument = None
        self.on_plugin_request = None
        self.on_flush = None
        # on_vcpu_init(state) when a guest thread's vCPU is made (before it runs), on_vcpu_exit(
        # state) when a thread exits while others live (linux/threads.py calls them)
        self.on_vcpu_init = None
        self.on_vcpu_exit = None
        # on_discon(kind, from_pc, to_pc) when a signal handler is entered or a semihosting call
        # is done (plugins' discontinuity callbacks; kinds as plugin.api.DISCON_*)
        self.on_discon = None
        # > 0: return EXIT_BUDGET after that many TB dispatches, so that the Linux layer looks
        # for host signals to forward even while the guest runs without syscalls (a compiled
        # region is one dispatch: this count is host-dependent, nothing may be decided on it)
        self.poll_budget = 0

    # ----- TB management -----
    def invalidate_pages(self, pages):
        with self.lock:
            self.tbc.invalidate_pages(pages)
            for p in pages:
                self.mem.clear_code(p)

    def flush(self):
        with self.lock:
            self.epoch += 1
            self.tbc.flush()
            self.pending.clear()
            for p in list(self.mem.code_pages):
                self.mem.clear_code(p)
        if self.on_flush:
            self.on_flush()

    def _install(self, rows, epoch, address):
        """Install compiled code on TB rows (one TB, or every member of a region), unless a
        flush or an invalidation dropped any of them since it was generated."""
        if isinstance(rows, int):
            rows = (rows,)
        with self.lock:
            self.pending.difference_update(rows)
            if epoch == self.epoch and all(self.tbc.live[r] for r in rows):
                if len(rows) == 1:
                    self.tbc.tbs[rows[0], TB_ENTRY] = address
                else:
                    self.tbc.add_region(rows, address)

    def _translate(self, pc):
        t0 = time.perf_counter()
        tb = translate.translate(self.mem, pc, self.dec, self.max_tb_insns)
        if self.instrument:
            self.instrument(tb)
        for p in tb.pages:
            self.mem.mark_code(p)
        row = self.tbc.add(pc, tb.records(self.dec), tb.next_pc, tb.pages, tb, len(tb.insns))
        if row is None:
            self.flush()
            if self.instrument:     # the flush began a new callback-table generation
                self.instrument(tb)
            for p in tb.pages:
                self.mem.mark_code(p)
            row = self.tbc.add(pc, tb.records(self.dec), tb.next_pc, tb.pages, tb, len(tb.insns))
        self.stats.translate_s += time.perf_counter() - t0
        if self.on_translate:
            self.on_translate(tb)
        if self.jit == 'all':
            self._install(row, self.epoch, self.compiler.compile(tb))
        return row

    def _hot_code(self, row):
        """The rows of the code to compile for hot TB row (the region grown from it, or the TB
        alone) and a function that generates its source (called off the main thread)."""
        rows = regions.select(self.tbc, row, self.hot_threshold)
        if len(rows) == 1:
            tb = self.tbc.meta[row]
            return (row,), lambda: emit.tb_source(tb)
        tbs = [self.tbc.meta[r] for r in rows]
        return tuple(rows), lambda: emit.region_source(tbs)

    def _submit_hot(self, row):
        self.hot_submitted += 1
        if row in self.pending:
            return
        rows, make_source = self._hot_code(row)
        pc = self.tbc.meta[row].pc
        if self.jit_sync:
            try:
                self._install(rows, self.epoch, self.compiler.compile_source(make_source()))
            except Exception as e:     # the TBs stay on the interpreter, which is still correct
                self.sync_errors.append((pc, repr(e)))
            return
        if self.bg is None:
            self.bg = BackgroundCompiler(self.compiler, self._install,
                                         lambda rows: int(self.tbc.tbs[rows[0], TB_HITS]))
        with self.lock:
            self.pending.update(rows)
        self.bg.submit(rows, self.epoch, make_source, pc)

    # ----- vCPUs (guest threads: linux/threads.py) -----
    def new_vcpu(self):
        """A new vCPU record (a copy of the current one: registers, slow paths, plugin table)
        with its own TLB and a clear exclusive monitor and instruction count; it shares the
        memory and the TB cache. Returns (state, tlb)."""
        st = cpu.new_state()
        st[0] = self.state[0]
        st['excl_addr'] = ~np.uint64(0)
        st['icount'] = 0
        st['icount_limit'] = cpu.NO_LIMIT
        st['native_execs'] = 0
        st['exit_reason'] = 0
        t = tlb.new_tlb()
        tlb.attach(st, self.mem, t)
        self.mem.flush_tlbs()
        self.vcpus.append(st)
        return st, t

    def switch_vcpu(self, state, t):
        """Make (state, tlb) the vCPU that run() executes."""
        self.state, self.regs, self.tlb = state, cpu.words(state), t

    def drop_vcpu(self, state, t):
        """A vCPU is gone: keep its instruction count, stop flushing its TLB."""
        self.retired_icount += int(state['icount'][0])
        self.vcpus = [s for s in self.vcpus if s is not state]
        self.mem.tlbs = [x for x in self.mem.tlbs if x is not t]

    @property
    def icount(self):
        """Instructions executed by every vCPU, live or gone."""
        return self.retired_icount + sum(int(s['icount'][0]) for s in self.vcpus)

    # ----- execution -----
    @property
    def pc(self):
        return int(self.regs[cpu.OFF_PC // 8])

    @pc.setter
    def pc(self, v):
        self.regs[cpu.OFF_PC // 8] = v

    def at_deadline(self):
        """The running vCPU has reached its instruction deadline (icount_limit)."""
        return int(self.regs[cpu.OFF_ICOUNT // 8]) >= int(self.regs[cpu.OFF_ICOUNT_LIMIT // 8])

    def run(self):
        """Run until a syscall or fault, the poll budget, or the instruction deadline (both
        EXIT_BUDGET). Returns the exit reason; pc and exit data are in state."""
        st = self.state
        c = np.uint64(st.ctypes.data)
        while True:
            st['exit_reason'] = 0
            t0 = time.perf_counter()
            self.interp.run(c, self.tbc.ins, self.tbc.tbs, self.tbc.table, self.hot_threshold,
                            self.poll_budget, -1)
            self.stats.native_s += time.perf_counter() - t0
            self.stats.entries += 1
            r = int(st['exit_reason'][0])
            st['memcb_ref'] = 0
            if r == cpu.EXIT_MISS:
                if self.pc & 3:     # PC alignment fault, delivered as SIGBUS
                    st['exit_reason'] = cpu.EXIT_BUS
                    st['fault_addr'] = self.pc
                    return cpu.EXIT_BUS
                try:
                    self._translate(self.pc)
                except GuestFault as e:
                    st['exit_reason'] = cpu.EXIT_SEGV
                    st['fault_addr'] = e.addr
                    st['exit_info'] = 2
                    return cpu.EXIT_SEGV
            elif r == cpu.EXIT_HOT:
                self._submit_hot(int(st['exit_info'][0]))
            elif r == cpu.EXIT_BUDGET:
                return r
            elif r == cpu.EXIT_PLUGIN:
                self.on_plugin_request()
            elif r == cpu.EXIT_SETPC:
                pass                # a plugin diverted the pc mid-TB: go on at its target
            elif r == cpu.EXIT_SMC:
                # stores to translated code on pages exit_info..fault_addr (page addresses)
                lo = int(st['exit_info'][0]) >> 12
                hi = max(int(st['fault_addr'][0]) >> 12, lo)
                self.invalidate_pages(list(range(lo, hi + 1)))
            else:
                # a syscall, fault or other exit for the caller: a plugin request made in the
                # TB it left (a callback that raised before an exit_group) is taken first
                if st['plugin_req'][0]:
                    self.on_plugin_request()
                return r
            # an internal exit (a hot TB or a plugin request at a TB end, a store to code in a
            # TB) at or past the deadline: the loop would run one more TB before its own test
            if self.at_deadline():
                st['exit_reason'] = cpu.EXIT_BUDGET
                return cpu.EXIT_BUDGET

    def run_one_tb(self):
        """Translate and execute exactly one TB at pc (single-instruction tests, stepping).
        Returns the exit reason (EXIT_NONE when the TB ran to its end)."""
        st = self.state
        st['exit_reason'] = 0
        row = self._translate(self.pc)
        c = np.uint64(st.ctypes.data)
        # one TB from that row (compiled under --jit=all), without counting it towards tier-up
        self.interp.run(c, self.tbc.ins, self.tbc.tbs, self.tbc.table, -1, 1, row)
        st['memcb_ref'] = 0
        r = int(st['exit_reason'][0])
        if r == cpu.EXIT_BUDGET:
            st['exit_reason'] = r = cpu.EXIT_NONE
        return r

    @property
    def compile_errors(self):
        """(pc, error) for every hot TB whose compile failed (it kept running interpreted)."""
        return self.sync_errors + (list(self.bg.errors) if self.bg else [])

    @property
    def native_execs(self):
        return int(self.regs[cpu.OFF_NATIVE_EXECS // 8])

    def after_fork_child(self):
        """In a forked child: the background compiler's thread did not survive the fork and its
        queue's lock may have been held by it, so drop it (a new one starts when needed). The
        TBs it had queued stay interpreted, which is correct."""
        if self.bg is not None:
            self.bg.after_fork_child()
        self.bg = None
        self.lock = threading.Lock()

    def close(self):
        if self.bg:
            self.bg.stop()
        if self.compiler and self.compiler.compiled:     # the cache grew: keep it in its limit
            codecache.evict(self.cache_dir, self.cache_limit, keep=(self.interp.__file__,))
