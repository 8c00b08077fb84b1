"""Tier 1 pipeline: generated TB source -> numba cfunc, with an on-disk cache.

Each TB is one immutable file named by a hash of its source (which already holds the guest pc,
the instruction words, the generator version and the semantics hash), so numba's per-file cache
can never mix TBs and a second run of the same program loads its TBs instead of compiling them.
"""
import hashlib
import importlib.util
import os
import queue
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
        self._keep = []         # cfunc objects must stay alive while their code may run

    def compile(self, tb, loops=True):
        """Return the native entry address of a translated TB."""
        t0 = time.perf_counter()
        src = emit.tb_source(tb, loops=loops)
        key = hashlib.sha256(src.encode()).hexdigest()[:24]
        name = f'nbemu_tb_{key}'
        path = os.path.join(self.dir, name + '.py')
        if not os.path.exists(path):
            tmp = f'{path}.{os.getpid()}.{threading.get_ident()}.tmp'
            with open(tmp, 'w') as f:
                f.write(src)
            os.replace(tmp, path)
        cache_dir = os.path.join(self.dir, '__pycache__')
        had_cache = os.path.isdir(cache_dir) and any(
            n.startswith(name + '.') for n in os.listdir(cache_dir))
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        self._keep.append(mod.tb)
        if had_cache:
            codecache.touch(path)
            self.loaded += 1
        else:
            self.compiled += 1
        self.seconds += time.perf_counter() - t0
        return mod.tb.address


class BackgroundCompiler:
    """Compiles hot TBs on a worker thread while the nogil execution loop keeps running."""

    def __init__(self, compiler, install):
        self.compiler = compiler
        self.install = install      # install(row, version, address), called on the worker
        self.q = queue.Queue()
        self.errors = []
        self.t = threading.Thread(target=self._work, name='nbemu-jit', daemon=True)
        self.t.start()

    def submit(self, row, version, tb):
        self.q.put((row, version, tb))

    def _work(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            row, version, tb = item
            try:
                self.install(row, version, self.compiler.compile(tb))
            except Exception as e:     # the TB stays on the interpreter, which is still correct
                self.errors.append((tb.pc, repr(e)))
            finally:
                self.q.task_done()

    def drain(self):
        self.q.join()

    def stop(self):
        self.q.put(None)
