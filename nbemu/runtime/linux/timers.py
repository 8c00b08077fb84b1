"""Timers and sleeps: alarm, setitimer/getitimer, POSIX timers (timer_create with SIGEV_SIGNAL or
SIGEV_NONE), nanosleep and clock_nanosleep.

The guest's timers are the host process's own: setitimer/alarm set the emulator's interval
timers and timer_create makes a host kernel timer (raw syscall: struct itimerspec and the timer
ids pass through unchanged), so expiry is the host kernel's, timers survive execve and vanish
in a fork child exactly as Linux has it. The signal they raise reaches the guest through
hostsig (forwarded while the guest handles it; a default SIGALRM kills the emulator by the
kernel, with the status Linux gives). Sleeps wait on hostsig's pipe, so a handled signal ends
them with EINTR and the time left, as Linux's nanosleep does (SA_RESTART or not), and a signal
that runs no handler lets them go on to the same end (restart_syscall).
"""
import ctypes
import errno
import os
import signal as _hs
import struct
import time

from . import abi
from .fs import _libc
from .hostsig import ERESTART_RESTARTBLOCK, ERESTARTNOHAND, Interrupted, first_deadline
from .table import syscall

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
ITIMER_SIGNAL = {ITIMER_REAL: abi.SIGALRM, ITIMER_VIRTUAL: abi.SIGVTALRM, ITIMER_PROF: abi.SIGPROF}
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SI_TIMER = -2
TIMER_ABSTIME = 1

# host syscall numbers of the POSIX timer calls (arguments are the same structures everywhere)
_HOST_NR = {
    'x86_64': {'timer_create': 222, 'timer_settime': 223, 'timer_gettime': 224,
               'timer_getoverrun': 225, 'timer_delete': 226},
    'aarch64': {'timer_create': 107, 'timer_settime': 110, 'timer_gettime': 108,
                'timer_getoverrun': 109, 'timer_delete': 111},
}


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _host_syscall(name, *args):
    nr = _HOST_NR[os.uname().machine][name]
    r = _libc.syscall(ctypes.c_long(nr), *args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


class Timers:
    """The guest's timers: POSIX ones (host timer id -> (signal or None, sigev_value), for the
    siginfo) and the interval timers it armed."""

    def __init__(self, proc):
        self.p = proc
        self.posix = {}
        self.itimers = set()        # the interval timers the guest armed

    def info_for(self, sig):
        """siginfo for a POSIX timer's signal (the first timer using it: the host does not tell
        which one fired when several share a signal)."""
        for tid, (signo, value) in self.posix.items():
            if signo == sig:
                try:
                    overrun = _host_syscall('timer_getoverrun', ctypes.c_long(tid))
                except OSError:
                    overrun = 0
                b = bytearray(abi.SIGINFO_SIZE)
                struct.pack_into('<iii4xiiQ', b, 0, sig, 0, SI_TIMER, tid, overrun, value)
                return bytes(b)
        return None

    def after_fork_child(self):
        self.posix.clear()          # Linux: POSIX timers are not inherited, nor itimers
        self.itimers.clear()

    def close(self):
        """The guest process is gone, and so are its timers (an embedded emulator's host goes
        on, and the CLI still prints its statistics: no stray SIGALRM may reach either)."""
        for which in self.itimers:
            _hs.setitimer(which, 0)
        self.itimers.clear()
        for tid in list(self.posix):
            try:
                _host_syscall('timer_delete', ctypes.c_long(tid))
            except OSError:
                pass
        self.posix.clear()


def timers(p):
    t = getattr(p, 'timers', None)
    if t is None:
        t = p.timers = Timers(p)
    return t


# ----- interval timers -----
def _tv_to_s(sec, usec):
    if sec < 0 or not 0 <= usec < 1_000_000:
        raise OSError(errno.EINVAL, 'bad timeval')
    return sec + usec / 1e6


def _s_to_tv(x):
    us = int(round(x * 1e6))
    return us // 1_000_000, us % 1_000_000


def _pack_itimerval(pair):
    value, interval = pair
    return struct.pack('<qqqq', *_s_to_tv(interval), *_s_to_tv(value))


@syscall('setitimer', 'dpp')
def sys_setitimer(p, which, new, old):
    which = _s32(which)
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        return -errno.EINVAL
    if new:
        isec, iusec, vsec, vusec = struct.unpack('<qqqq', p.mem.read(new, 32))
        interval, value = _tv_to_s(isec, iusec), _tv_to_s(vsec, vusec)
    else:                           # Linux treats a NULL new value as zero (disarm)
        interval = value = 0.0
    timers(p).itimers.add(which)
    if value > 0:
        # the emulator hears its timers' signals even when the guest leaves them at their
        # default: then the guest dies through the emulator (its exit, -strace, --stats), as
        # under qemu, rather than by the kernel
        p.hostsig.need(ITIMER_SIGNAL[which])
    prev = _hs.setitimer(which, value, interval)
    if which == ITIMER_REAL:
        p.hostsig.itimer_real = value > 0
    if old:
        p.mem.write(old, _pack_itimerval(prev))
    return 0


@syscall('getitimer', 'dp')
def sys_getitimer(p, which, cur):
    which = _s32(which)
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        return -errno.EINVAL
    p.mem.write(cur, _pack_itimerval(_hs.getitimer(which)))
    return 0


# arm64 has no alarm syscall: glibc's alarm() is setitimer(ITIMER_REAL)


# ----- POSIX timers -----
@syscall('timer_create', 'dpp')
def sys_timer_create(p, clk, sevp, idp):
    clk = _s32(clk)
    if sevp:
        value, signo, notify = struct.unpack('<Qii', p.mem.read(sevp, 16))
    else:                           # NULL: SIGEV_SIGNAL with SIGALRM, sigev_value = the id
        value, signo, notify = None, abi.SIGALRM, SIGEV_SIGNAL
    if notify not in (SIGEV_SIGNAL, SIGEV_NONE):
        # SIGEV_THREAD_ID needs guest threads (glibc's SIGEV_THREAD uses it)
        p.log_unimp(f'timer_create sigev_notify {notify} is not implemented')
        return -errno.EINVAL
    if notify == SIGEV_SIGNAL and not 1 <= signo <= abi.NSIG:
        return -errno.EINVAL
    if notify == SIGEV_SIGNAL:
        p.hostsig.need(signo)           # as for setitimer
    sev = bytearray(64)             # struct sigevent: the same 64 bytes on every 64-bit Linux
    struct.pack_into('<Qii', sev, 0, value or 0, signo, notify)
    out = ctypes.c_int(0)
    buf = (ctypes.c_char * 64).from_buffer(sev)
    _host_syscall('timer_create', ctypes.c_long(clk), buf, ctypes.byref(out))
    tid = out.value
    # SIGEV_NONE timers are kept too (with no signal), so that close() deletes them
    timers(p).posix[tid] = (signo if notify == SIGEV_SIGNAL else None,
                            tid if value is None else value)
    try:
        p.mem.write(idp, struct.pack('<i', tid))
    except Exception:
        _host_syscall('timer_delete', ctypes.c_long(tid))
        timers(p).posix.pop(tid, None)
        raise
    return 0


@syscall('timer_settime', 'dxpp')
def sys_timer_settime(p, tid, flags, new, old):
    raw = p.mem.read(new, 32)
    sec_i, ns_i, sec_v, ns_v = struct.unpack('<qqqq', raw)
    if not (0 <= ns_i < 1_000_000_000 and 0 <= ns_v < 1_000_000_000):
        return -errno.EINVAL
    nb = ctypes.create_string_buffer(raw, 32)
    ob = ctypes.create_string_buffer(32)
    _host_syscall('timer_settime', ctypes.c_long(_s32(tid)), ctypes.c_long(flags & 0xFFFFFFFF),
                  nb, ob if old else None)
    if old:
        p.mem.write(old, ob.raw)
    return 0


@syscall('timer_gettime', 'dp')
def sys_timer_gettime(p, tid, cur):
    ob = ctypes.create_string_buffer(32)
    _host_syscall('timer_gettime', ctypes.c_long(_s32(tid)), ob)
    p.mem.write(cur, ob.raw)
    return 0


@syscall('timer_getoverrun', 'd')
def sys_timer_getoverrun(p, tid):
    return _host_syscall('timer_getoverrun', ctypes.c_long(_s32(tid)))


@syscall('timer_delete', 'd')
def sys_timer_delete(p, tid):
    _host_syscall('timer_delete', ctypes.c_long(_s32(tid)))
    timers(p).posix.pop(_s32(tid), None)
    return 0


# ----- sleeps -----
def _read_ts(p, addr):
    s, ns = abi.unpack_timespec(p.mem.read(addr, 16))
    if s < 0 or not 0 <= ns < 1_000_000_000:
        raise OSError(errno.EINVAL, 'bad timespec')
    return s * 1_000_000_000 + ns


def _sleep(p, ns, rem, absolute=False):
    """Sleep ns nanoseconds; a handled guest signal ends it early with EINTR and, if rem, the
    time left (Linux's nanosleep is never restarted with SA_RESTART once a handler ran: it
    returns -ERESTART_RESTARTBLOCK, an absolute clock_nanosleep -ERESTARTNOHAND; with no
    handler run, the relative sleep goes on until the same end through restart_syscall)."""
    end = first_deadline(p, time.monotonic() + ns / 1e9)
    _sleep_until(p, end, rem, ERESTARTNOHAND if absolute else ERESTART_RESTARTBLOCK)


def _sleep_until(p, end, rem, code):
    try:
        p.hostsig.wait(timeout_ms=max(0.0, end - time.monotonic()) * 1000, restartable=False)
    except Interrupted:
        if rem:
            p.mem.write(rem, abi.pack_timespec(max(0, int((end - time.monotonic()) * 1e9))))
        if code == ERESTART_RESTARTBLOCK:
            p.threads.current.restart_block = lambda: _sleep_until(p, end, rem, code) or 0
        raise Interrupted(code=code)


@syscall('nanosleep', 'pp')
def sys_nanosleep(p, req, rem):
    _sleep(p, _read_ts(p, req), rem)
    return 0


_SLEEP_CLOCKS = {abi.CLOCK_REALTIME, abi.CLOCK_MONOTONIC, abi.CLOCK_BOOTTIME, 8, 9}


@syscall('clock_nanosleep', 'dxpp')
def sys_clock_nanosleep(p, clk, flags, req, rem):
    clk = _s32(clk)
    if clk in (abi.CLOCK_PROCESS_CPUTIME_ID, abi.CLOCK_THREAD_CPUTIME_ID):
        return -errno.EINVAL if clk == abi.CLOCK_THREAD_CPUTIME_ID else -errno.ENOTSUP
    if clk not in _SLEEP_CLOCKS:
        return -errno.EINVAL
    ns = _read_ts(p, req)
    absolute = flags & TIMER_ABSTIME
    if absolute:
        host_clk = {8: abi.CLOCK_REALTIME, 9: abi.CLOCK_BOOTTIME}.get(clk, clk)
        ns -= time.clock_gettime_ns(host_clk)
    if ns > 0:
        _sleep(p, ns, 0 if absolute else rem, absolute)
    return 0
