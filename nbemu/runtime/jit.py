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

from . import codecache


class TBCompiler:
    def __init__(self, cache_dir):
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
        """Whether numba's disk cache already holds this source's code (loading it takes
        milliseconds; compiling it, a large fraction of a second or more)."""
        name = self._name(src)
        cache_dir = os.path.join(self.dir, '__pycache__')
        try:
            return os.path.exists(os.path.join(self.dir, name + '.py')) and any(
                n.startswith(name + '.') and n.endswith('.nbi') for n in os.listdir(cache_dir))
        except FileNotFoundError:
            return False

    def compile_source(self, src):
        """Return the native entry address of generated source (emit.tb_source or
        emit.region_source), compiling it or loading it from the disk cache."""
        t0 = time.perf_counter()
        name = self._name(src)
        path = os.path.join(self.dir, name + '.py')
        if not os.path.exists(path):
            tmp = f'{path}.{os.getpid()}.{threading.get_ident()}.tmp'
            with open(tmp, 'w') as f:
                f.write(src)
            os.replace(tmp, path)
        had_cache = self.is_cached(src)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        self._keep.append(mod.tb)
        dt = time.perf_counter() - t0
        if had_cache:
            codecache.touch(path)
            self.loaded += 1
        else:
            self.compiled += 1
            self.compile_seconds.append(dt)
        self.seconds += dt
        return mod.tb.address


class BackgroundCompiler:
    """Compiles hot code on a worker thread while the nogil execution loop keeps running.

    The queue is ordered by hotness when an item is taken, not when it was submitted: every
    item reaches the threshold on submission, so what tells them apart is how often each ran
    while it waited (hotness(key) reads the execution counter)."""

    def __init__(self, compiler, install, hotness):
        self.compiler = compiler
        self.install = install      # install(key, version, address), called on the worker
        self.hotness = hotness
        self.items = []
        self.cv = threading.Condition()
        self.busy = False
        self.stopped = False
        self.errors = []
        self.t = threading.Thread(target=self._work, name='nbemu-jit', daemon=True)
        self.t.start()

    def submit(self, key, version, src, pc):
        with self.cv:
            self.items.append((key, version, src, pc))
            self.cv.notify()

    def pending(self):
        with self.cv:
            return len(self.items) + self.busy

    def _take(self):
        with self.cv:
            while not self.items and not self.stopped:
                self.cv.wait()
            if self.stopped:
                return None
            best = max(range(len(self.items)), key=lambda i: self.hotness(self.items[i][0]))
            self.busy = True
            return self.items.pop(best)

    def _work(self):
        while True:
            item = self._take()
            if item is None:
                return
            key, version, src, pc = item
            try:
                self.install(key, version, self.compiler.compile_source(src))
            except Exception as e:     # the code stays on the interpreter, which is still correct
                self.errors.append((pc, repr(e)))
            finally:
                with self.cv:
                    self.busy = False
                    self.cv.notify_all()

    def drain(self):
        with self.cv:
            while self.items or self.busy:
                self.cv.wait()

    def stop(self):
        with self.cv:
            self.stopped = True
            self.cv.notify_all()
