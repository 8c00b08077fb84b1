"""AArch64 Linux user ABI: constants, flag translation and struct layouts.

Facts come from the arm64 uapi headers (asm-generic unistd/stat/signal, arch/arm64 fcntl.h,
sigcontext.h, hwcap.h) and were checked with offsetof() probes built by aarch64-linux-gnu-gcc.
Errno values are the asm-generic ones, which the host (x86-64 or arm64 Linux) shares, so host
OSError.errno values pass through unchanged.
"""
import os
import stat as _stat
import struct
import time

# ----- what the CPU advertises (AT_HWCAP / AT_HWCAP2) -----
# The default CPU model's, derived from the ID registers the guest can read (nbemu.gen.features,
# the one table that says what is implemented); a process gets its own model's.
from nbemu.gen.features import model as _model  # noqa: E402

HWCAP, HWCAP2 = _model().hwcaps()

PAGE_SIZE = 4096

# ----- auxv -----
AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE = 0, 1, 2, 3, 4, 5, 6, 7
AT_FLAGS, AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID = 8, 9, 10, 11, 12, 13, 14
AT_PLATFORM, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2 = \
    15, 16, 17, 23, 24, 25, 26
AT_EXECFN, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ = 31, 33, 51
AUXV_NAMES = {v: k for k, v in globals().items() if k.startswith('AT_') and isinstance(v, int)}

# ----- open(2) flags: arm64 differs from x86-64 in O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE -----
O_ACCMODE = 0o3
G_O_CREAT = 0o100
G_O_EXCL = 0o200
G_O_NOCTTY = 0o400
G_O_TRUNC = 0o1000
G_O_APPEND = 0o2000
G_O_NONBLOCK = 0o4000
G_O_DSYNC = 0o10000
G_FASYNC = 0o20000
G_O_DIRECTORY = 0o40000
G_O_NOFOLLOW = 0o100000
G_O_DIRECT = 0o200000
G_O_LARGEFILE = 0o400000
G_O_NOATIME = 0o1000000
G_O_CLOEXEC = 0o2000000
G_O_SYNC = 0o4000000 | G_O_DSYNC
G_O_PATH = 0o10000000
G_O_TMPFILE = 0o20000000 | G_O_DIRECTORY

# (guest bit, host bit, name); O_SYNC's __O_SYNC part is handled as its own bit
_OPEN_FLAGS = [
    (G_O_CREAT, os.O_CREAT, 'O_CREAT'),
    (G_O_EXCL, os.O_EXCL, 'O_EXCL'),
    (G_O_NOCTTY, os.O_NOCTTY, 'O_NOCTTY'),
    (G_O_TRUNC, os.O_TRUNC, 'O_TRUNC'),
    (G_O_APPEND, os.O_APPEND, 'O_APPEND'),
    (G_O_NONBLOCK, os.O_NONBLOCK, 'O_NONBLOCK'),
    (G_O_DSYNC, os.O_DSYNC, 'O_DSYNC'),
    (G_FASYNC, getattr(os, 'O_ASYNC', 0o20000), 'FASYNC'),
    (G_O_DIRECTORY, os.O_DIRECTORY, 'O_DIRECTORY'),
    (G_O_NOFOLLOW, os.O_NOFOLLOW, 'O_NOFOLLOW'),
    (G_O_DIRECT, getattr(os, 'O_DIRECT', 0), 'O_DIRECT'),
    # 64-bit kernels force O_LARGEFILE and report it in F_GETFL (x86-64 spells it 0o100000)
    (G_O_LARGEFILE, 0o100000 if os.uname().machine == 'x86_64' else G_O_LARGEFILE,
     'O_LARGEFILE'),
    (G_O_NOATIME, getattr(os, 'O_NOATIME', 0), 'O_NOATIME'),
    (G_O_CLOEXEC, os.O_CLOEXEC, 'O_CLOEXEC'),
    (0o4000000, os.O_SYNC & ~os.O_DSYNC, '__O_SYNC'),
    (G_O_PATH, getattr(os, 'O_PATH', 0), 'O_PATH'),
    (0o20000000, getattr(os, 'O_TMPFILE', 0) & ~os.O_DIRECTORY, '__O_TMPFILE'),
]


def open_flags_to_host(g):
    h = g & O_ACCMODE
    for gb, hb, _ in _OPEN_FLAGS:
        if g & gb:
            h |= hb
    return h


def open_flags_to_guest(h):
    g = h & O_ACCMODE
    for gb, hb, _ in _OPEN_FLAGS:
        if hb and h & hb == hb:
            g |= gb
    return g


def open_flags_str(g):
    parts = [('O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE')[g & 3]]
    rest = g & ~3
    for gb, _, name in _OPEN_FLAGS:
        if rest & gb == gb and gb:
            parts.append(name)
            rest &= ~gb
    if rest:
        parts.append(f'{rest:#o}')
    return '|'.join(parts)


AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_EACCESS = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_NO_AUTOMOUNT = 0x800
AT_EMPTY_PATH = 0x1000

# fcntl
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW = 0, 1, 2, 3, 4, 5, 6, 7
F_SETOWN, F_GETOWN = 8, 9
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_SETLEASE, F_GETLEASE = 1024, 1025
F_DUPFD_CLOEXEC = 1030
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
FD_CLOEXEC = 1

# mmap / mprotect / mremap / madvise
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
PROT_SEM, PROT_BTI, PROT_MTE = 0x8, 0x10, 0x20
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 1, 2, 3
MAP_TYPE = 0xf
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x100
MAP_DENYWRITE = 0x800
MAP_EXECUTABLE = 0x1000
MAP_LOCKED = 0x2000
MAP_NORESERVE = 0x4000
MAP_POPULATE = 0x8000
MAP_NONBLOCK = 0x10000
MAP_STACK = 0x20000
MAP_HUGETLB = 0x40000
MAP_SYNC = 0x80000
MAP_FIXED_NOREPLACE = 0x100000
MAP_FLAG_NAMES = [(MAP_FIXED, 'MAP_FIXED'), (MAP_ANONYMOUS, 'MAP_ANONYMOUS'),
                  (MAP_GROWSDOWN, 'MAP_GROWSDOWN'), (MAP_DENYWRITE, 'MAP_DENYWRITE'),
                  (MAP_EXECUTABLE, 'MAP_EXECUTABLE'), (MAP_LOCKED, 'MAP_LOCKED'),
                  (MAP_NORESERVE, 'MAP_NORESERVE'), (MAP_POPULATE, 'MAP_POPULATE'),
                  (MAP_NONBLOCK, 'MAP_NONBLOCK'), (MAP_STACK, 'MAP_STACK'),
                  (MAP_HUGETLB, 'MAP_HUGETLB'), (MAP_SYNC, 'MAP_SYNC'),
                  (MAP_FIXED_NOREPLACE, 'MAP_FIXED_NOREPLACE')]
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED = 0, 1, 2, 3, 4
MADV_FREE, MADV_REMOVE = 8, 9


def prot_str(p):
    if not p:
        return 'PROT_NONE'
    names = [n for b, n in ((1, 'PROT_READ'), (2, 'PROT_WRITE'), (4, 'PROT_EXEC')) if p & b]
    if p & ~7:
        names.append(f'{p & ~7:#x}')
    return '|'.join(names)


def map_flags_str(f):
    names = [{1: 'MAP_SHARED', 2: 'MAP_PRIVATE', 3: 'MAP_SHARED_VALIDATE'}.get(f & MAP_TYPE,
                                                                              f'{f & MAP_TYPE:#x}')]
    rest = f & ~MAP_TYPE
    for b, n in MAP_FLAG_NAMES:
        if rest & b:
            names.append(n)
            rest &= ~b
    if rest:
        names.append(f'{rest:#x}')
    return '|'.join(names)


# ioctl
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TIOCGPGRP, TIOCSPGRP = 0x540F, 0x5410
TIOCGWINSZ, TIOCSWINSZ = 0x5413, 0x5414
FIONREAD, FIONBIO, FIOCLEX, FIONCLEX = 0x541B, 0x5421, 0x5451, 0x5450
KERNEL_TERMIOS_SIZE = 36        # struct termios as the kernel sees it (NCCS = 19)

# clocks
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
TIMER_ABSTIME = 1

# resources (asm-generic/resource.h)
RLIMIT_NAMES = ['RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE',
                'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS',
                'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE',
                'RLIMIT_RTPRIO', 'RLIMIT_RTTIME']
RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA = 3, 7, 9, 2
RLIM_INFINITY = 2**64 - 1

# ----- structs -----
_STAT = struct.Struct('<QQIIIIQQqiiqqQqQqQII')
STAT_SIZE = _STAT.size
assert STAT_SIZE == 128


def _ts(t_ns):
    return t_ns // 1_000_000_000, t_ns % 1_000_000_000


def pack_stat(st):
    """struct stat (asm-generic layout, 128 bytes) from an os.stat_result."""
    a, an = _ts(st.st_atime_ns)
    m, mn = _ts(st.st_mtime_ns)
    c, cn = _ts(st.st_ctime_ns)
    return _STAT.pack(st.st_dev & (2**64 - 1), st.st_ino, st.st_mode, st.st_nlink & 0xFFFFFFFF,
                      st.st_uid, st.st_gid, st.st_rdev, 0, st.st_size, st.st_blksize, 0,
                      st.st_blocks, a, an, m, mn, c, cn, 0, 0)


STATX_SIZE = 256
STATX_BASIC_STATS = 0x7ff
STATX_BTIME = 0x800


def pack_statx(st, mask):
    """struct statx (256 bytes) from an os.stat_result (used when the host has no statx)."""
    def ts(ns):
        s, n = _ts(ns)
        return struct.pack('<qIi', s, n, 0)
    dev, rdev = st.st_dev, st.st_rdev
    head = struct.pack('<IIQIIIHHQQQQ', STATX_BASIC_STATS, st.st_blksize, 0, st.st_nlink,
                       st.st_uid, st.st_gid, st.st_mode, 0, st.st_ino, st.st_size, st.st_blocks, 0)
    times = ts(st.st_atime_ns) + ts(0) + ts(st.st_ctime_ns) + ts(st.st_mtime_ns)
    devs = struct.pack('<IIII', os.major(rdev), os.minor(rdev), os.major(dev), os.minor(dev))
    out = head + times + devs
    return out + bytes(STATX_SIZE - len(out))


def pack_timespec(ns):
    return struct.pack('<qq', ns // 1_000_000_000, ns % 1_000_000_000)


def pack_timeval(ns):
    return struct.pack('<qq', ns // 1_000_000_000, (ns % 1_000_000_000) // 1000)


def unpack_timespec(b):
    s, n = struct.unpack('<qq', b)
    return s, n


def dirent_type(mode):
    if _stat.S_ISDIR(mode):
        return 4
    if _stat.S_ISREG(mode):
        return 8
    if _stat.S_ISLNK(mode):
        return 10
    if _stat.S_ISCHR(mode):
        return 2
    if _stat.S_ISBLK(mode):
        return 6
    if _stat.S_ISFIFO(mode):
        return 1
    if _stat.S_ISSOCK(mode):
        return 12
    return 0


# ----- signals -----
NSIG = 64
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL = 1, 2, 3, 4, 5, 6, 7, 8, 9
SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD = 10, 11, 12, 13, 14, 15, 16, 17
SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ = 18, 19, 20, 21, 22, 23, 24, 25
SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS = 26, 27, 28, 29, 30, 31
SIGNAL_NAMES = dict(enumerate(
    'SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 '
    'SIGPIPE SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG '
    'SIGXCPU SIGXFSZ SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS'.split(), 1))
SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 1, 2, 4
SA_RESTORER = 0x04000000
SA_EXPOSE_TAGBITS = 0x00000800
SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = 0x08000000, 0x10000000, 0x40000000, 0x80000000
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SS_ONSTACK, SS_DISABLE = 1, 2
SS_AUTODISARM = 1 << 31
MINSIGSTKSZ = 5120
SIGSET_SIZE = 8

# si_code values
SI_USER, SI_KERNEL, SI_TKILL = 0, 0x80, -6
SEGV_MAPERR, SEGV_ACCERR = 1, 2
ILL_ILLOPC = 1
TRAP_BRKPT = 1
BUS_ADRALN = 1

# rt_sigframe layout (arch/arm64/kernel/signal.c, uapi sigcontext.h / ucontext.h)
SIGINFO_SIZE = 128
UC_OFF = SIGINFO_SIZE                 # struct ucontext follows the siginfo
UC_STACK = 16                         # stack_t uc_stack
UC_SIGMASK = 40
UC_MCONTEXT = 176                     # struct sigcontext (16-byte aligned)
SC_FAULT_ADDRESS = 0
SC_REGS = 8
SC_SP = 256
SC_PC = 264
SC_PSTATE = 272
SC_RESERVED = 288
SC_RESERVED_SIZE = 4096
UCONTEXT_SIZE = 4560
RT_SIGFRAME_SIZE = SIGINFO_SIZE + UCONTEXT_SIZE        # 4688, a multiple of 16
FPSIMD_MAGIC = 0x46508001
FPSIMD_CONTEXT_SIZE = 528
ESR_MAGIC = 0x45535201
ESR_CONTEXT_SIZE = 16
FRAME_RECORD_SIZE = 16
# what the kernel reports in AT_MINSIGSTKSZ (frame + frame record + alignment slack)
SIGFRAME_MIN_STACK = RT_SIGFRAME_SIZE + FRAME_RECORD_SIZE + 16

# signals whose default action is to terminate with a core dump / to be ignored
CORE_SIGNALS = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ,
                SIGSYS}
IGNORE_SIGNALS = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT}
STOP_SIGNALS = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}


BAD_TIMEOUT = object()


def relative_deadline(mem, tmo):
    """The time.monotonic() deadline of a relative struct timespec timeout at guest tmo: None
    for no timeout (tmo 0), BAD_TIMEOUT for a negative or unnormalised one (EINVAL)."""
    if not tmo:
        return None
    sec, ns = unpack_timespec(mem.read(tmo, 16))
    if sec < 0 or not 0 <= ns < 1_000_000_000:
        return BAD_TIMEOUT
    return time.monotonic() + sec + ns / 1e9
