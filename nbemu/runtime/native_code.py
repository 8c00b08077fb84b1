"""Compiled units kept as the host object code numba produced, and loaded straight into numba's
JIT engine.

Loading a unit from numba's own cache costs about 9 ms of CPU on the thread that holds the GIL:
Python compiles the module source, numba re-parses the LLVM bitcode of the unit and of every
helper linked into it, and rebuilds its compile result. Handing the object code to the engine
and asking for the entry symbol costs about 0.25 ms. A program's warm run loads tens of units
(sqlite3 about 90), so the difference decides whether --jit=auto beats --jit=off.

A `.native` file is written next to numba's cache files right after a fresh compile (numba keeps
the object code only until its own cache is written) and holds: a header line naming numba,
llvmlite and the host codegen (target triple, CPU, features: code for another CPU must not load),
the entry symbol, the undefined symbols the object needs from the process (numba's C helpers and
the Python C API of the error paths), then the object code. A unit that uses what a raw object
cannot carry (numba's dynamic globals, or its run-time linker for recursion) gets no `.native`
and keeps loading through numba.
"""
import io
import os
import threading

import llvmlite
import llvmlite.binding as ll
import numba
from numba.core.codegen import RuntimeLinker
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import cpu_target

MAGIC = 'nbemu-native-1'
_addresses = {}             # path -> entry address: an engine may define a symbol only once
_lock = threading.Lock()


def _codegen():
    return cpu_target.target_context.codegen()


def _host_tag():
    triple, cpu_name, features = _codegen().magic_tuple()
    return f'{MAGIC} numba={numba.__version__} llvmlite={llvmlite.__version__} ' \
           f'{triple} {cpu_name} {features}'


def path_for(module_path):
    """Where the object code of the generated module at module_path is kept."""
    d, base = os.path.split(module_path)
    return os.path.join(d, '__pycache__', os.path.splitext(base)[0] + '.native')


def _undefined_symbols(obj):
    from elftools.elf.elffile import ELFFile
    symtab = ELFFile(io.BytesIO(obj)).get_section_by_name('.symtab')
    return sorted({s.name for s in symtab.iter_symbols()
                   if s.name and s['st_shndx'] == 'SHN_UNDEF'})


def save(module_path, cfunc_obj):
    """Keep the object code of a cfunc numba has just compiled (not loaded from its cache).
    Returns whether a `.native` file was written."""
    lib = cfunc_obj._library
    if lib.has_dynamic_globals:
        return False
    if any(gv.name.startswith(RuntimeLinker.PREFIX) for gv in lib._final_module.global_variables):
        return False
    try:
        obj = lib._get_compiled_object()
    except RuntimeError:        # no object code kept for this library
        return False
    path = path_for(module_path)
    header = '\n'.join([_host_tag(), cfunc_obj.native_name,
                        ' '.join(_undefined_symbols(obj))]) + '\n'
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.{threading.get_ident()}.tmp'
    with open(tmp, 'wb') as f:
        f.write(header.encode() + bytes(obj))
    os.replace(tmp, path)
    return True


def remember(module_path, address):
    """The unit at module_path is in the engine already (numba compiled or loaded it here)."""
    with _lock:
        _addresses.setdefault(module_path, address)


def exists(module_path):
    return os.path.exists(path_for(module_path))


def load(module_path):
    """The entry address of the unit's kept object code, added to numba's engine once per process;
    None when there is none that this process can use (the caller then goes through numba)."""
    with _lock:
        if module_path in _addresses:
            return _addresses[module_path]
        try:
            with open(path_for(module_path), 'rb') as f:
                data = f.read()
        except FileNotFoundError:
            return None
        parts = data.split(b'\n', 3)
        if len(parts) != 4 or parts[0].decode() != _host_tag():
            return None
        symbol, needed, obj = parts[1].decode(), parts[2].decode().split(), parts[3]
        # MCJIT aborts the process on a symbol it cannot resolve: ask first
        if any(ll.address_of_symbol(name) is None for name in needed):
            return None
        engine = _codegen()._engine._ee
        with global_compiler_lock:
            engine.add_object_file(ll.ObjectFileRef.from_data(obj))
            address = engine.get_function_address(symbol)
        if not address:
            return None
        _addresses[module_path] = address
        return address
