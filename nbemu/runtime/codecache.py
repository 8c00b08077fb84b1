"""The on-disk code cache: its entries, their size, least-recently-used eviction, clearing.

An entry is one generated module (the interpreter `nbemu_interp_<hash>.py` or a compiled TB
`tb/nbemu_tb_<key>.py`) together with what Python and numba cached for it in the `__pycache__`
beside it (files whose names start with the module name). A module's own mtime is its last use:
the TB compiler touches it whenever it loads the module from the cache.

The `helpers` directory holds numba's cache of the semantics helpers every TB links with; it is
small and needed by every compile, so eviction keeps it and only clear() removes it.
"""
import os
import time

from nbemu.gen.helper_cache import HELPERS_DIR

ENTRY_PREFIXES = ('nbemu_interp_', 'nbemu_tb_')
DEFAULT_LIMIT = 1 << 30


def default_cache_dir():
    return os.environ.get('NBEMU_CACHE_DIR') or os.path.join(
        os.path.expanduser('~'), '.cache', 'nbemu')


def _module_dirs(cache_dir):
    return [cache_dir, os.path.join(cache_dir, 'tb')]


def entries(cache_dir):
    """[(last_used, size_bytes, [paths])] for every cached module, oldest first."""
    out = []
    for d in _module_dirs(cache_dir):
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        pyc = os.path.join(d, '__pycache__')
        try:
            cached = os.listdir(pyc)
        except FileNotFoundError:
            cached = []
        by_module = {}
        for n in cached:
            by_module.setdefault(n.split('.', 1)[0], []).append(os.path.join(pyc, n))
        for n in names:
            if not (n.endswith('.py') and n.startswith(ENTRY_PREFIXES)):
                continue
            path = os.path.join(d, n)
            paths = [path] + by_module.get(n[:-3], [])
            size = used = 0
            for p in paths:
                try:
                    st = os.stat(p)
                except FileNotFoundError:
                    continue
                size += st.st_size
                if p == path:
                    used = st.st_mtime
            out.append((used, size, paths))
    out.sort(key=lambda e: e[0])
    return out


def total_size(cache_dir):
    return sum(size for _, size, _ in entries(cache_dir))


def evict(cache_dir, limit=DEFAULT_LIMIT, keep=()):
    """Delete least-recently-used entries until the cache holds at most `limit` bytes. Modules
    named in `keep` (paths) stay. Returns (entries deleted, bytes freed)."""
    es = entries(cache_dir)
    total = sum(size for _, size, _ in es)
    deleted = freed = 0
    keep = set(keep)
    for _, size, paths in es:
        if total <= limit:
            break
        if paths[0] in keep:
            continue
        for p in paths:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        total -= size
        freed += size
        deleted += 1
    return deleted, freed


def clear(cache_dir):
    """Delete every file nbemu keeps in the cache directory (and nothing else in it).
    Returns (entries, bytes)."""
    es = entries(cache_dir)
    for _, _, paths in es:
        for p in paths:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
    for d in _module_dirs(cache_dir):
        pyc = os.path.join(d, '__pycache__')
        try:
            leftovers = [n for n in os.listdir(pyc) if n.startswith(ENTRY_PREFIXES)]
        except FileNotFoundError:
            continue
        for n in leftovers:         # numba files whose module is already gone
            os.unlink(os.path.join(pyc, n))
    helpers = os.path.join(cache_dir, HELPERS_DIR)
    try:
        helper_files = [os.path.join(helpers, n) for n in os.listdir(helpers)]
    except FileNotFoundError:
        helper_files = []
    freed = sum(size for _, size, _ in es)
    for p in helper_files:
        freed += os.stat(p).st_size
        os.unlink(p)
    for d in [helpers] + list(reversed(_module_dirs(cache_dir))):
        for sub in (os.path.join(d, '__pycache__'), d):
            try:
                os.rmdir(sub)       # only when empty
            except OSError:
                pass
    return len(es) + bool(helper_files), freed


def touch(path):
    """Record a use of a cached module (its mtime orders eviction)."""
    try:
        os.utime(path, (time.time(), time.time()))
    except OSError:
        pass
