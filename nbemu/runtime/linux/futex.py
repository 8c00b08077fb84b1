"""The thread syscalls: futex, exit, clone3, sched_yield, membarrier (the threads and their
scheduler are in threads.py; clone with CLONE_THREAD comes here from fork.py)."""
import errno
import struct
import time

from . import abi
from .hostsig import ERESTART_RESTARTBLOCK, ERESTARTSYS
from .table import NORETURN, syscall
from .threads import Wait

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 2, 3, 4
FUTEX_WAKE_OP, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 5, 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
M32 = 0xFFFFFFFF


def _s32(v):
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


def _get(p, addr):
    return struct.unpack('<I', p.mem.read(addr, 4))[0]


def _deadline(p, op, cmd, timeout):
    """The monotonic-ns deadline of a wait: FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC),
    FUTEX_WAIT_BITSET's absolute, on CLOCK_REALTIME if FUTEX_CLOCK_REALTIME."""
    if not timeout:
        return None
    sec, ns = abi.unpack_timespec(p.mem.read(timeout, 16))
    if sec < 0 or not 0 <= ns < 1_000_000_000:
        raise OSError(errno.EINVAL, 'bad timespec')
    t = sec * 1_000_000_000 + ns
    now = time.monotonic_ns()
    if cmd == FUTEX_WAIT_BITSET:
        clk = abi.CLOCK_REALTIME if op & FUTEX_CLOCK_REALTIME else abi.CLOCK_MONOTONIC
        return now + t - time.clock_gettime_ns(clk)
    return now + t


def _wake_op(p, uaddr, n, n2, uaddr2, encoded):
    """FUTEX_WAKE_OP: *uaddr2 = old OP oparg; wake n on uaddr, and n2 on uaddr2 if old CMP
    cmparg (the encoding of linux/futex.h's FUTEX_OP)."""
    op, cmp = (encoded >> 28) & 7, (encoded >> 24) & 15
    oparg, cmparg = (encoded >> 12) & 0xFFF, encoded & 0xFFF
    if oparg & 0x800:
        oparg -= 0x1000
    if cmparg & 0x800:
        cmparg -= 0x1000
    if encoded & (8 << 28):         # FUTEX_OP_OPARG_SHIFT
        if not 0 <= oparg < 32:
            oparg &= 31     # as Linux does (it warns)
        oparg = 1 << oparg
    old = _get(p, uaddr2)
    ops = {0: lambda a: oparg, 1: lambda a: a + oparg, 2: lambda a: a | oparg,
           3: lambda a: a & ~oparg, 4: lambda a: a ^ oparg}
    if op not in ops or cmp > 5:
        return -errno.ENOSYS
    p.mem.write(uaddr2, struct.pack('<I', ops[op](old) & M32))
    s_old = _s32(old)
    hit = (s_old == cmparg, s_old != cmparg, s_old < cmparg, s_old <= cmparg,
           s_old > cmparg, s_old >= cmparg)[cmp]
    th = p.threads
    woken = th.wake(uaddr, n)
    if hit:
        woken += th.wake(uaddr2, n2)
    return woken


@syscall('futex', 'pdxppx')
def sys_futex(p, uaddr, op, val, timeout, uaddr2, val3):
    """Private and shared futexes are one: every thread of the guest is in this process."""
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    if op & FUTEX_CLOCK_REALTIME and cmd not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        return -errno.ENOSYS
    th = p.threads
    val &= M32
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = val3 & M32 if cmd == FUTEX_WAIT_BITSET else M32
        if not bitset:
            return -errno.EINVAL
        if uaddr & 3:
            return -errno.EINVAL
        return _wait(p, uaddr, val, bitset, _deadline(p, op, cmd, timeout))
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & M32 if cmd == FUTEX_WAKE_BITSET else M32
        if not bitset:
            return -errno.EINVAL
        return th.wake(uaddr, _s32(val) if _s32(val) > 0 else 0, bitset)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        n_move = _s32(timeout)      # val2 travels in the timeout argument
        if _s32(val) < 0 or n_move < 0:
            return -errno.EINVAL
        if cmd == FUTEX_CMP_REQUEUE and _get(p, uaddr) != val3 & M32:
            return -errno.EAGAIN
        return th.requeue(uaddr, val, n_move, uaddr2)
    if cmd == FUTEX_WAKE_OP:
        return _wake_op(p, uaddr, _s32(val), _s32(timeout), uaddr2, val3 & M32)
    p.log_unimp(f'futex op {op}')
    return -errno.ENOSYS


def _wait(p, uaddr, val, bitset, deadline):
    if _get(p, uaddr) != val:
        return -errno.EAGAIN
    if deadline is not None and deadline <= time.monotonic_ns():
        return -errno.ETIMEDOUT
    t = p.threads.current

    def on_signal():
        # Linux's futex_wait: -ERESTARTSYS without a timeout (restarted under SA_RESTART);
        # with one -ERESTART_RESTARTBLOCK (EINTR after any handler; with none, restart_syscall
        # waits again until the same deadline, futex_wait_restart)
        if deadline is None:
            t.restart = (ERESTARTSYS, uaddr)
            return -ERESTARTSYS
        t.restart = (ERESTART_RESTARTBLOCK, uaddr)
        t.restart_block = lambda: _wait(p, uaddr, val, bitset, deadline)
        return -ERESTART_RESTARTBLOCK

    p.threads.block(Wait(uaddr, bitset, deadline, on_signal=on_signal))
    return NORETURN         # x0 is set when the wait ends


@syscall('exit', 'd', ret='n')
def sys_exit(p, status):
    p.threads.exit_thread(status)
    return NORETURN


@syscall('sched_yield', '')
def sys_sched_yield(p):
    p.threads.yield_now()
    return 0


MEMBARRIER_CMD_QUERY = 0
MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1, 8
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16
MEMBARRIER_SUPPORTED = (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
                        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)


@syscall('membarrier', 'dd')
def sys_membarrier(p, cmd, flags):
    """vCPUs run one at a time and every switch goes through Python, so every barrier is
    already there; what is left is Linux's registration rule."""
    cmd = _s32(cmd)
    if flags:
        return -errno.EINVAL
    if cmd == MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_SUPPORTED
    if cmd == MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        p.membarrier_registered = True
        return 0
    if cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        return 0 if getattr(p, 'membarrier_registered', False) else -errno.EPERM
    if cmd == MEMBARRIER_CMD_GLOBAL:
        return 0
    return -errno.EINVAL


CLONE_ARGS = struct.Struct('<QQQQQQQQ')     # flags pidfd child_tid parent_tid exit_signal
#                                             stack stack_size tls (the clone_args of 5.3)


@syscall('clone3', 'pu')
def sys_clone3(p, args, size):
    """clone3 as glibc 2.36's pthread_create calls it; a fork-style clone3 goes to clone."""
    if size < 64 or size > 4096:
        return -errno.EINVAL
    raw = p.mem.read(args, size)
    if any(raw[88:]):       # set_tid, cgroup...: not implemented
        return -errno.E2BIG if size > 88 else -errno.EINVAL
    flags, pidfd, ctid, ptid, exit_sig, stack, stack_size, tls = CLONE_ARGS.unpack(raw[:64])
    if exit_sig & ~0xFF or flags & 0xFF:
        return -errno.EINVAL
    sp = stack + stack_size if stack else 0
    from .fork import sys_clone
    return sys_clone(p, flags | exit_sig, sp, ptid, tls, ctid)
