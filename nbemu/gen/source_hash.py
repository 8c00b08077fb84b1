"""A hash of every source file that generated code depends on.

Generated files (the interpreter, cached TBs) embed it, so editing any helper yields a new file
and numba's cache (which only watches a function's own file) can never serve stale semantics.

The files are not a hand-kept list: they are every module of nbemu/core and nbemu/gen plus every
nbemu module reachable from them through imports, found by reading the import statements.
"""
import hashlib
import os
import re

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the nbemu package
_cached = None


_FROM = re.compile(r'^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)', re.M)
_IMPORT = re.compile(r'^[ \t]*import[ \t]+([\w.]+)', re.M)
_files = None


def _all_files():
    """Relative paths ('gen/decode.py') of every source file in the package."""
    global _files
    if _files is None:
        _files = set()
        for d, dirs, names in os.walk(_ROOT):
            dirs[:] = [x for x in dirs if x != '__pycache__']
            rel = os.path.relpath(d, _ROOT)
            for n in names:
                if n.endswith('.py'):
                    _files.add(n if rel == '.' else f'{rel}/{n}')
    return _files


def _module_file(parts):
    """The relative source path of module nbemu.<parts...> (or None)."""
    base = '/'.join(parts)
    for f in (base + '.py', base + '/__init__.py'):
        if f in _all_files():
            return f
    return None


def _imports(rel):
    """Files of the nbemu modules imported by the file `rel` (including the packages on the way
    and submodules named in `from package import submodule`). A line scan, not a parse: this
    runs at every start-up."""
    out = []
    with open(os.path.join(_ROOT, rel)) as f:
        text = f.read()
    pkg = rel.split('/')[:-1]
    targets = [(m.split('.'), []) for m in _IMPORT.findall(text)]
    for dots, module, names in _FROM.findall(text):
        names = [n.split()[0] for n in names.strip('()').replace('\n', ' ').split(',')
                 if n.split()]
        if dots:
            base = pkg[:len(pkg) - (len(dots) - 1)] if len(dots) > 1 else pkg
            targets.append((['nbemu'] + base + (module.split('.') if module else []), names))
        else:
            targets.append((module.split('.'), names))
    for mod, names in targets:
        if not mod or mod[0] != 'nbemu':
            continue
        for i in range(2, len(mod) + 1):
            f = _module_file(mod[1:i])
            if f:
                out.append(f)
        for n in names:
            f = _module_file(mod[1:] + [n])
            if f:
                out.append(f)
    return out


def source_files():
    """Sorted paths (relative to the package) of every file the hash covers."""
    todo = sorted(f for f in _all_files() if f.startswith(('gen/', 'core/')))
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(f for f in _imports(p) if f not in seen)
    return sorted(seen)


def semantics_hash():
    global _cached
    if _cached is None:
        h = hashlib.sha256()
        for rel in source_files():
            h.update(rel.encode())
            with open(os.path.join(_ROOT, rel), 'rb') as f:
                h.update(f.read())
        _cached = h.hexdigest()[:16]
    return _cached
