"""CPU-time clocks of the guest's threads and process: clock_gettime/clock_getres of
CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID and the dynamic CPU clock ids
(pthread_getcpuclockid, clock_getcpuclockid), and getrusage(RUSAGE_THREAD).

Time base: every vCPU runs on the one host thread of the emulator, so a guest thread's CPU time
is that host thread's CPU time (time.thread_time_ns) during the guest thread's turns: the
scheduler charges the turn's delta to the outgoing thread at every switch (Threads.charge), and
the running thread's clock adds the part of its turn so far. What the host does in a turn (its
syscalls, synchronous JIT compiles) is the thread's; a host wait costs no CPU time, so a
thread that sleeps or blocks sees ~0; background compiles in the worker process are nobody's.
The clocks start at 0 when the program starts (and in a forked child, as Linux's). The
process clock is the sum of its threads' clocks, the exited ones included, as Linux's.
RUSAGE_THREAD splits a thread's time into user and system in the host thread's own ratio, the
only one there is; RUSAGE_SELF stays the host process's (the emulator's startup included).

Dynamic clock ids (include/linux/posix-timers.h): ~pid << 3 | perthread(4) | which, which
being CPUCLOCK_PROF, VIRT or SCHED; all three read the same time here. pid 0 is the calling
thread or its process; a thread id must be one of the process's threads; a process clock of
another pid (a forked child: guest pids are host pids) is the host's.
"""
import errno
import resource
import time

from . import abi

CPUCLOCK_PERTHREAD_MASK, CPUCLOCK_CLOCK_MASK, CPUCLOCK_SCHED, CPUCLOCK_MAX = 4, 3, 2, 3


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & (1 << 31) else v


def _which(p, clk):
    """('thread', Thread), ('process', None), ('host', clk) or None (not a CPU clock); EINVAL
    (as Errno) for a CPU clock id naming nothing this process may read."""
    from .fs import Errno
    if clk == abi.CLOCK_THREAD_CPUTIME_ID:
        return 'thread', p.threads.current
    if clk == abi.CLOCK_PROCESS_CPUTIME_ID:
        return 'process', None
    if clk >= 0:
        return None
    if clk & CPUCLOCK_CLOCK_MASK >= CPUCLOCK_MAX:
        raise Errno(errno.EINVAL)
    pid = ~(clk >> 3)
    threads = p.threads
    if clk & CPUCLOCK_PERTHREAD_MASK:
        t = threads.current if pid == 0 else threads.by_tid(pid)
        if t is None:
            raise Errno(errno.EINVAL)
        return 'thread', t
    if pid in (0, p.pid, threads.current.tid):
        return 'process', None
    if threads.by_tid(pid) is not None:     # another thread's id names no process
        raise Errno(errno.EINVAL)
    return 'host', clk


def clock_ns(p, clk):
    """A CPU clock's time in ns, or None if clk is not a CPU clock."""
    clk = _s32(clk)
    w = _which(p, clk)
    if w is None:
        return None
    kind, what = w
    if kind == 'thread':
        return p.threads.cpu_ns(what)
    if kind == 'process':
        return p.threads.process_cpu_ns()
    return time.clock_gettime_ns(what)


def clock_res_ns(p, clk):
    """A CPU clock's resolution in ns (the host's for the same kind of clock of its own
    thread: 1 ns for CPUCLOCK_SCHED, a tick for PROF and VIRT), or None if not a CPU clock."""
    clk = _s32(clk)
    if _which(p, clk) is None:
        return None
    which = CPUCLOCK_SCHED if clk >= 0 else clk & CPUCLOCK_CLOCK_MASK
    own = (~0 << 3) | CPUCLOCK_PERTHREAD_MASK | which
    return int(round(time.clock_getres(own) * 1e9))


def thread_rusage(p):
    """getrusage(RUSAGE_THREAD) of the running guest thread: the host thread's record with the
    guest thread's CPU time, split in the host thread's user:system ratio."""
    r = resource.getrusage(resource.RUSAGE_THREAD)
    total = p.threads.cpu_ns(p.threads.current) / 1e9
    host = r.ru_utime + r.ru_stime
    user = total * r.ru_utime / host if host > 0 else total
    return _Rusage(r, user, total - user)


class _Rusage:
    """A resource.struct_rusage with other utime and stime."""

    def __init__(self, r, utime, stime):
        self._r, self.ru_utime, self.ru_stime = r, utime, stime

    def __getattr__(self, name):
        return getattr(self._r, name)
