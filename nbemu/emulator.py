"""The public API: load an AArch64 Linux program and run it to completion.

    from nbemu.emulator import Emulator, LoadError
    status = Emulator('tests/guest/bin/hello', argv=['hello']).run()

`run()` returns the exit status as a shell would report it: the guest's exit code, or 128+N when
signal N killed it (`term_signal` then holds N). The guest's fds 0/1/2 are dups of the host fds
given as stdin/stdout/stderr, and guest writes go straight to them (no buffering in between), so
their order with the emulator's own stderr messages is kept.
"""
import os
import sys
import time

from .core import cpu as vcpu_layout
from .runtime.linux import syscalls
from .runtime.linux.loader import LoadError, load_program
from .runtime.linux.mm import DEFAULT_STACK_SIZE, AddressSpace
from .runtime.linux.process import Process
from .runtime.linux import abi, mte, pac_keys
from .runtime.linux import semihosting
from .runtime.linux.signals import GuestExit
from .runtime.memory import DEFAULT_LIMIT, Memory

__all__ = ['Emulator', 'LoadError']

MIN_MEM_LIMIT = 16 << 20


class Emulator:
    def __init__(self, path, argv=None, env=None, jit='auto', cache_dir=None,
                 mem_limit=DEFAULT_LIMIT, sysroot=None, strace=None, stdin=0, stdout=1, stderr=2,
                 max_tb_insns=None, stack_size=None, log_unimp=None, cwd=None,
                 hot_threshold=None, jit_sync=False, cache_limit=None, exec_options=(),
                 exec_replaces_host=False, inherit_fds=None, sigmask=0, sig_ignored=(), cpu=None,
                 plugins=(), plugin_log=None, plugin_check=False):
        """path: the guest program; argv: its argv (default [path]); env: a dict or a list of
        'NAME=value' (default: this process's environment); jit: 'auto', 'off' or 'all';
        mem_limit: bytes of guest memory (mmap/brk fail with ENOMEM beyond it); sysroot: the -L
        directory for dynamic programs; strace: a text stream for -strace lines; log_unimp: a
        text stream for unimplemented syscalls; stdin/stdout/stderr: host fds (None = closed);
        cwd: the guest's initial working directory (default: ours); hot_threshold: TB executions
        before auto mode compiles a TB; jit_sync: compile hot TBs synchronously (deterministic);
        cache_limit: bytes the on-disk code cache may hold (least recently used code goes first);
        exec_options: more nbemu command-line options for a program the guest execve's (the CLI
        passes -strace, -d, ...); exec_replaces_host: the guest's execve may replace this host
        process (the CLI; embedded, a host child runs the new program); inherit_fds, sigmask,
        sig_ignored: the state a guest execve hands over (fds whose host and guest numbers are
        equal, the signal mask, the ignored signals); cpu: the CPU model name, as qemu-aarch64's
        -cpu (None: 'max', restricted to what nbemu implements; nbemu.gen.features.MODELS lists
        them); plugins: plugins to load, each a path or module name, a (path or module, {args})
        pair or a "path,key=value,..." string as -plugin takes it (see load_plugin);
        plugin_log: a text stream for the plugins' `outs` (None: dropped, as qemu-aarch64 does
        without -d plugin); plugin_check: -d plugin-check (every TB checks that no memory-callback
        reference is left set and no stale callback-table slot fires; the first violation stops
        the run with a PluginError naming its pc and slot).
        Raises LoadError (one-line message) if the program cannot be loaded, PluginError if a
        plugin cannot."""
        self.path = os.fspath(path)
        if argv is None:
            argv = [self.path]
        if env is None:
            env = os.environ
        if isinstance(env, dict) or hasattr(env, 'items'):
            envp = [f'{k}={v}' for k, v in env.items()]
        else:
            envp = list(env)
        if mem_limit < MIN_MEM_LIMIT:
            raise LoadError(f'guest memory limit {mem_limit} is too small (minimum {MIN_MEM_LIMIT})')
        self.exit_status = None
        self.term_signal = None
        from .gen import features
        if cpu is not None and cpu not in features.MODELS:
            raise LoadError(f"unable to find CPU model '{cpu}'")
        self.cpu_model = features.model(cpu)
        self.mem = Memory(mem_limit)
        self.mm = AddressSpace(self.mem)
        self.program = load_program(self.mm, self.path, list(argv), envp, sysroot=sysroot,
                                    stack_size=stack_size or DEFAULT_STACK_SIZE,
                                    hwcaps=self.cpu_model.hwcaps())
        # only now pay for the execution machinery (the interpreter load or compile)
        from .runtime.machine import DEFAULT_HOT_THRESHOLD, Machine
        from .gen import translate
        self.machine = Machine(self.mem, jit=jit, cache_dir=cache_dir,
                               max_tb_insns=max_tb_insns or translate.MAX_TB_INSNS,
                               hot_threshold=hot_threshold if hot_threshold is not None
                               else DEFAULT_HOT_THRESHOLD, jit_sync=jit_sync,
                               cpu_model=self.cpu_model,
                               **({'cache_limit': cache_limit} if cache_limit else {}))
        self.process = Process(self.machine, self.mm, self.program, sysroot=sysroot,
                               strace=strace, log_unimp=log_unimp, stdio=(stdin, stdout, stderr),
                               cwd=cwd, inherit_fds=inherit_fds)
        p = self.process
        p.exec_replaces_host = exec_replaces_host
        p.exec_command = exec_command(jit=jit, cache_dir=self.machine.cache_dir, sysroot=sysroot,
                                      mem_limit=mem_limit, stack_size=stack_size,
                                      hot_threshold=hot_threshold, jit_sync=jit_sync,
                                      cache_limit=cache_limit, extra=exec_options)
        p.signals.mask = sigmask
        for s in sig_ignored:
            p.signals.actions[s].handler = abi.SIG_IGN
        p.hostsig.sync_all()
        st = self.machine.state
        st['sp'] = self.program.sp
        st['pc'] = self.program.entry
        pac_keys.reset(st)          # a new program image gets new keys, as at Linux's exec
        self.machine.stats.syscalls = 0
        self.plugins = None
        self._syscall_put_back = set()      # tids whose syscall was put back (WouldBlock)
        self._semihosting = None    # created by the first semihosting call
        self._plugin_log = plugin_log
        self._plugin_check = plugin_check
        for spec in plugins:
            if isinstance(spec, tuple):
                self.load_plugin(spec[0], **spec[1])
            elif isinstance(spec, str) and ',' in spec:
                from .runtime.plugin.manager import parse_plugin_arg
                path, args = parse_plugin_arg(spec)
                self._load_plugin(path, args)     # keeps repeated keys
            else:
                self.load_plugin(spec)

    def load_plugin(self, plugin, **args):
        """Load a plugin: a .py file path, a module name or a module object with
        install(api, args); args become its `key=value` arguments (strings). Returns its
        PluginApi (the plugin's id is .id). Call it before run()."""
        return self._load_plugin(plugin, args)

    def trace(self, mem=True, tbs=True, out_dir=None, chunk=None):
        """Record every memory access (mem) and TB execution (tbs) of the run into numpy
        structured arrays (nbemu.runtime.plugin.trace: MEM_DTYPE, TB_DTYPE), filled by native
        callbacks. Returns the recorder; after run() its .mem and .tbs are the arrays (memmaps of
        out_dir/mem.npy and out_dir/tbs.npy when out_dir is given: full chunks of `chunk` rows
        are spilled there as the guest runs). Call it before run()."""
        from .runtime.plugin.trace import DEFAULT_CHUNK, Trace
        rec = Trace(mem=mem, tbs=tbs, out_dir=out_dir, chunk=chunk or DEFAULT_CHUNK)
        self._load_plugin(rec, {})
        return rec

    def _load_plugin(self, plugin, args):
        if self.plugins is None:
            from .runtime.plugin.manager import PluginManager
            prog = self.program
            images = [(prog.exe.path, prog.exe.bias)]
            if prog.interp is not None:
                images.append((prog.interp.path, prog.interp.bias))
            self.plugins = PluginManager(self.machine, log=self._plugin_log, images=images,
                                         check=self._plugin_check)
            self.plugins.program = prog
        return self.plugins.load(plugin, args).api

    @property
    def stats(self):
        s = self.machine.stats
        s.syscalls = self.process.syscall_count
        s.instructions = self.machine.icount
        s.thread_instructions = self.process.threads.instructions()
        return s

    def run(self):
        """Run the guest until it exits; returns its exit status (128+N for a fatal signal N).
        In a host process that a guest fork() created, never returns: the process ends with the
        guest's status (the code that called run() belongs to the parent)."""
        if self.exit_status is not None:
            return self.exit_status
        try:
            self._run()
        except BaseException:
            if self.process.forked:
                import traceback
                traceback.print_exc()
                end_host_process(130 if isinstance(sys.exc_info()[1], KeyboardInterrupt) else 1)
            raise
        if self.process.forked:
            end_host_process(self.exit_status, self.term_signal)
        return self.exit_status

    def _semihosting_call(self):
        """An undefined instruction that is a semihosting call (HLT #0xF000) is done here."""
        if not semihosting.is_call(int(self.machine.state['exit_info'][0])):
            return False
        if self._semihosting is None:
            self._semihosting = semihosting.Semihosting(self.process)
        pc = self.machine.pc
        if not self._semihosting.call():
            return False
        if self.machine.on_discon is not None:      # plugins: a host call
            self.machine.on_discon(vcpu_layout.DISCON_HOSTCALL, pc, self.machine.pc)
        return True

    def _run(self):
        m, p = self.machine, self.process
        sig = p.signals
        hostsig = p.hostsig
        threads = p.threads
        st = m.stats
        plugins = self.plugins
        if plugins is not None:
            plugins.start()
        try:
            while True:
                r = m.run()
                if r == vcpu_layout.EXIT_SYSCALL:
                    t0 = time.perf_counter()
                    try:
                        if plugins is not None and plugins.wants_syscalls:
                            self._plugin_syscall(plugins)
                        else:
                            syscalls.handle(p)
                    finally:
                        st.syscall_s += time.perf_counter() - t0
                    mte.take_async_fault(p)
                elif r == vcpu_layout.EXIT_SIGILL and self._semihosting_call():
                    pass
                elif r >= vcpu_layout.FIRST_FAULT:
                    sig.fault(r)
                elif r == vcpu_layout.EXIT_MTE_ASYNC:
                    mte.take_async_fault(p)
                elif r != vcpu_layout.EXIT_BUDGET:     # budget: only a look for host signals
                    raise RuntimeError(f'unexpected exit reason {r} from the machine')
                # the turn passes at a quantum's end or a blocking call
                threads.schedule(syscall=r == vcpu_layout.EXIT_SYSCALL)
                if hostsig.active:
                    hostsig.drain()
                # a syscall a signal interrupted is settled even if no signal is left for
                # this thread (another took it): then it runs again, as on Linux
                if sig.pending or threads.current.restart is not None:
                    sig.deliver_pending()
                if sig.saved_mask is not None:
                    sig.restore_saved_mask()
        except GuestExit as e:
            self.exit_status = e.status
            self.term_signal = e.signal
            if plugins is not None and e.signal is None:
                # exit/exit_group; a guest killed by a signal ends without them, as under qemu
                plugins.finish()
        finally:
            try:
                sys.stdout.flush()
            except Exception:
                pass
            self.close()

    def _plugin_syscall(self, plugins):
        """A syscall with plugin callbacks around it (a filter may replace it by a value).
        A call put back while other threads run (WouldBlock) runs again later: its entry
        callbacks fire on the first attempt and its return callbacks on the last, once each
        per guest syscall as under QEMU, whose threads block in the host. A callback's set_pc
        skips the syscall, leaving x0 alone."""
        from .runtime.plugin.manager import SET_PC
        regs = self.machine.regs
        x = vcpu_layout.OFF_X // 8
        num = int(regs[x + 8])
        args = [int(regs[x + i]) for i in range(8)]
        tid = self.process.threads.current.tid
        resumed = tid in self._syscall_put_back
        value = plugins.syscall_entry(num, args, callbacks=not resumed)
        if value is SET_PC:
            return
        if value is None:
            if syscalls.handle(self.process):
                self._syscall_put_back.add(tid)
                return
        else:
            regs[x] = value & (2**64 - 1)
        self._syscall_put_back.discard(tid)
        ret = int(regs[x])
        plugins.syscall_return(num, ret - 2**64 if ret >= 2**63 else ret)

    def close(self):
        """Release host resources (the guest's fds, the background compiler)."""
        p = getattr(self, 'process', None)
        if p is not None:
            p.close()
        m = getattr(self, 'machine', None)
        if m is not None:
            m.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def exec_command(jit, cache_dir, sysroot, mem_limit, stack_size, hot_threshold, jit_sync,
                 cache_limit, extra):
    """The command line that runs this nbemu again with the same options, up to the program
    (the guest's execve appends its own). -E: the guest's environment becomes the new host
    process's, and PYTHON* variables in it are the guest's business, not this Python's."""
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    launcher = (f'import sys; sys.path.insert(0, {pkg_parent!r}); '
                'from nbemu.cli import main; sys.exit(main())')
    cmd = [sys.executable, '-E', '-c', launcher, '--jit', jit,
           '--cache-dir', os.path.abspath(cache_dir), '--mem-limit', str(mem_limit)]
    if sysroot:
        cmd += ['-L', os.path.abspath(sysroot)]
    if stack_size:
        cmd += ['-s', str(stack_size)]
    if hot_threshold is not None:
        cmd += ['--jit-threshold', str(hot_threshold)]
    if jit_sync:
        cmd.append('--jit-sync')
    if cache_limit:
        cmd += ['--cache-size', str(cache_limit)]
    return cmd + list(extra)


def end_host_process(status, sig=None):
    """End this host process with the guest's status, or by the guest's fatal signal as
    qemu-aarch64 does (so a shell or a waiting parent sees the same status; no host core file
    is written). Used at the end of the CLI and of every forked guest child."""
    import resource
    import signal
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    if sig:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(status)
