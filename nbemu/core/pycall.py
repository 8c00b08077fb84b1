"""Calling a Python callable from native code through the C API: the trampolines that run a
plugin's Python callbacks from the interpreter and the generated code.

A ctypes thunk converts every argument through ctypes' type machinery and builds a tuple per
call; these trampolines take the GIL, make the integer arguments and call the callable with
PyObject_Vectorcall, which is about 100 ns less per call (bench/PLUGINS.md). What they call is a
record, a Python tuple (callable, userdata, on_raise) whose address is the callback row's
userdata: callable(*ints, userdata) runs, and if it raises, on_raise(exception) runs with the
exception (its traceback attached), so nothing unwinds into native code. The caller keeps the
record alive while a row refers to it.

The C API functions are linked by name, so the code cached on disk stays valid in every process.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .cfunc_cache import cached_cfunc

_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_OBJ = ir.IntType(8).as_pointer()
_VOID = ir.VoidType()


def _capi(builder, name, ret, args):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, args), name)


def _call_record(builder, rec, ints):
    """rec[0](*ints, rec[1]) holding the GIL; on an exception rec[2](exception)."""
    decref = _capi(builder, 'Py_DecRef', _VOID, [_OBJ])       # Py_XDECREF
    item = _capi(builder, 'PyTuple_GetItem', _OBJ, [_OBJ, _I64])
    vectorcall = _capi(builder, 'PyObject_Vectorcall', _OBJ, [_OBJ, _OBJ.as_pointer(), _I64, _OBJ])
    gil = builder.call(_capi(builder, 'PyGILState_Ensure', _I32, []), [])
    t = builder.inttoptr(rec, _OBJ)
    argv = cgutils.alloca_once(builder, _OBJ, size=len(ints) + 1)
    made = []
    for k, v in enumerate(ints):
        o = builder.call(_capi(builder, 'PyLong_FromUnsignedLongLong', _OBJ, [_I64]), [v])
        made.append(o)
        builder.store(o, builder.gep(argv, [_I32(k)]))
    builder.store(builder.call(item, [t, _I64(1)]), builder.gep(argv, [_I32(len(ints))]))
    r = builder.call(vectorcall, [builder.call(item, [t, _I64(0)]), argv, _I64(len(ints) + 1),
                                  _OBJ(None)])
    for o in made:
        builder.call(decref, [o])
    with builder.if_else(builder.icmp_unsigned('!=', r, _OBJ(None))) as (ok, raised):
        with ok:
            builder.call(decref, [r])
        with raised:
            exc = cgutils.alloca_once(builder, _OBJ, size=3)
            parts = [builder.gep(exc, [_I32(k)]) for k in range(3)]
            builder.call(_capi(builder, 'PyErr_Fetch', _VOID, [_OBJ.as_pointer()] * 3), parts)
            builder.call(_capi(builder, 'PyErr_NormalizeException', _VOID,
                               [_OBJ.as_pointer()] * 3), parts)
            value, tb = builder.load(parts[1]), builder.load(parts[2])
            with builder.if_then(builder.icmp_unsigned('!=', tb, _OBJ(None))):
                builder.call(_capi(builder, 'PyException_SetTraceback', _I32, [_OBJ, _OBJ]),
                             [value, tb])
            builder.store(value, argv)
            h = builder.call(vectorcall, [builder.call(item, [t, _I64(2)]), argv, _I64(1),
                                          _OBJ(None)])
            # on_raise does not raise; if it did anyway, its error is dropped, not left set
            with builder.if_else(builder.icmp_unsigned('!=', h, _OBJ(None))) as (done, failed):
                with done:
                    builder.call(decref, [h])
                with failed:
                    builder.call(_capi(builder, 'PyErr_Clear', _VOID, []), [])
            for p in parts:
                builder.call(decref, [builder.load(p)])
    builder.call(_capi(builder, 'PyGILState_Release', _VOID, [_I32]), [gil])


@intrinsic
def call_record_1(typingctx, rec, a):
    def codegen(context, builder, sig, args):
        _call_record(builder, args[0], args[1:])
        return context.get_dummy_value()
    return types.void(types.uint64, types.uint64), codegen


@intrinsic
def call_record_3(typingctx, rec, a, b, d):
    def codegen(context, builder, sig, args):
        _call_record(builder, args[0], args[1:])
        return context.get_dummy_value()
    return types.void(types.uint64, types.uint64, types.uint64, types.uint64), codegen


def _exec(vcpu, rec):
    call_record_1(rec, vcpu)


def _mem(vcpu, info, vaddr, rec):
    call_record_3(rec, vcpu, info, vaddr)


_made = {}


def exec_trampoline():
    """The cfunc `void(vcpu_index, record)` of a Python TB or instruction callback."""
    if 'exec' not in _made:
        _made['exec'] = cached_cfunc(types.void(types.uint64, types.uint64), _exec)
    return _made['exec']


def mem_trampoline():
    """The cfunc `void(vcpu_index, info, vaddr, record)` of a Python memory callback."""
    if 'mem' not in _made:
        _made['mem'] = cached_cfunc(types.void(types.uint64, types.uint64, types.uint64,
                                               types.uint64), _mem)
    return _made['mem']
