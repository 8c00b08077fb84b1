"""numba's disk cache for the cfuncs of nbemu.core (the TLB slow paths, the memory report),
stamped with a hash of every nbemu.core source. numba's own stamp is the function's file
alone, so an edit elsewhere in the package (a field added to the vCPU record in cpu.py) would
leave a cached slow path reading the old offsets: a host crash, not a wrong answer."""
import hashlib
import os

from numba.core.caching import (CompileResultCacheImpl, FunctionCache, InTreeCacheLocator,
                                UserWideCacheLocator)
from numba.core import sigutils
from numba.core.ccallback import CFunc

_DIR = os.path.dirname(os.path.abspath(__file__))
_stamp = []


def core_stamp():
    if not _stamp:
        h = hashlib.sha256()
        for name in sorted(os.listdir(_DIR)):
            if name.endswith('.py'):
                with open(os.path.join(_DIR, name), 'rb') as f:
                    h.update(name.encode() + b'\0' + f.read())
        _stamp.append(h.hexdigest()[:16])
    return _stamp[0]


class _InTreeLocator(InTreeCacheLocator):
    def get_source_stamp(self):
        return core_stamp()


class _UserWideLocator(UserWideCacheLocator):
    def get_source_stamp(self):
        return core_stamp()


class _CoreCacheImpl(CompileResultCacheImpl):
    _locator_classes = [_InTreeLocator, _UserWideLocator]


class _CoreCache(FunctionCache):
    _impl_class = _CoreCacheImpl


def cached_cfunc(sig, fn):
    """cfunc(sig, nopython=True, cache=True)(fn), with the package-wide stamp."""
    res = CFunc(fn, sigutils.normalize_signature(sig), locals={}, options={'nopython': True})
    res._cache = _CoreCache(fn)
    res.compile()
    return res
