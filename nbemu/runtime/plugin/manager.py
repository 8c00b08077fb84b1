"""The plugin core: loads plugins, instruments TBs for them, runs their lifecycle and requests.

It is the only place that knows about callbacks. At translation time it asks every plugin's
tb_trans callbacks what to attach to the TB, turns each registration into a callback-table row
(table.py) and hands the translator instrumentation ops that name rows, never Python objects
(translate.InstrOp: the interpreter runs them as records, generated code calls them). Requests
from inside callbacks (reset, uninstall, a callback that raised) are recorded, and the execution
loop leaves native code at the next TB boundary to let this module act on them: the code cache is
flushed, the table's generation advances (so no reference made before can be followed), the
plugin's registrations go, then its completion callback runs. The exclusive monitor is left
alone: a reset is not an architectural event.
"""
import importlib
import importlib.util
import os
import sys
import traceback

from nbemu.core import cbtable, cpu
from nbemu.gen.sem import plugin as plugin_ops
from nbemu.gen.translate import InstrOp

from .handles import PluginUsageError, SetPC, TBHandle
from .native_cb import EXEC_SIG, MEM_SIG, NativeCallbacks, is_numba, numba_udata
from .table import CallbackTable


SET_PC = object()       # syscall_entry: a callback called set_pc (the syscall is not made)


class PluginError(Exception):
    """A plugin could not be loaded or one of its callbacks raised; str(e) says which and why."""


class Plugin:
    def __init__(self, pid, name, args):
        self.id = pid
        self.name = name
        self.args = args
        self.api = None
        self.clear()

    def clear(self):
        self.tb_trans = []
        self.vcpu_init = []
        self.vcpu_exit = []
        self.atexit = []
        self.flush = []
        self.syscall = []
        self.syscall_ret = []
        self.syscall_filter = []
        self.discon = []            # (kind mask, cb)


class PluginArgs(dict):
    """A plugin's `key=value` arguments: a dict of the last value of each key, which also keeps
    every value of a repeated key in order (QEMU hands plugins their argv, so
    `ifilter=ld,ifilter=st` means two filters): getall(key)."""

    def __init__(self, pairs=()):
        pairs = list(pairs.pairs if isinstance(pairs, PluginArgs) else
                     pairs.items() if isinstance(pairs, dict) else pairs)
        self.pairs = [(str(k), str(v)) for k, v in pairs]
        super().__init__(self.pairs)

    def getall(self, key):
        return [v for k, v in self.pairs if k == key]


def parse_plugin_arg(text):
    """'-plugin PATH_OR_MODULE,key=val,...' -> (path or module, PluginArgs)."""
    parts = text.split(',')
    pairs = []
    for kv in parts[1:]:
        if not kv:
            continue
        k, sep, v = kv.partition('=')
        if not sep:
            raise PluginError(f"plugin argument '{kv}' is not key=value")
        pairs.append((k, v))
    return parts[0], PluginArgs(pairs)


def _import_plugin(spec, pid):
    if spec.endswith('.py') or os.sep in spec:
        if not os.path.isfile(spec):
            raise PluginError(f"plugin '{spec}': no such file")
        name = f'nbemu_plugin_{pid}_{os.path.splitext(os.path.basename(spec))[0]}'
        mod_spec = importlib.util.spec_from_file_location(name, spec)
        mod = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = mod
        mod_spec.loader.exec_module(mod)
        return mod
    return importlib.import_module(spec)


def where(exc):
    """'file:line' of the innermost frame of an exception (the plugin's own code)."""
    tb = traceback.extract_tb(exc.__traceback__)
    return f'{tb[-1].filename}:{tb[-1].lineno}' if tb else '?'


class PluginManager:
    def __init__(self, machine, log=None, images=(), check=False):
        """machine: the Machine to instrument; log: a text stream for `outs` (None: dropped, as
        qemu-aarch64 does without -d plugin); images: (path, bias) of the loaded ELF objects;
        check: -d plugin-check (every TB checks the instrumentation's invariants, see
        check_violation)."""
        from .symbols import SymbolMap
        self.machine = machine
        self.log = log
        self.symbols = SymbolMap(list(images))
        self.table = CallbackTable()
        self.table.attach(machine.state)
        machine.state['mem_report'] = cbtable.mem_report().address
        self.natives = NativeCallbacks(self._callback_raised, self._set_pc_native)
        self.plugins = []
        self.errors = []
        self.requests = []
        self.started = False
        self.exited = False
        # vCPUs as QEMU linux-user numbers them: the main thread's is 0, a new thread's is one
        # more than the highest live index (so an exited thread's index comes back only when no
        # higher one is live), and an exited thread's leaves `live` at once
        self.live = {0: machine.state}
        self.n_vcpus = 1            # indices handed out so far (num_vcpus, scoreboard rows)
        self.scoreboards = []       # every scoreboard a plugin made (they grow with n_vcpus)
        self._vcpu_override = None  # the vCPU whose init/exit callbacks run (not the running one)
        self._syscall_vcpu = None   # (index, record) of the vCPU in the syscall being handled
        self._in_syscall_cb = False  # a syscall or syscall-return callback runs (it may set_pc)
        machine.state['vcpu_index'] = 0
        self.check = check
        self.boundary_hooks = []    # run at every plugin exit from the loop (trace.py spills)
        machine.state['pcheck'] = 1 if check else 0
        machine.instrument = self.instrument
        machine.on_plugin_request = self.handle_requests
        machine.on_flush = self._on_flush
        machine.on_vcpu_init = self.vcpu_created
        machine.on_vcpu_exit = self.vcpu_exited

    # ----- loading -----
    def load(self, spec, args=None):
        """Load a plugin (a file path or a module name) and run its install(api, args)."""
        from .api import PluginApi
        args = PluginArgs(args or ())
        pid = len(self.plugins) + len([r for r in self.requests if r[1] == 'uninstall'])
        name = os.path.basename(spec) if isinstance(spec, str) else getattr(spec, '__name__', '?')
        try:
            mod = _import_plugin(spec, pid) if isinstance(spec, str) else spec
        except PluginError:
            raise
        except Exception as e:
            raise PluginError(f"plugin '{name}' failed to load: {type(e).__name__}: {e} "
                              f"({where(e)})") from None
        install = getattr(mod, 'install', None)
        if not callable(install):
            raise PluginError(f"plugin '{name}' has no install(api, args) function")
        p = Plugin(pid, name, args)
        p.api = PluginApi(self, p)
        self.plugins.append(p)
        try:
            ret = install(p.api, args)
        except Exception as e:
            self.plugins.remove(p)
            raise PluginError(f"plugin '{name}': install raised {type(e).__name__}: {e} "
                              f"({where(e)})") from None
        if ret not in (None, 0, True):
            self.plugins.remove(p)
            raise PluginError(f"plugin '{name}': install failed (returned {ret!r})")
        if self.started:
            for index in sorted(self.live):
                for cb in p.vcpu_init:
                    self._vcpu_call(index, p, cb)
        return p

    def outs(self, text):
        if self.log is not None:
            self.log.write(text)
            self.log.flush()

    # ----- callbacks that run in Python -----
    def _call(self, plugin, cb, *args):
        try:
            return cb(*args)
        except Exception as e:
            raise PluginError(f"plugin '{plugin.name}': callback {getattr(cb, '__name__', cb)} "
                              f"raised {type(e).__name__}: {e} ({where(e)})") from None

    def discontinuity(self, kind, from_pc, to_pc):
        index = self.current_index()
        for p in list(self.plugins):
            for kinds, cb in list(p.discon):
                if kinds & kind:
                    self._call(p, cb, p.id, index, kind, from_pc, to_pc)

    def _callback_raised(self, owner, fn, exc):
        """From inside native code (a Python callback's trampoline): remember it; the loop stops
        at the TB end."""
        self.errors.append(f"plugin '{owner}': callback {getattr(fn, '__name__', fn)} raised "
                           f"{type(exc).__name__}: {exc} ({where(exc)})")
        self.machine.state['plugin_req'] = 1

    # ----- set_pc -----
    def setpc_allowed(self):
        return self._in_syscall_cb or (self._vcpu_override is None and
                                       int(self.machine.state['plugin_ctx'][0]) == 1)

    def _set_pc_native(self, vaddr):
        """An execution callback's set_pc (from its native thunk): plugin_exec_rw leaves the
        TB before its instruction."""
        st = self.machine.state
        st['pc'] = vaddr
        st['exit_reason'] = cpu.EXIT_SETPC

    def _syscall_callbacks(self, state, cbs_args):
        """Run (plugin, cb, args) in order as syscall callbacks; True if one called set_pc
        (the rest do not run; state's pc is the target)."""
        self._in_syscall_cb = True
        try:
            for p, cb, args in cbs_args:
                self._call(p, cb, *args)
        except SetPC as e:
            state['pc'] = e.vaddr
            return True
        finally:
            self._in_syscall_cb = False
        return False

    # ----- vCPUs -----
    def current_state(self):
        """The record of the vCPU a callback acts on: the running one, or the one whose init or
        exit callbacks run."""
        st = self._vcpu_override
        return self.machine.state if st is None else st

    def current_index(self):
        return int(self.current_state()['vcpu_index'][0])

    def _vcpu_call(self, index, plugin, cb):
        saved = self._vcpu_override
        self._vcpu_override = self.live[index]
        try:
            self._call(plugin, cb, plugin.id, index)
        finally:
            self._vcpu_override = saved

    def vcpu_created(self, state):
        """A guest thread's new vCPU record, before it runs its first instruction: its index,
        the callback table, room in every scoreboard, then the plugins' vcpu_init callbacks."""
        index = max(self.live) + 1 if self.live else 0
        state['vcpu_index'] = index
        self.live[index] = state
        self.table.attach(state)
        if index + 1 > self.n_vcpus:
            self.n_vcpus = index + 1
            self.grow_scoreboards()
        if self.started:
            for p in list(self.plugins):
                for cb in p.vcpu_init:
                    self._vcpu_call(index, p, cb)

    def vcpu_exited(self, state):
        """A guest thread exited (not the process: at exit_group qemu-aarch64 7.2 unregisters
        every callback but atexit first, so the vCPUs still live get no vcpu_exit)."""
        index = int(state['vcpu_index'][0])
        if self.live.get(index) is not state:
            return
        for p in list(self.plugins):
            for cb in p.vcpu_exit:
                self._vcpu_call(index, p, cb)
        del self.live[index]
        self.table.detach(state)

    def vcpu_for_each(self, plugin, cb):
        """cb(id, index) for every live vCPU (QEMU 7.2 walks the vCPUs whose init hook ran and
        whose exit hook has not), in index order."""
        for index in sorted(self.live):
            self._call(plugin, cb, plugin.id, index)

    def new_scoreboard(self, element_size):
        from .scoreboard import Scoreboard
        score = Scoreboard(element_size, self.n_vcpus)
        self.scoreboards.append(score)
        return score

    def grow_scoreboards(self):
        """Every scoreboard gets an element for each vCPU index handed out; rows addressing a
        replaced buffer move to the new one (the old one stays alive until the next generation,
        so no later buffer can take its addresses while a deduplication key still names them)."""
        for score in self.scoreboards:
            old = score.grow(self.n_vcpus)
            if old is not None:
                lo = old.ctypes.data
                self.table.move_addresses(lo, lo + old.nbytes, score.buf.ctypes.data)
                self.table.keep.extend((old, score.buf))

    def start(self):
        self.started = True
        for p in list(self.plugins):
            for cb in p.vcpu_init:
                self._vcpu_call(0, p, cb)

    def finish(self):
        """The guest exited: atexit callbacks. qemu-aarch64 7.2 (plugins/core.c,
        qemu_plugin_user_exit) unregisters every other callback before them, so no vcpu_exit
        callback runs for the vCPUs still live; a thread that exited earlier had its own."""
        if self.exited:
            return
        self.exited = True
        violation = self.check_violation()
        if violation:
            raise PluginError(violation)
        for p in list(self.plugins):
            for cb, udata in p.atexit:
                self._call(p, cb, p.id, udata)

    @property
    def wants_syscalls(self):
        return any(p.syscall or p.syscall_ret or p.syscall_filter for p in self.plugins)

    def syscall_entry(self, num, args, callbacks=True):
        """Syscall and filter callbacks before a syscall. Returns None to run it, the return
        value a filter supplied (the syscall is then skipped), or SET_PC when a callback called
        set_pc (skipped, x0 untouched). callbacks False: a syscall run again after it was put
        back, whose callbacks ran already."""
        vcpu = self.current_index()
        self._syscall_vcpu = (vcpu, self.machine.state)
        if not callbacks:
            return None
        if self._syscall_callbacks(self.machine.state, [(p, cb, (vcpu, num, *args))
                                                        for p in list(self.plugins)
                                                        for cb in p.syscall]):
            return SET_PC
        for p in list(self.plugins):
            for cb in p.syscall_filter:
                r = self._call(p, cb, vcpu, num, *args)
                if r is not None and r is not False:
                    if not (isinstance(r, tuple) and len(r) == 2 and r[0]):
                        raise PluginError(f"plugin '{p.name}': a syscall filter returns None "
                                          f"(run the syscall) or (True, return_value), not {r!r}")
                    return int(r[1])
        return None

    def syscall_return(self, num, ret):
        """After the syscall, for the vCPU that made it (the scheduler may have switched to
        another one since); a thread's exit never returns, as under QEMU."""
        vcpu, state = self._syscall_vcpu or (self.current_index(), self.machine.state)
        self._syscall_vcpu = None
        if self.live.get(vcpu) is not state:
            return
        self._syscall_callbacks(state, [(p, cb, (vcpu, num, ret)) for p in list(self.plugins)
                                        for cb in p.syscall_ret])

    # ----- translation -----
    def instrument(self, tb):
        """Run the tb_trans callbacks on a translated TB and attach their instrumentation."""
        tb.ops_before = {}
        tb.ops_after = {}
        if not any(p.tb_trans for p in self.plugins):
            if self.check:
                self._add_checks(tb)
            return
        h = TBHandle(tb, self.machine.mem)
        try:
            for p in list(self.plugins):
                for cb in p.tb_trans:
                    self._call(p, cb, h)
        finally:
            h.valid = False
        first_pc = tb.insns[0].pc
        for row, gen in h.exec_regs:
            tb.ops_before.setdefault(0, []).append(self._exec_op(row, gen, first_pc))
        for ih in h.insns:
            pc = tb.insns[ih.index].pc
            ops = [self._exec_op(row, gen, pc) for row, gen in ih.exec_regs]
            if ih.mem_regs:
                first, count, gen = self._mem_block(ih.mem_regs)
                ops.append(InstrOp(plugin_ops.plugin_mem_begin, (first, count, gen)))
                tb.ops_after[ih.index] = [InstrOp(plugin_ops.plugin_mem_end, ())]
            if ops:
                tb.ops_before.setdefault(ih.index, []).extend(ops)
        if self.check:
            self._add_checks(tb)

    def _exec_op(self, row, gen, pc):
        """The op of an execution row: a callback that may write registers may also set_pc."""
        rw = self.table.rows[row, cbtable.CB_FLAGS] & cbtable.FLAG_REGS_MASK >= 2
        return InstrOp(plugin_ops.plugin_exec_rw if rw else plugin_ops.plugin_exec,
                       (row, gen, pc), pc_arg=2)

    def _add_checks(self, tb):
        """-d plugin-check: a check before everything else in the TB and one after its last
        instruction (after that instruction's plugin_mem_end)."""
        gen = self.table.generation
        tb.ops_before.setdefault(0, []).insert(
            0, InstrOp(plugin_ops.plugin_check, (tb.insns[0].pc, gen, 1), pc_arg=0))
        tb.ops_after.setdefault(len(tb.insns) - 1, []).append(
            InstrOp(plugin_ops.plugin_check, (tb.insns[-1].pc, gen, 0), pc_arg=0))

    def check_violation(self):
        """The first -d plugin-check violation recorded in the vCPU record, as a message (or
        None)."""
        st = self.machine.state
        what = int(st['pcheck_what'][0])
        if not what:
            return None
        slot, gen, pc = (int(st[f][0]) for f in ('pcheck_slot', 'pcheck_gen', 'pcheck_pc'))
        cur = int(st['cb_gen'][0])
        text = {
            cbtable.CHECK_MEMCB_LEFT: f'memory-callback reference to slot {slot} (generation '
                                      f'{gen}) still set at pc {pc:#x}',
            cbtable.CHECK_STALE_SLOT: f'stale slot {slot} (generation {gen}, current {cur}) '
                                      f'fired in the TB at pc {pc:#x}',
            cbtable.CHECK_STALE_TB: f'TB at pc {pc:#x} instrumented in generation {gen} ran in '
                                    f'generation {cur}',
        }.get(what, f'violation {what} at pc {pc:#x}, slot {slot}')
        return f'plugin-check: {text}'

    def _mem_block(self, specs):
        """Contiguous rows for one instruction's memory registrations (shared by every
        instruction with the same registrations, unless they carry Python userdata)."""
        key = ('mem-block', tuple((owner, tuple(sorted(kw.items())), id(rec))
                                  for owner, kw, rec in specs))
        got = self.table.by_content.get(key)
        if got is None:
            rows = [self.table.add(owner, shareable=False, pyobj=rec, **kw)[0]
                    for owner, kw, rec in specs]
            got = (rows[0], len(rows), self.table.generation)
            if all(rec is None for _o, _kw, rec in specs):
                self.table.by_content[key] = got
        return got

    # ----- registrations (called by api.PluginApi) -----
    def exec_row(self, plugin, kind, cb=None, udata=None, flags=0, **kw):
        """A row for a TB/instruction callback (cb) or inline op; returns (row, gen)."""
        if cb is None:
            return self.table.add(plugin.id, kind, flags=flags, **kw)
        fn, value, rec = self._native(plugin, cb, udata, EXEC_SIG)
        return self.table.add(plugin.id, kind, fn=fn, udata=value, flags=flags, pyobj=rec,
                              shareable=rec is None, **kw)

    def mem_spec(self, plugin, kind, cb=None, udata=None, **kw):
        """A memory registration, turned into rows when the TB's instrumentation is built:
        (owner, row fields, the Python callback's own record or None)."""
        if cb is None:
            return (plugin.id, dict(kind=kind, **kw), None)
        fn, value, rec = self._native(plugin, cb, udata, MEM_SIG)
        return (plugin.id, dict(kind=kind, fn=fn, udata=value, **kw), rec)

    def _native(self, plugin, cb, udata, sig):
        """(native address, the row's userdata, a record the row must keep alive or None): a
        numba callback gets its userdata (an int or an array's address), a Python one the
        address of its record (native_cb.NativeCallbacks.python)."""
        if not callable(cb):
            raise PluginUsageError(f'callback {cb!r} is not callable')
        if is_numba(cb):
            value, keep = numba_udata(udata)
            if keep is not None:
                self.table.keep.append(keep)
            return self.natives.address(cb, sig, plugin.name), value, None
        fn, rec, shared = self.natives.python(cb, sig, plugin.name, udata)
        return fn, id(rec), None if shared else rec

    # ----- requests -----
    def request(self, plugin, kind, cb):
        self.requests.append((plugin, kind, cb))
        self.machine.state['plugin_req'] = 1

    def handle_requests(self):
        """At a TB boundary, outside native code: act on what callbacks asked for."""
        self.machine.state['plugin_req'] = 0
        for hook in self.boundary_hooks:
            hook()
        violation = self.check_violation()
        if violation:
            raise PluginError(violation)
        if self.errors:
            raise PluginError(self.errors[0])
        reqs, self.requests = self.requests, []
        if not reqs:
            return
        self.machine.flush()        # -> _on_flush: new generation, flush callbacks
        for p, kind, _cb in reqs:
            p.clear()
            if kind == 'uninstall' and p in self.plugins:
                self.plugins.remove(p)
        for p, _kind, cb in reqs:
            if cb is not None:
                self._call(p, cb, p.id)

    def _on_flush(self):
        self.table.advance()
        for p in list(self.plugins):
            for cb in p.flush:
                self._call(p, cb, p.id)


__all__ = ['PluginManager', 'PluginError', 'PluginUsageError', 'parse_plugin_arg', 'PluginArgs', 'cpu']
