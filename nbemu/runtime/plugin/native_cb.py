"""A plugin's callable as a native function address the generated code and interpreter can call.

- A numba `@njit` function is wrapped in a `cfunc` of the callback's signature that calls it
  (native speed, no Python on the way); its userdata must be an integer or a numpy array (the
  callback gets the array's address).
- Any other Python callable gets a ctypes thunk. The thunk finds the Python userdata by the row
  it was given, and catches whatever the callable raises: an exception cannot cross native code,
  so it is recorded and the run stops at the next TB boundary with a clear message.
"""
import ctypes

import numpy as np
from numba import cfunc, types
from numba.core.registry import CPUDispatcher

from .handles import SetPC

EXEC_SIG = (types.void(types.uint64, types.uint64),
            ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_uint64))
MEM_SIG = (types.void(types.uint64, types.uint64, types.uint64, types.uint64),
           ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64,
                            ctypes.c_uint64))


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
    """Native entry points, one per (callable, signature), kept alive as long as this object."""

    def __init__(self, on_error, pyobj_of_row, on_set_pc):
        self.on_error = on_error             # on_error(owner, callable, exception)
        self.pyobj_of_row = pyobj_of_row     # the Python userdata of a table row
        self.on_set_pc = on_set_pc           # on_set_pc(vaddr): the callable called set_pc
        self._made = {}

    def address(self, fn, sig, owner):
        key = (id(fn), sig is MEM_SIG, owner)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = (fn, self._numba(fn, sig) if is_numba(fn)
                                      else self._python(fn, sig, owner))
        return made[1][0]

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

    def _python(self, fn, sig, owner):
        on_error, pyobj_of_row, on_set_pc = self.on_error, self.pyobj_of_row, self.on_set_pc
        if sig is EXEC_SIG:
            def thunk(vcpu, row):
                try:
                    fn(vcpu, pyobj_of_row(row))
                except SetPC as e:
                    on_set_pc(e.vaddr)
                except BaseException as e:      # noqa: B902  nothing may unwind into native code
                    on_error(owner, fn, e)
        else:
            def thunk(vcpu, info, vaddr, row):
                try:
                    fn(vcpu, info, vaddr, pyobj_of_row(row))
                except BaseException as e:      # noqa: B902  (set_pc refuses memory callbacks)
                    on_error(owner, fn, e)
        t = sig[1](thunk)
        return ctypes.cast(t, ctypes.c_void_p).value, t
