"""System-call dispatch: the AArch64 Linux syscall table, -strace logging, and the process,
identity, time and resource syscalls. File syscalls live in fs.py, memory ones in mm.py, signal
ones in signals.py, fork/clone/wait in fork.py, threads and futex in
threads.py and futex.py, execve in execve.py, timers and sleeps in
timers.py, ppoll/pselect6 in poll.py, extended attributes in xattr.py, epoll in epoll.py,
sockets in sockets.py, eventfd/timerfd/signalfd in eventfd.py, timerfd.py and signalfd.py,
System V shm in shm.py; importing this module registers them all.

Calling convention: number in x8, arguments in x0-x5, result in x0 (negative errno on failure).
Handlers raise OSError/Errno for errors and GuestFault for bad guest pointers (-> -EFAULT).
"""
import errno
import os
import resource
import struct
import time

from nbemu.core.cpu import OFF_PC, OFF_X
from ..memory import GuestFault
# importing a module registers its syscalls
from . import (abi, epoll, eventfd, execve, fork, fs, futex, mm, poll,  # noqa: F401
               shm, signalfd, signals, sockets, timerfd, timers, xattr)
from . import cputime, mte, pac_keys
from .fs import Errno
from .hostsig import Interrupted
from .signals import GuestExit
from .sysnums import NAMES
from .table import NORETURN, TABLE, syscall
from .threads import WouldBlock

_X = OFF_X // 8
_PC = OFF_PC // 8
M64 = 2**64 - 1


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v):
    return v - (1 << 64) if v & (1 << 63) else v


# ----- dispatch -----
def handle(p):
    """Run the syscall the guest requested (its registers are in p.regs). Returns True when
    it was put back to run again later (WouldBlock: another thread runs meanwhile)."""
    r = p.regs
    nr = int(r[_X + 8])
    ent = TABLE.get(nr)
    p.syscall_count += 1
    if ent is None:
        name = NAMES.get(nr, str(nr))
        if p.strace:
            p.strace.write(f'{p.pid} Unknown syscall {nr}\n')
        p.log_unimp(f'unimplemented syscall {nr} ({name})')
        r[_X] = (-errno.ENOSYS) & M64
        return
    args = [int(r[_X + i]) for i in range(len(ent.argfmt))]
    if p.strace and ent.ret == 'n':
        p.strace.write(f'{p.pid} {ent.name}({format_args(p, ent, args)})\n')
        p.strace.flush()
    thread = p.threads.current
    x0 = int(r[_X])
    try:
        ret = ent.fn(p, *args)
    except GuestExit:
        raise
    except WouldBlock as e:     # another thread runs; this svc runs again later (threads.py)
        r[_PC] = int(r[_PC]) - 4
        p.threads.block_retry(e)
        return True
    except Interrupted as e:
        # -ERESTART*: the delivery after it makes it EINTR or runs the svc again
        ret = p.signals.interrupted(e.code, x0)
    except GuestFault:
        ret = -errno.EFAULT
    except (Errno, OSError) as e:
        ret = -(e.errno or errno.EIO)
    except (ValueError, OverflowError):
        ret = -errno.EINVAL
    thread.retry = None     # done: a later svc at this pc is a new call
    if ret is NORETURN:
        return
    r[_X] = ret & M64
    if p.strace:
        p.strace.write(f'{p.pid} {ent.name}({format_args(p, ent, args)}) = '
                       f'{format_ret(ent, ret)}\n')
        p.strace.flush()


# the kernel's internal returns, as strace names them (Signals.interrupted)
RESTART_NAMES = {512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND',
                 516: 'ERESTART_RESTARTBLOCK'}


def format_ret(ent, ret):
    if -ret in RESTART_NAMES:
        return f'-1 errno={-ret} ({RESTART_NAMES[-ret]})'
    if -4096 < ret < 0:
        return f'-1 errno={-ret} ({os.strerror(-ret)})'
    if ent.ret == 'p':
        return f'0x{ret & M64:016x}'
    if ent.ret == 'x':
        return f'{ret:#x}'
    return str(ret)


def _str_arg(p, addr):
    if addr == 0:
        return 'NULL'
    try:
        s = p.mem.read_cstr(addr, 4096)
    except GuestFault:
        return f'0x{addr:x}'
    txt = s[:256].decode('utf-8', 'backslashreplace').replace('"', '\\"').replace('\n', '\\n')
    return f'"{txt}"' + ('...' if len(s) > 256 else '')


def format_args(p, ent, args):
    out = []
    for ch, a in zip(ent.argfmt, args):
        if ch == 'd':
            out.append(str(_s32(a)))
        elif ch == 'l':
            out.append(str(_s64(a)))
        elif ch == 'u':
            out.append(str(a))
        elif ch == 'x':
            out.append(f'{a:#x}')
        elif ch == 'p':
            out.append('NULL' if a == 0 else f'0x{a:016x}')
        elif ch == 's':
            out.append(_str_arg(p, a))
        elif ch == 'f':
            out.append('AT_FDCWD' if _s32(a) == abi.AT_FDCWD else str(_s32(a)))
        elif ch == 'o':
            out.append(f'0{a & 0xFFFFFFFF:o}')
        elif ch == 'O':
            out.append(abi.open_flags_str(a & 0xFFFFFFFF))
        elif ch == 'P':
            out.append(abi.prot_str(a & 0xFFFFFFFF))
        elif ch == 'M':
            out.append(abi.map_flags_str(a & 0xFFFFFFFF))
        elif ch == 'w':
            out.append({0: 'SEEK_SET', 1: 'SEEK_CUR', 2: 'SEEK_END', 3: 'SEEK_DATA',
                        4: 'SEEK_HOLE'}.get(a, str(_s32(a))))
        elif ch == 'S':
            out.append(abi.SIGNAL_NAMES.get(_s32(a), str(_s32(a))))
        else:
            out.append(str(a))
    return ','.join(out)


# ----- process lifetime and identity -----
@syscall('exit_group', 'd', ret='n')
def sys_exit_group(p, status):
    raise GuestExit(status & 0xFF)


@syscall('set_tid_address', 'p')
def sys_set_tid_address(p, tidptr):
    p.clear_child_tid = tidptr
    return p.tid


@syscall('set_robust_list', 'pu')
def sys_set_robust_list(p, head, length):
    if length != 24:
        return -errno.EINVAL
    p.robust_list = head
    return 0


@syscall('get_robust_list', 'dpp')
def sys_get_robust_list(p, pid, head_ptr, len_ptr):
    pid = _s32(pid)
    t = None if pid in (0, p.tid) else p.threads.by_tid(pid)
    if pid not in (0, p.tid) and t is None:
        return -errno.ESRCH
    p.mem.put_u64(head_ptr, p.robust_list if t is None else t.robust_list)
    p.mem.put_u64(len_ptr, 24)
    return 0


@syscall('rseq', 'pudx')
def sys_rseq(p, rseq, length, flags, sig):
    return -errno.ENOSYS


@syscall('getpid', '')
def sys_getpid(p):
    return p.pid


@syscall('gettid', '')
def sys_gettid(p):
    return p.tid


@syscall('getppid', '')
def sys_getppid(p):
    return os.getppid()


syscall('getuid', '')(lambda p: os.getuid())
syscall('geteuid', '')(lambda p: os.geteuid())
syscall('getgid', '')(lambda p: os.getgid())
syscall('getegid', '')(lambda p: os.getegid())


def _put_ids(p, a, b, c, vals):
    for ptr, v in zip((a, b, c), vals):
        p.mem.write(ptr, struct.pack('<I', v & 0xFFFFFFFF))
    return 0


@syscall('getresuid', 'ppp')
def sys_getresuid(p, a, b, c):
    return _put_ids(p, a, b, c, os.getresuid())


@syscall('getresgid', 'ppp')
def sys_getresgid(p, a, b, c):
    return _put_ids(p, a, b, c, os.getresgid())


def _same_ids(cur, *want):
    return 0 if all(_s32(w) in (-1, c) for w, c in zip(want, cur)) else -errno.EPERM


syscall('setuid', 'd')(lambda p, u: _same_ids((os.getuid(),), u))
syscall('setgid', 'd')(lambda p, g: _same_ids((os.getgid(),), g))
syscall('setreuid', 'dd')(lambda p, r, e: _same_ids((os.getuid(), os.geteuid()), r, e))
syscall('setregid', 'dd')(lambda p, r, e: _same_ids((os.getgid(), os.getegid()), r, e))
syscall('setresuid', 'ddd')(lambda p, r, e, s: _same_ids(os.getresuid(), r, e, s))
syscall('setresgid', 'ddd')(lambda p, r, e, s: _same_ids(os.getresgid(), r, e, s))
syscall('setfsuid', 'd')(lambda p, u: os.geteuid())
syscall('setfsgid', 'd')(lambda p, g: os.getegid())


@syscall('getgroups', 'dp')
def sys_getgroups(p, size, lst):
    size = _s32(size)
    g = os.getgroups()
    if size < 0:
        return -errno.EINVAL
    if size == 0:
        return len(g)
    if size < len(g):
        return -errno.EINVAL
    p.mem.write(lst, struct.pack(f'<{len(g)}I', *g))
    return len(g)


@syscall('setgroups', 'dp')
def sys_setgroups(p, size, lst):
    return -errno.EPERM


@syscall('getpgid', 'd')
def sys_getpgid(p, pid):
    return os.getpgid(_s32(pid) if _s32(pid) != p.pid else 0)


@syscall('setpgid', 'dd')
def sys_setpgid(p, pid, pgid):
    pid, pgid = _s32(pid), _s32(pgid)
    if pid in (0, p.pid) and pgid in (0, p.pid) and os.getpgid(0) == p.pid:
        return 0
    os.setpgid(0 if pid == p.pid else pid, pgid)
    return 0


@syscall('getsid', 'd')
def sys_getsid(p, pid):
    return os.getsid(0 if _s32(pid) in (0, p.pid) else _s32(pid))


@syscall('setsid', '')
def sys_setsid(p):
    return os.setsid()


@syscall('personality', 'x')
def sys_personality(p, persona):
    old = p.personality
    if persona & 0xFFFFFFFF != 0xFFFFFFFF:
        p.personality = persona & 0xFFFFFFFF
    return old


@syscall('prctl', 'dxxxx')
def sys_prctl(p, option, a2, a3, a4, a5):
    option = _s32(option)
    if option == 15:         # PR_SET_NAME
        p.comm = p.mem.read_cstr(a2, 16)[:15]
        return 0
    if option == 16:         # PR_GET_NAME
        p.mem.write(a2, p.comm[:15].ljust(16, b'\0'))
        return 0
    if option == 3:          # PR_GET_DUMPABLE
        return 1
    if option == 4:          # PR_SET_DUMPABLE
        return 0
    if option in (38, 39):   # PR_SET/GET_NO_NEW_PRIVS
        return 0
    if option == pac_keys.PR_PAC_RESET_KEYS:
        return pac_keys.prctl_reset_keys(p.machine, a2, a3, a4, a5)
    if option == pac_keys.PR_PAC_SET_ENABLED_KEYS:
        return pac_keys.prctl_set_enabled_keys(p.machine, a2, a3, a4, a5)
    if option == pac_keys.PR_PAC_GET_ENABLED_KEYS:
        return pac_keys.prctl_get_enabled_keys(p.machine, a2, a3, a4, a5)
    if option in (mte.PR_SET_TAGGED_ADDR_CTRL, mte.PR_GET_TAGGED_ADDR_CTRL):
        return mte.prctl(p, option, a2, a3, a4, a5)
    p.log_unimp(f'prctl option {option}')
    return -errno.EINVAL


@syscall('getpriority', 'dd')
def sys_getpriority(p, which, who):
    return 20 - os.getpriority(_s32(which), _s32(who) if _s32(who) != p.pid else 0)


@syscall('setpriority', 'ddd')
def sys_setpriority(p, which, who, prio):
    return 0


@syscall('capget', 'pp')
def sys_capget(p, hdr, data):
    if data:
        p.mem.write(data, bytes(24))
    return 0


# ----- uname, sysinfo, times, resources -----
@syscall('uname', 'p')
def sys_uname(p, buf):
    u = os.uname()
    fields = [b'Linux', u.nodename.encode(), u.release.encode(), u.version.encode(),
              b'aarch64', b'(none)']
    p.mem.write(buf, b''.join(f[:64].ljust(65, b'\0') for f in fields))
    return 0


@syscall('sethostname', 'pu')
def sys_sethostname(p, name, length):
    return -errno.EPERM


@syscall('sysinfo', 'p')
def sys_sysinfo(p, info):
    with open('/proc/uptime') as f:
        uptime = int(float(f.read().split()[0]))
    loads = [int(x * 65536) for x in os.getloadavg()]
    page = os.sysconf('SC_PAGE_SIZE')
    total = os.sysconf('SC_PHYS_PAGES') * page
    free = os.sysconf('SC_AVPHYS_PAGES') * page
    limit = p.mem.limit
    total = min(total, limit)
    free = min(free, p.mem.pages_free() * 4096)
    b = struct.pack('<q3QQQQQQQHH4xQQI4x', uptime, *loads, total, free, 0, 0, 0, 0,
                    min(len(os.listdir('/proc')), 65535), 0, 0, 0, 1)
    assert len(b) == 112
    p.mem.write(info, b)
    return 0


@syscall('times', 'p')
def sys_times(p, buf):
    t = os.times()
    if buf:
        p.mem.write(buf, struct.pack('<qqqq', int(t.user * 100), int(t.system * 100),
                                     int(t.children_user * 100), int(t.children_system * 100)))
    return int(t.elapsed * 100) & M64


def _pack_rusage(ru):
    def tv(sec):
        us = int(round(sec * 1e6))
        return struct.pack('<qq', us // 1_000_000, us % 1_000_000)
    rest = [ru.ru_maxrss, ru.ru_ixrss, ru.ru_idrss, ru.ru_isrss, ru.ru_minflt, ru.ru_majflt,
            ru.ru_nswap, ru.ru_inblock, ru.ru_oublock, ru.ru_msgsnd, ru.ru_msgrcv,
            ru.ru_nsignals, ru.ru_nvcsw, ru.ru_nivcsw]
    return tv(ru.ru_utime) + tv(ru.ru_stime) + struct.pack('<14q', *rest)


@syscall('getrusage', 'dp')
def sys_getrusage(p, who, ru):
    who = _s32(who)
    if who == 0:                    # RUSAGE_SELF
        r = resource.getrusage(resource.RUSAGE_SELF)
    elif who == 1:                  # RUSAGE_THREAD
        r = cputime.thread_rusage(p)
    elif who == -1:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
    else:
        return -errno.EINVAL
    p.mem.write(ru, _pack_rusage(r))
    return 0


def _rlimit(p, res):
    if res in p.rlimits:
        return p.rlimits[res]
    try:
        cur, mx = resource.getrlimit(res)
    except (ValueError, OSError):
        raise Errno(errno.EINVAL)
    return (cur if cur >= 0 else abi.RLIM_INFINITY), (mx if mx >= 0 else abi.RLIM_INFINITY)


@syscall('prlimit64', 'ddpp')
def sys_prlimit64(p, pid, res, new, old):
    pid, res = _s32(pid), _s32(res)
    if pid not in (0, p.pid):
        return -errno.ESRCH
    if res < 0 or res >= len(abi.RLIMIT_NAMES):
        return -errno.EINVAL
    cur = _rlimit(p, res)
    nv = None
    if new:
        nv = struct.unpack('<QQ', p.mem.read(new, 16))
        if nv[0] > nv[1]:
            return -errno.EINVAL
    if old:
        p.mem.write(old, struct.pack('<QQ', *cur))
    if nv is not None:
        if nv[1] > cur[1] and os.geteuid() != 0:
            return -errno.EPERM
        p.rlimits[res] = nv
    return 0


@syscall('getrlimit', 'dp')
def sys_getrlimit(p, res, rl):
    return sys_prlimit64(p, 0, res, 0, rl)


@syscall('setrlimit', 'dp')
def sys_setrlimit(p, res, rl):
    return sys_prlimit64(p, 0, res, rl, 0)


# ----- scheduling -----
@syscall('sched_getaffinity', 'dup')
def sys_sched_getaffinity(p, pid, size, mask):
    if _s32(pid) != 0 and p.threads.by_tid(_s32(pid)) is None:
        return -errno.ESRCH
    cpus = os.sched_getaffinity(0)
    nbytes = max(8, ((max(cpus) + 64) // 64) * 8)
    if size < nbytes:
        if size < (max(cpus) + 8) // 8 or size & 7:
            return -errno.EINVAL
        nbytes = size
    v = 0
    for c in cpus:
        v |= 1 << c
    p.mem.write(mask, v.to_bytes(nbytes, 'little'))
    return nbytes


@syscall('sched_setaffinity', 'dup')
def sys_sched_setaffinity(p, pid, size, mask):
    # the vCPUs share the one host thread, so the mask changes nothing, but Linux's checks
    # stand: a thread of ours, and at least one CPU we have
    if _s32(pid) != 0 and p.threads.by_tid(_s32(pid)) is None:
        return -errno.ESRCH
    want = int.from_bytes(p.mem.read(mask, min(size, 1024)), 'little')
    if not any(want >> c & 1 for c in os.sched_getaffinity(0)):
        return -errno.EINVAL
    return 0


syscall('sched_getscheduler', 'd')(lambda p, pid: 0)
syscall('sched_get_priority_max', 'd')(lambda p, pol: 99 if _s32(pol) in (1, 2) else 0)
syscall('sched_get_priority_min', 'd')(lambda p, pol: 1 if _s32(pol) in (1, 2) else 0)


@syscall('sched_getparam', 'dp')
def sys_sched_getparam(p, pid, param):
    p.mem.write(param, bytes(4))
    return 0


@syscall('getcpu', 'ppp')
def sys_getcpu(p, cpu, node, cache):
    if cpu:
        p.mem.write(cpu, bytes(4))
    if node:
        p.mem.write(node, bytes(4))
    return 0


# ----- time -----
_CLOCKS = {abi.CLOCK_REALTIME, abi.CLOCK_MONOTONIC, abi.CLOCK_PROCESS_CPUTIME_ID,
           abi.CLOCK_THREAD_CPUTIME_ID, abi.CLOCK_MONOTONIC_RAW, abi.CLOCK_REALTIME_COARSE,
           abi.CLOCK_MONOTONIC_COARSE, abi.CLOCK_BOOTTIME, 8, 9, 11}


def _clock(clk):
    clk = _s32(clk)
    if clk not in _CLOCKS:
        raise Errno(errno.EINVAL)
    return clk


@syscall('clock_gettime', 'dp')
def sys_clock_gettime(p, clk, tp):
    ns = cputime.clock_ns(p, clk)      # the guest's CPU-time clocks are its own
    if ns is None:
        ns = time.clock_gettime_ns(_clock(clk))
    p.mem.write(tp, abi.pack_timespec(ns))
    return 0


@syscall('clock_getres', 'dp')
def sys_clock_getres(p, clk, tp):
    ns = cputime.clock_res_ns(p, clk)
    if ns is None:
        ns = int(round(time.clock_getres(_clock(clk)) * 1e9))
    if tp:
        p.mem.write(tp, abi.pack_timespec(ns))
    return 0


@syscall('gettimeofday', 'pp')
def sys_gettimeofday(p, tv, tz):
    if tv:
        p.mem.write(tv, abi.pack_timeval(time.time_ns()))
    if tz:
        p.mem.write(tz, bytes(8))
    return 0


# ----- randomness -----
@syscall('getrandom', 'pux')
def sys_getrandom(p, buf, length, flags):
    if flags & ~7:
        return -errno.EINVAL
    length = min(length, 1 << 25)
    if length:
        p.mem.write(buf, os.urandom(length))
    return length
