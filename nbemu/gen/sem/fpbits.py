"""Bit-level FP primitives for the FP/SIMD semantics: bitcasts and LLVM math intrinsics.

`f64(b)`/`b64(x)` reinterpret a uint64 as a double and back; `f32(b)`/`b32(x)` do the same with the
low 32 bits of a uint64 and a float32. `fma64`/`fma32` are true fused multiply-adds (llvm.fma),
`rint64`/`rint32` round to integral in round-to-nearest-even (llvm.roundeven), `trunc*`, `floor*`,
`ceil*`, `round*` (ties away) are the matching llvm intrinsics. These never touch the host FP
environment, so they are safe to inline anywhere.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_SUFFIX = {'double': 'f64', 'float': 'f32'}


@intrinsic
def f64(typingctx, b):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.uint64), codegen


@intrinsic
def b64(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.uint64(types.float64), codegen


@intrinsic
def f32(typingctx, b):
    def codegen(context, builder, sig, args):
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())
    return types.float32(types.uint64), codegen


@intrinsic
def b32(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.zext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))
    return types.uint64(types.float32), codegen


def _unary(name, nbty, llty):
    @intrinsic
    def fn(typingctx, x):
        def codegen(context, builder, sig, args):
            f = cgutils.get_or_insert_function(builder.module, ir.FunctionType(llty, [llty]),
                                               f'{name}.{_SUFFIX[str(llty)]}')
            return builder.call(f, [args[0]])
        return nbty(nbty), codegen
    return fn


def _ternary(name, nbty, llty):
    @intrinsic
    def fn(typingctx, a, b, c):
        def codegen(context, builder, sig, args):
            f = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(llty, [llty] * 3), f'{name}.{_SUFFIX[str(llty)]}')
            return builder.call(f, list(args))
        return nbty(nbty, nbty, nbty), codegen
    return fn


_D = ir.DoubleType()
_F = ir.FloatType()
fma64 = _ternary('llvm.fma', types.float64, _D)
fma32 = _ternary('llvm.fma', types.float32, _F)
rint64 = _unary('llvm.roundeven', types.float64, _D)
rint32 = _unary('llvm.roundeven', types.float32, _F)
trunc64 = _unary('llvm.trunc', types.float64, _D)
trunc32 = _unary('llvm.trunc', types.float32, _F)
floor64 = _unary('llvm.floor', types.float64, _D)
floor32 = _unary('llvm.floor', types.float32, _F)
ceil64 = _unary('llvm.ceil', types.float64, _D)
ceil32 = _unary('llvm.ceil', types.float32, _F)
round64 = _unary('llvm.round', types.float64, _D)
round32 = _unary('llvm.round', types.float32, _F)
sqrt64 = _unary('llvm.sqrt', types.float64, _D)
sqrt32 = _unary('llvm.sqrt', types.float32, _F)
