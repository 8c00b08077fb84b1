"""A hash of every source file that defines instruction semantics or decoding.

Generated files (the interpreter, cached TBs) embed it, so editing any helper yields a new file
and numba's cache (which only watches a function's own file) can never serve stale semantics.
"""
import hashlib
import pathlib

_ROOT = pathlib.Path(__file__).resolve().parent.parent
_SOURCES = ('gen/sem/*.py', 'gen/encodings/*.py', 'gen/decode.py', 'gen/interp_builder.py',
            'gen/emit.py', 'runtime/native.py', 'runtime/tlb.py', 'runtime/cpu.py',
            'runtime/memory.py', 'runtime/tbcache.py')
_cached = None


def semantics_hash():
    global _cached
    if _cached is None:
        h = hashlib.sha256()
        for pat in _SOURCES:
            for p in sorted(_ROOT.glob(pat)):
                h.update(p.name.encode())
                h.update(p.read_bytes())
        _cached = h.hexdigest()[:16]
    return _cached
