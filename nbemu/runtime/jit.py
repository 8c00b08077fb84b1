"""Tier 1 pipeline: generated source (a TB or a hot region) -> numba cfunc, with an on-disk cache.

Each unit of code is one immutable file named by a hash of its source (which already holds the
guest pcs, the instruction words, the generator version and the semantics hash), so numba's
per-file cache can never mix them and a second run of the same program loads its hot code
instead of compiling it.
"""
import hashlib
import importlib.util
import os
import sys
import threading
import time

from nbemu.gen import emit

from . import codecache, helper_process, native_code


class TBCompiler:
    def __init__(self, cache_dir):
        self.dir_root = cache_dir
        self.dir = os.path.join(cache_dir, 'tb')
        os.makedirs(self.dir, exist_ok=True)
        self.compiled = 0       # compiled by numba in this process
        self.loaded = 0         # found in the disk cache
        self.seconds = 0.0
        self.compile_seconds = []   # wall time of each numba compile (not of cache loads)
        self._keep = []         # cfunc objects must stay alive while their code may run

    def compile(self, tb, loops=True):
        """Return the native entry address of a translated TB."""
        return self.compile_source(emit.tb_source(tb, loops=loops))

    @staticmethod
    def _name(src):
        return 'nbemu_tb_' + hashlib.sha256(src.encode()).hexdigest()[:24]

    def is_cached(self, src):
        """Whether the disk cache already holds this source's code, as kept object code
        (native_code) or as numba's cache entry (loading it takes a fraction of a millisecond or
        milliseconds; compiling it, a large fraction of a second or more)."""
        path = os.path.join(self.dir, self._name(src) + '.py')
        return os.path.exists(path) and (native_code.exists(path) or self._numba_cached(src))

    def _numba_cached(self, src):
        name = self._name(src)
        return os.path.exists(os.path.join(self.dir, '__pycache__', _index_file(name, src)))

    def write_source(self, src):
        """The path of the module file holding src (written once; its name is its hash)."""
        path = os.path.join(self.dir, self._name(src) + '.py')
        if not os.path.exists(path):
            tmp = f'{path}.{os.getpid()}.{threading.get_ident()}.tmp'
            with open(tmp, 'w') as f:
                f.write(src)
            os.replace(tmp, path)
        return path

    def compile_source(self, src, compiled_elsewhere=None):
        """Return the native entry address of generated source (emit.tb_source or
        emit.region_source), compiling it or loading it from the disk cache.
        compiled_elsewhere: seconds a compile worker process took to put it in the disk cache
        (counted as this compiler's compile, with that latency)."""
        t0 = time.perf_counter()
        path = self.write_source(src)
        address = native_code.load(path)
        had_cache = address is not None
        if address is None:
            had_cache = self._numba_cached(src)
            cf = load_module(path).tb
            self._keep.append(cf)
            address = cf.address
            if not had_cache:
                native_code.save(path, cf)
            native_code.remember(path, address)
        dt = time.perf_counter() - t0
        if compiled_elsewhere is not None:
            self.compiled += 1
            self.compile_seconds.append(compiled_elsewhere + dt)
        elif had_cache:
            codecache.touch(path)
            self.loaded += 1
        else:
            self.compiled += 1
            self.compile_seconds.append(dt)
        self.seconds += dt
        return address


def _index_file(module, src):
    """The name numba gives the cache index of the `tb` cfunc in generated module source: module,
    qualname, the function's first line (its decorator's) and the Python version. Asking for
    that one file replaces listing a cache directory of tens of thousands of files, which took
    15 ms per hot TB."""
    lines = src.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith('def tb('))
    while first > 0 and lines[first - 1].startswith('@'):
        first -= 1
    v = sys.version_info
    return f"{module}.tb-{first + 1}.py{v[0]}{v[1]}{getattr(sys, 'abiflags', '')}.nbi"


def load_module(path):
    """Import a generated module file (its cfunc compiles, or loads from numba's disk cache)."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


DETACHED_ITEMS = 64         # at most this many queued units are left to a detached worker
DETACHED_SECONDS = 60
# a detached worker's niceness: what it compiles after its emulator exited must not slow down
# the programs that run next (four qsort runs back to back under --jit=auto from an empty cache:
# runs 2-4 took 3.8-5.2 s wall for 2.2-2.5 s CPU at nice 0, 2.4-2.7 s for 2.2-2.5 s at 19); the
# test suite, whose two workers keep both cores busy while it waits for detached workers, runs
# them at 0
DETACHED_NICE = 19


class CompileWorker:
    """A process that compiles generated modules into the shared disk cache (started by
    helper_process, so that it is not a child the guest could see or reap).

    numba's compiler is Python code that holds the GIL, so compiling on a thread of the
    emulator's own process slows the execution loop every time it comes back to Python
    (syscalls, new TBs): lua under --jit=auto ran 2.3x slower than --jit=off that way. In its
    own process the compile runs beside the loop, and the emulator only loads the result from
    the disk cache (milliseconds)."""

    def __init__(self, cache_dir):
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [root, env.get('PYTHONPATH')]))
        self.pid, self.stdin, self.stdout = helper_process.spawn(
            [sys.executable, '-m', 'nbemu.runtime.compile_worker', cache_dir], env)
        self.lock = threading.Lock()
        self.detached = False

    def compile(self, path):
        """Compile the module at path in the worker; return its compile time in seconds.
        Raises CompileError for a failed compile, OSError if the worker is gone."""
        with self.lock:
            if self.detached:
                raise OSError('the compile worker was detached')
            self.stdin.write(path + '\n')
            self.stdin.flush()
        reply = self.stdout.readline()
        if not reply:
            raise OSError('the compile worker exited')
        status, _, detail = reply.rstrip('\n').partition(' ')
        if status != 'ok':
            raise CompileError(detail)
        return float(detail)

    def detach(self, paths):
        """Leave the worker to compile `paths` (hottest first) into the disk cache after this
        process is done, so that the next run of the program loads them; it stops after
        DETACHED_SECONDS. The emulator's exit does not wait for it."""
        with self.lock:
            if self.detached:
                return
            self.detached = True
            try:
                self.stdin.write(''.join(f'{p}\n' for p in [f'detach {DETACHED_NICE}']
                                         + list(paths)))
                self.stdin.close()
            except OSError:
                pass

    def close(self):
        """Close the pipes: the worker sees the end of its input and exits. A forked child
        closes its copies too (the worker would wait for the child's copy of its stdin)."""
        for f in (self.stdin, self.stdout):
            try:
                f.close()
            except OSError:
                pass


    def abandon(self):
        """In a forked child: close the pipes' fds (the worker would wait for the child's copy
        of its stdin) but not their file objects: the parent's compile thread may have been in
        stdout.readline() at the fork, holding the buffer's lock, which nobody in the child
        releases, so closing (or freeing) the object would wait forever (a guest
        subprocess.run hung so). The objects are kept referenced, never freed."""
        for f in (self.stdin, self.stdout):
            try:
                os.close(f.fileno())
            except (OSError, ValueError):
                pass
        _ABANDONED.append(self)


_ABANDONED = []             # CompileWorkers of the parent, in a forked child


class CompileError(Exception):
    pass


class BackgroundCompiler:
    """Brings hot code to native form on a thread while the nogil execution loop keeps running.

    Everything after the hot TB's exit happens here, not on the main thread: generating the
    source (milliseconds for a region), looking it up in the disk cache and loading it (tens of
    milliseconds), and handing what is not cached to the compile worker process. A program
    with wide, flat hot code (sqlite3: 2,500 hot TBs) paid seconds for that on the main thread.

    New items are taken first and in order, since a disk-cache load is quick and pays back at
    once; what needs a compile waits in a queue ordered by hotness when an item is taken (every
    item reached the threshold on submission, so what tells them apart is how often each ran
    while it waited: hotness(key) reads the execution counter)."""

    def __init__(self, compiler, install, hotness, use_worker=True):
        self.compiler = compiler
        self.use_worker = use_worker
        self.worker = None          # started with the first compile
        self.install = install      # install(key, version, address), called on this thread
        self.hotness = hotness
        self.fresh = []             # (key, version, make_source, pc): not yet looked up
        self.items = []             # (key, version, src, pc): not in the disk cache
        self.cv = threading.Condition()
        self.busy = False
        self.stopped = False
        self.errors = []
        self.t = threading.Thread(target=self._work, name='nbemu-jit', daemon=True)
        self.t.start()

    def submit(self, key, version, make_source, pc):
        """make_source(): the module source of the code for `key` (called on this thread)."""
        with self.cv:
            self.fresh.append((key, version, make_source, pc))
            self.cv.notify()

    def pending(self):
        with self.cv:
            return len(self.fresh) + len(self.items) + self.busy

    def _take(self):
        with self.cv:
            while not self.fresh and not self.items and not self.stopped:
                self.cv.wait()
            if self.stopped:
                return None
            self.busy = True
            if self.fresh:
                return self.fresh.pop(0)
            best = max(range(len(self.items)), key=lambda i: self.hotness(self.items[i][0]))
            return self.items.pop(best)

    def _work(self):
        while True:
            item = self._take()
            if item is None:
                return
            key, version, src, pc = item
            try:
                if callable(src):
                    src = src()
                    if not self.compiler.is_cached(src):
                        with self.cv:
                            self.items.append((key, version, src, pc))
                        continue
                    self.install(key, version, self.compiler.compile_source(src))
                else:
                    self.install(key, version, self._compile(src))
            except Exception as e:     # the code stays on the interpreter, which is still correct
                self.errors.append((pc, repr(e)))
            finally:
                with self.cv:
                    self.busy = False
                    self.cv.notify_all()

    def _compile(self, src):
        if self.use_worker:
            try:
                if self.worker is None:
                    self.worker = CompileWorker(self.compiler.dir_root)
                seconds = self.worker.compile(self.compiler.write_source(src))
                return self.compiler.compile_source(src, compiled_elsewhere=seconds)
            except OSError:         # no worker process: compile on this thread from now on
                self.use_worker = False
                if self.worker is not None:
                    self.worker.close()
                    self.worker = None
        return self.compiler.compile_source(src)

    def drain(self):
        with self.cv:
            while self.fresh or self.items or self.busy:
                self.cv.wait()

    def stop(self):
        """Stop taking work; the hottest of what is still queued goes to the worker process to
        compile after exit (the next run loads it from the disk cache)."""
        with self.cv:
            self.stopped = True
            self.cv.notify_all()
            left = sorted(self.items + self.fresh, key=lambda item: -self.hotness(item[0]))
        if self.worker is not None:
            try:
                paths = [self.compiler.write_source(src() if callable(src) else src)
                         for _, _, src, _ in left[:DETACHED_ITEMS]]
            except OSError:
                paths = []
            self.worker.detach(paths)

    def after_fork_child(self):
        if self.worker is not None:
            self.worker.abandon()
