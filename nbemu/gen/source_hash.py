"""A hash of every source file that generated code depends on.

Generated files (the interpreter, cached TBs) embed it, so editing any helper yields a new file
and numba's cache (which only watches a function's own file) can never serve stale semantics.

The files are not a hand-kept list: they are every module of nbemu/core and nbemu/gen plus every
nbemu module reachable from them through imports, found by reading the import statements.
"""
import ast
import hashlib
import pathlib

_ROOT = pathlib.Path(__file__).resolve().parent.parent      # the nbemu package directory
_cached = None


def _module_file(parts):
    """The source file of module nbemu.<parts...> (or None)."""
    p = _ROOT.joinpath(*parts)
    if p.with_suffix('.py').is_file():
        return p.with_suffix('.py')
    if (p / '__init__.py').is_file():
        return p / '__init__.py'
    return None


def _package_parts(path):
    rel = path.relative_to(_ROOT).with_suffix('')
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] != '__init__' else parts[:-1]


def _imports(path):
    """Files of the nbemu modules imported by the file at path (including the packages on the
    way and submodules named in `from package import submodule`)."""
    out = []
    tree = ast.parse(path.read_bytes(), str(path))
    pkg = _package_parts(path) if path.name != '__init__.py' else list(
        path.parent.relative_to(_ROOT).parts)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [(a.name.split('.'), []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                mod = base + (node.module.split('.') if node.module else [])
                targets = [(['nbemu'] + mod, [a.name for a in node.names])]
            elif node.module:
                targets = [(node.module.split('.'), [a.name for a in node.names])]
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
    todo = sorted((_ROOT / 'gen').rglob('*.py')) + sorted((_ROOT / 'core').rglob('*.py'))
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(f for f in _imports(p) if f not in seen)
    return sorted(str(p.relative_to(_ROOT)) for p in seen)


def semantics_hash():
    global _cached
    if _cached is None:
        h = hashlib.sha256()
        for rel in source_files():
            h.update(rel.encode())
            h.update((_ROOT / rel).read_bytes())
        _cached = h.hexdigest()[:16]
    return _cached
