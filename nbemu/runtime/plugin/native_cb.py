"""A plugin's callable as a native function address the generated code and interpreter can call.

- A numba `@njit` function is wrapped in a `cfunc` of the callback's signature that calls it
  (native speed, no Python on the way); its userdata must be an integer or a numpy array (the
  callback gets the array's address).
- Any other Python callable is called by a trampoline through the C API (nbemu.core.pycall),
  with a record holding the callable, its userdata and what to do when it raises: an exception
  cannot cross native code, so it is recorded and the run stops at the next TB boundary with a
  clear message.
"""
import numpy as np
from numba import cfunc, types
from numba.core.registry import CPUDispatcher

from .handles import SetPC

EXEC_SIG = (types.void(types.uint64, types.uint64),)
MEM_SIG = (types.void(types.uint64, types.uint64, types.uint64, types.uint64),)


def is_numba(fn):
    return isinstance(fn, CPUDispatcher)


def numba_udata(userdata):
    """(integer passed to a numba callback, object to keep alive)."""
    if userdata is None:
        return 0, None
    if isinstance(userdata, np.ndarray):
        return int(userdata.ctypes.data), userdata
    if isinstance(userdata, (int, np.integer)):
        return int(userdata) & (2**64 - 1), None
    raise TypeError('userdata of a numba callback must be an int or a numpy array, '
                    f'not {type(userdata).__name__}')


class NativeCallbacks:
    """Native entry points for a plugin's callables: a numba function's cfunc (one per callable
    and signature), or for a Python callable the shared C-API trampoline (nbemu.core.pycall) and
    a record (callable, userdata, on_raise) for the row's userdata."""

    def __init__(self, on_error, on_set_pc):
        self.on_error = on_error             # on_error(owner, callable, exception)
        self.on_set_pc = on_set_pc           # on_set_pc(vaddr): the callable called set_pc
        self._made = {}
        self._records = {}                   # the record of each callable without userdata

    def address(self, fn, sig, owner):
        """The cfunc address of a numba callable."""
        key = (id(fn), sig is MEM_SIG, owner)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = (fn, self._numba(fn, sig))
        return made[1][0]

    def python(self, fn, sig, owner, userdata):
        """(trampoline address, record, shared): shared records (no userdata) live here; the
        caller keeps any other alive as long as its row."""
        from nbemu.core import pycall
        tramp = pycall.exec_trampoline() if sig is EXEC_SIG else pycall.mem_trampoline()
        key = (id(fn), sig is MEM_SIG, owner)
        rec = self._records.get(key)
        if rec is None:
            rec = self._records[key] = (fn, None, self._raised(fn, sig, owner))
        if userdata is None:
            return tramp.address, rec, True
        return tramp.address, (fn, userdata, rec[2]), False

    @staticmethod
    def _numba(fn, sig):
        if sig is EXEC_SIG:
            def wrapper(vcpu, udata):
                fn(vcpu, udata)
        else:
            def wrapper(vcpu, info, vaddr, udata):
                fn(vcpu, info, vaddr, udata)
        cf = cfunc(sig[0], nopython=True)(wrapper)
        return cf.address, cf

    def _raised(self, fn, sig, owner):
        """What the trampoline calls with an exception fn raised: nothing may unwind into native
        code, so an error is recorded (the run stops at the TB end) and a set_pc taken."""
        on_error, on_set_pc = self.on_error, self.on_set_pc

        def on_raise(exc):
            if isinstance(exc, SetPC) and sig is EXEC_SIG:
                on_set_pc(exc.vaddr)
            else:
                on_error(owner, fn, exc)
        return on_raise
