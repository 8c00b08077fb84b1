"""`nbemu [options] program [args...]`: qemu-aarch64's command line, plus nbemu's own options."""
import argparse
import os
import sys

from . import __version__

DEBUG_ITEMS = {
    'in_asm': 'show the guest instructions of each translated TB',
    'op': 'show the generated Python source of each TB',
    'exec': 'show a Trace line for every executed TB',
    'cpu': 'show the CPU registers before every executed TB',
    'nochain': 'accepted for compatibility (nbemu never chains TBs)',
    'strace': 'log system calls (same as -strace)',
    'unimp': 'log unimplemented system calls and instructions',
    'page': 'show the guest memory map after loading',
    'plugin': "show the plugins' output (api.outs)",
    'plugin-check': 'check the plugin instrumentation after every TB; stop at the first violation',
}


def _parser():
    p = argparse.ArgumentParser(
        prog='nbemu', add_help=False, allow_abbrev=False,
        usage='nbemu [options] program [arguments...]',
        description='Run an AArch64 Linux program, like qemu-aarch64; guest code is compiled by numba.')
    a = p.add_argument
    a('-h', '-help', '--help', action='store_true', dest='help', help='show this help and exit')
    a('-L', dest='sysroot', metavar='path', help='sysroot for the dynamic linker and libraries')
    a('-E', dest='setenv', action='append', default=[], metavar='var=value', help='set a guest environment variable')
    a('-U', dest='unsetenv', action='append', default=[], metavar='var', help='remove a guest environment variable')
    a('-0', dest='argv0', metavar='argv0', help="the guest's argv[0]")
    a('-s', dest='stack_size', metavar='size', help='guest stack size (bytes, k/M/G suffix)')
    a('-cpu', dest='cpu', metavar='model', help="CPU model ('help' lists them)")
    a('-d', dest='debug', metavar='item[,...]', help="log items ('help' lists them)")
    a('-D', dest='logfile', metavar='logfile', help='write -d logs to this file instead of stderr')
    a('-strace', action='store_true', help='log system calls')
    a('-plugin', dest='plugins', action='append', default=[], metavar='file[,arg=value...]',
      help='load a plugin (a Python file or module with install(api, args)); repeatable')
    a('-one-insn-per-tb', '-singlestep', dest='one_insn', action='store_true',
      help='one guest instruction per translation block')
    a('-version', '--version', action='store_true', dest='version', help='print the version and exit')
    a('--jit', choices=('auto', 'off', 'all'), default='auto',
      help='auto: interpret, compile hot TBs in the background (default); off: interpreter only; '
           'all: compile every TB before it runs')
    a('--jit-sync', action='store_true',
      help='auto mode: compile a hot TB at once, before it runs again (deterministic tier-up)')
    a('--jit-threshold', type=int, metavar='N', help='auto mode: executions before a TB is compiled '
      '(default 200)')
    a('--cache-dir', metavar='dir', help='code cache directory (default $NBEMU_CACHE_DIR or ~/.cache/nbemu)')
    a('--cache-size', metavar='size', default=os.environ.get('NBEMU_CACHE_SIZE', '1G'),
      help='most the code cache may hold on disk; least recently used code goes first (default 1G)')
    a('--cache-clear', action='store_true', help='delete the code cache and exit')
    a('--stats', action='store_true', help='print execution statistics to stderr at exit')
    a('--mem-limit', metavar='size', default='4G', help='guest memory limit (default 4G)')
    a('--trace', metavar='mem,tb', help='record every memory access (mem) and/or TB execution '
      '(tb) into numpy .npy files in --trace-out (nbemu.runtime.plugin.trace)')
    a('--trace-out', metavar='dir', help='directory for --trace: mem.npy, tbs.npy')
    a('--precompile', action='store_true', help='build the interpreter into the code cache and exit')
    # state a guest execve hands to the nbemu that runs the new program (see linux/execve.py)
    a('--exec-fds', help=argparse.SUPPRESS)
    a('--exec-sigmask', help=argparse.SUPPRESS)
    a('--exec-sigign', help=argparse.SUPPRESS)
    a('--log-append', action='store_true', help=argparse.SUPPRESS)
    a('program', nargs='?')
    a('args', nargs=argparse.REMAINDER)
    return p


def parse_size(text):
    mult = {'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
    t = text.strip().lower()
    if t and t[-1] in mult:
        return int(t[:-1]) * mult[t[-1]]
    return int(t, 0)


def host_environment():
    """The environment nbemu was started with. os.environ may hold variables Python added at
    start-up (LC_CTYPE from locale coercion), which the guest must not see."""
    try:
        with open('/proc/self/environ', 'rb') as f:
            items = [kv.partition(b'=') for kv in f.read().split(b'\0') if b'=' in kv]
        return {k.decode('utf-8', 'surrogateescape'): v.decode('utf-8', 'surrogateescape')
                for k, _, v in items}
    except OSError:
        return dict(os.environ)


def _fail(msg, status=1):
    print(f'nbemu: {msg}', file=sys.stderr)
    return status


def _settle_gc():
    """The CLI owns its process, so it tunes Python's collector for the run: the ~120k objects
    of the imports (numba's) are frozen out of collections, and young collections run rarely.
    Every translated TB leaves a few long-lived objects, and each full collection walked all of
    them again: python3's start-up translated 35% slower with the default thresholds."""
    import gc
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = _parser()
    # options stop at the program name, as in qemu: everything after it belongs to the guest
    try:
        opts = p.parse_args(argv)
    except SystemExit as e:
        return 1 if e.code else 0
    if opts.help:
        p.print_help()
        return 0
    if opts.version:
        print(f'nbemu version {__version__} (AArch64 Linux user mode; numba code generation)')
        return 0
    from .gen.features import MODELS as CPU_MODELS
    if opts.cpu == 'help':
        print('Available CPUs:\n' + '\n'.join(f'  {m}' for m in sorted(CPU_MODELS)))
        return 0
    if opts.cpu and opts.cpu not in CPU_MODELS:
        return _fail(f"unable to find CPU model '{opts.cpu}'")
    debug = set()
    if opts.debug:
        if opts.debug == 'help':
            print('Log items (comma separated):')
            for k, v in DEBUG_ITEMS.items():
                print(f'{k:10s} {v}')
            return 0
        debug = set(opts.debug.split(','))
        bad = debug - set(DEBUG_ITEMS)
        if bad:
            return _fail(f"unknown -d item '{sorted(bad)[0]}' (try -d help)")
    if opts.cache_clear:
        from .runtime.codecache import clear, default_cache_dir
        d = opts.cache_dir or default_cache_dir()
        n, size = clear(d)
        print(f'nbemu: removed {n} cached modules ({size / 1e6:.1f} MB) from {d}', file=sys.stderr)
        return 0
    if opts.precompile:
        from .precompile import precompile
        return precompile(opts.cache_dir)
    if not opts.program:
        p.print_usage(sys.stderr)
        return 1
    if opts.jit_threshold is not None and opts.jit_threshold < 1:
        return _fail('--jit-threshold must be at least 1')
    try:
        mem_limit = parse_size(opts.mem_limit)
        cache_limit = parse_size(opts.cache_size)
        stack_size = parse_size(opts.stack_size) if opts.stack_size else None
    except ValueError:
        return _fail('bad size argument')

    env = host_environment()
    for kv in opts.setenv:
        k, _, v = kv.partition('=')
        env[k] = v
    for k in opts.unsetenv:
        env.pop(k, None)
    guest_argv = [opts.argv0 if opts.argv0 is not None else opts.program] + list(opts.args)

    log = sys.stderr
    if opts.logfile and debug:
        log = open(opts.logfile, 'a' if opts.log_append else 'w')
    from .emulator import Emulator, LoadError
    from .debuglog import attach_debug_logging
    from .stats import format_stats
    strace = log if (opts.strace or 'strace' in debug) else None
    trace_items = set(opts.trace.split(',')) if opts.trace else set()
    if trace_items - {'mem', 'tb'}:
        return _fail(f"--trace: unknown item(s) {','.join(sorted(trace_items - {'mem', 'tb'}))}"
                     f" (mem, tb)")
    if trace_items and not opts.trace_out:
        return _fail('--trace needs --trace-out DIR')
    plugin_error = ()
    if opts.plugins or trace_items:
        from .runtime.plugin.manager import PluginError
        plugin_error = (PluginError,)
    try:
        emu = Emulator(opts.program, argv=guest_argv, env=env, jit=opts.jit,
                       cache_dir=opts.cache_dir, mem_limit=mem_limit, sysroot=opts.sysroot,
                       strace=strace, max_tb_insns=1 if opts.one_insn else None,
                       stack_size=stack_size, log_unimp=log if 'unimp' in debug else None,
                       hot_threshold=opts.jit_threshold, jit_sync=opts.jit_sync,
                       cache_limit=cache_limit, exec_options=_exec_options(opts),
                       exec_replaces_host=True, cpu=opts.cpu, plugins=opts.plugins,
                       plugin_log=log if 'plugin' in debug else None,
                       plugin_check='plugin-check' in debug, **_exec_state(opts))
    except LoadError as e:
        return _fail(str(e))
    except plugin_error as e:
        return _fail(str(e))
    attach_debug_logging(emu, debug, log)
    recorder = None
    if trace_items:
        recorder = emu.trace(mem='mem' in trace_items, tbs='tb' in trace_items,
                             out_dir=opts.trace_out)
    _settle_gc()
    try:
        status = emu.run()
    except KeyboardInterrupt:
        status = 130
    except plugin_error as e:
        status = _fail(str(e))
    finally:
        if recorder is not None:
            try:
                recorder.results()  # also when the guest died by a signal (no atexit then)
            except plugin_error as e:
                status = _fail(str(e))
        if opts.stats:
            print(format_stats(emu.machine, threads=emu.process.threads.instructions()),
                  file=sys.stderr)
        if log is not sys.stderr:
            log.close()
    if emu.term_signal:
        die_by_signal(emu.term_signal)
    return status


def _exec_options(opts):
    """The options a program the guest execve's runs with, beyond the Emulator's own."""
    out = []
    if opts.cpu:
        out += ['-cpu', opts.cpu]
    if opts.debug:
        out += ['-d', opts.debug]
    if opts.logfile:
        out += ['-D', os.path.abspath(opts.logfile), '--log-append']
    if opts.strace:
        out.append('-strace')
    if opts.one_insn:
        out.append('-one-insn-per-tb')
    if opts.stats:
        out.append('--stats')
    for spec in opts.plugins:
        out += ['-plugin', spec]
    return out


def _exec_state(opts):
    def nums(text):
        return [int(x) for x in text.split(',') if x and x != '-']
    if opts.exec_fds is None:
        return {}
    return {'inherit_fds': nums(opts.exec_fds),
            'sigmask': int(opts.exec_sigmask or '0', 0),
            'sig_ignored': nums(opts.exec_sigign or '')}


def die_by_signal(sig):
    """End this process with the guest's fatal signal, as qemu-aarch64 does."""
    from .emulator import end_host_process
    end_host_process(128 + sig, sig)
