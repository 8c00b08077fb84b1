"""Raw-pointer primitives for nopython code.

All semantics helpers address the vCPU state, the TLB and guest memory through int64 host
addresses, so the interpreter (which gets them from numpy arrays) and the generated TB cfuncs
(which get one raw pointer) share exactly the same helper code. Loads and stores use alignment 1
because guest accesses may be unaligned.
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


def _opaque_address(builder, addr):
    """The address as an integer LLVM cannot trace back to an object. Without this, LLVM's
    alias analysis reasons about `inttoptr(c + k)` pointers and has been seen to reorder a
    store to a vector register after a later load of the same register in a compiled TB."""
    i64 = ir.IntType(64)
    return builder.asm(ir.FunctionType(i64, [i64]), '', '=r,0', [addr], False)


def _make_peek(bits, nbtype):
    @intrinsic
    def peek(typingctx, addr):
        if not isinstance(addr, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            ptr = builder.inttoptr(_opaque_address(builder, args[0]), ir.IntType(bits).as_pointer())
            val = builder.load(ptr, align=1)
            if bits < 64:
                val = builder.zext(val, ir.IntType(64))
            return val
        return types.uint64(addr), codegen
    return peek


def _make_poke(bits):
    @intrinsic
    def poke(typingctx, addr, value):
        if not isinstance(addr, types.Integer) or not isinstance(value, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            ptr = builder.inttoptr(_opaque_address(builder, args[0]), ir.IntType(bits).as_pointer())
            val = context.cast(builder, args[1], sig.args[1], types.uint64)
            if bits < 64:
                val = builder.trunc(val, ir.IntType(bits))
            builder.store(val, ptr, align=1)
            return context.get_dummy_value()
        return types.void(addr, value), codegen
    return poke


peek8 = _make_peek(8, types.uint8)
peek16 = _make_peek(16, types.uint16)
peek32 = _make_peek(32, types.uint32)
peek64 = _make_peek(64, types.uint64)
poke8 = _make_poke(8)
poke16 = _make_poke(16)
poke32 = _make_poke(32)
poke64 = _make_poke(64)


@intrinsic
def call_i64_i64(typingctx, fnaddr, arg):
    """Call a native `int64 f(uint64 c)` (a compiled TB) through its address."""
    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(ir.IntType(64), [ir.IntType(64)])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1]])
    return types.int64(fnaddr, arg), codegen


@intrinsic
def call_u64_i64_u64_i64(typingctx, fnaddr, a, b, n):
    """Call a native `uint64 f(uint64 c, uint64 va, int64 size)` (the memory slow paths) through its address."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [i64, i64, i64])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1], args[2], args[3]])
    return types.uint64(fnaddr, a, b, n), codegen


@intrinsic
def call_v_i64_u64_i64_u64(typingctx, fnaddr, a, b, n, v):
    """Call a native `void f(uint64 c, uint64 va, int64 size, uint64 value)` (the store slow path) through its address."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(ir.VoidType(), [i64, i64, i64, i64])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        builder.call(fn, [args[1], args[2], args[3], args[4]])
        return context.get_dummy_value()
    return types.void(fnaddr, a, b, n, v), codegen


@intrinsic
def load_i64(typingctx, addr):
    """A plain aligned int64 load (decoded TB records, which no guest store can alias)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ptr = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load(ptr, align=8)
    return types.int64(addr), codegen



def _void_call(context, builder, sig, llargs):
    i64 = ir.IntType(64)
    fnty = ir.FunctionType(ir.VoidType(), [i64] * (len(llargs) - 1))
    fn = builder.inttoptr(llargs[0], fnty.as_pointer())
    builder.call(fn, [context.cast(builder, v, t, types.uint64)
                      for v, t in zip(llargs[1:], sig.args[1:])])
    return context.get_dummy_value()


@intrinsic
def call_v_u64x2(typingctx, fnaddr, a, b):
    """Call a native `void f(uint64, uint64)` (a plugin's execution callback) through its address."""
    return types.void(fnaddr, a, b), _void_call


@intrinsic
def call_v_u64x4(typingctx, fnaddr, a, b, d, e):
    """Call a native `void f(uint64 x4)` (a plugin's memory callback) through its address."""
    return types.void(fnaddr, a, b, d, e), _void_call


@intrinsic
def call_v_u64x5(typingctx, fnaddr, a, b, d, e, f):
    """Call a native `void f(uint64 x5)` (the plugin memory report) through its address."""
    return types.void(fnaddr, a, b, d, e, f), _void_call
