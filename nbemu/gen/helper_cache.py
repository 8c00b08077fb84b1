"""numba's disk cache for the semantics helpers, keyed by the hash of every semantics source.

A compiled TB calls the `@njit` helpers of nbemu.gen.sem and nbemu.core. Without a cache each
process compiles every helper its first TBs use (type inference and lowering, 0.5-2 s each), which
made a fresh process's first compiled TBs cost seconds apiece. numba's own cache cannot be used
as it is: it notices edits only to the helper's own file, not to the helpers it calls in other
files, so it could serve stale semantics. Here the freshness stamp of every helper is
`semantics_hash()`, which changes when any file the semantics depend on changes.
"""
import os
import sys

from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator
from numba.core.registry import CPUDispatcher

from .source_hash import semantics_hash

_PACKAGES = ('nbemu.gen.', 'nbemu.core.')
HELPERS_DIR = 'helpers'      # under the code-cache directory


class _SemanticsLocator(_CacheLocator):
    directory = None        # set by enable()

    def __init__(self, py_file):
        self._py_file = py_file

    def get_cache_path(self):
        return self.directory

    def get_source_stamp(self):
        return semantics_hash()

    def get_disambiguator(self):
        # module-qualified, so helpers of the same name in two modules never share an index
        return os.path.splitext(os.path.basename(self._py_file))[0]

    @classmethod
    def from_function(cls, py_func, py_file):
        return cls(py_file) if cls.directory else None


class _HelperCacheImpl(CompileResultCacheImpl):
    _locator_classes = [_SemanticsLocator]


class _HelperCache(FunctionCache):
    _impl_class = _HelperCacheImpl


def enable(cache_dir):
    """Cache every helper of the loaded nbemu.gen and nbemu.core modules under cache_dir. Call it
    before the first compile of a process; helpers imported later are covered by calling again."""
    _SemanticsLocator.directory = os.path.join(cache_dir, HELPERS_DIR)
    os.makedirs(_SemanticsLocator.directory, exist_ok=True)
    for name, mod in list(sys.modules.items()):
        if not name.startswith(_PACKAGES) or mod is None:
            continue
        for obj in vars(mod).values():
            if (isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == name
                    and not isinstance(obj._cache, _HelperCache)):
                obj._cache = _HelperCache(obj.py_func)
