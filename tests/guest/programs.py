"""Guest-program corpus for nbemu, as plain data (no test logic).

Each entry describes one invocation of a binary in ``tests/guest/bin``:

name          unique id of this invocation (several may share a binary)
binary        file name under tests/guest/bin/
args          argv[1:]; the string "{tmpdir}" is to be replaced by a fresh,
              empty temporary directory created by the test
stdin         bytes fed to stdin, or None (stdin: /dev/null or closed)
env           extra environment variables for the guest
small         True if cheap enough (< ~300k guest instructions) to trace
              instruction by instruction (the instruction-count tests)
hot           True if the program runs loops long enough that --jit=auto must
              compile some of its TBs (millions of instructions in loops)
jit_all       True to run it under --jit=all as well, which compiles every TB it executes
              (about 0.3 s of numba per TB): kept to programs whose compiled code takes paths
              the others do not (SIGSEGV and SIGILL raised mid-TB, longjmp, LSE atomics);
              tests/test_smc.py runs self-modifying code compiled
exit_status   expected status in shell convention (128+N for signal N)
signal        expected terminating signal number, or None.  Under Python's
              subprocess a signal death is returncode == -signal
              (qemu-aarch64 re-raises the signal on itself).
cpu           -cpu model for both qemu-aarch64 and nbemu (None: their default, max)
stderr        expected stderr text of the reference (qemu-aarch64); for the
              signal programs this is what qemu-user prints; nbemu may word
              it differently.

Expected stdout is not stored here: it is whatever qemu-aarch64 prints for
the same invocation (every program's output is deterministic).
"""

BIN_DIR = "bin"          # relative to this file's directory
TMPDIR_PLACEHOLDER = "{tmpdir}"

QEMU_SIGILL_STDERR = "qemu: uncaught target signal 4 (Illegal instruction) - core dumped\n"
QEMU_SIGSEGV_STDERR = "qemu: uncaught target signal 11 (Segmentation fault) - core dumped\n"

STDIN_TEXT = (b"hello world\n"
              b"The Quick Brown Fox\n"
              b"\n"
              b"mixed Case 123 !?\n"
              b"tabs\tand spaces  \n"
              b"last line without newline")


def _p(name, binary=None, args=(), stdin=None, env=None, small=False, hot=False, jit_all=False,
       exit_status=0, signal=None, stderr="", cpu=None):
    return {
        "cpu": cpu,
        "name": name,
        "binary": binary or name,
        "args": list(args),
        "stdin": stdin,
        "env": dict(env or {}),
        "small": small,
        "hot": hot,
        "jit_all": jit_all,
        "exit_status": exit_status,
        "signal": signal,
        "stderr": stderr,
    }


PROGRAMS = [
    _p("hello", small=True),
    _p("argv_env", args=["alpha", "two words", "", "x=y", "--flag"],
       env={"NBEMU_TEST": "hello", "NBEMU_OTHER": "a=b c", "NOT_NBEMU": "hidden"},
       small=True, exit_status=6),
    _p("argv_env_noargs", binary="argv_env", small=True, exit_status=1),
    _p("fileio", args=[TMPDIR_PLACEHOLDER], small=True),
    _p("malloc_stress", hot=True),
    _p("qsort", hot=True),
    _p("strings", hot=True),
    _p("intarith", hot=True, exit_status=114),
    _p("sprintf", small=True),
    _p("setjmp", jit_all=True, small=True),
    _p("recursion", hot=True, exit_status=47),
    _p("opt_O0", hot=True),
    _p("opt_O3", small=True),
    _p("pie", small=True),
    _p("stdin_echo", stdin=STDIN_TEXT, small=True, exit_status=5),
    _p("stdin_echo_empty", binary="stdin_echo", stdin=b"", small=True),
    _p("exit_code", small=True, exit_status=42,
       stderr="exit_code: this goes to stderr\n"),
    _p("illegal", jit_all=True, small=True, exit_status=128 + 4, signal=4,
       stderr=QEMU_SIGILL_STDERR),
    _p("segv", jit_all=True, small=True, exit_status=128 + 11, signal=11,
       stderr=QEMU_SIGSEGV_STDERR),
    # self-modifying / run-time generated code: patched RWX pages, mprotect W^X cycles,
    # munmap+mmap and mremap over code, page-crossing STR/STP into code, memcpy and read(2)
    # into code (tests/test_smc.py)
    _p("smc", small=True),
    # C11 atomics: LSE instructions inline (-march=armv8.1-a), and libgcc's outline helpers,
    # which take LSE when AT_HWCAP has HWCAP_ATOMICS (qemu's and nbemu's default CPUs do)
    _p("atomics_lse", jit_all=True, small=True),
    _p("atomics_outline", small=True),
    # the Cryptographic extension through arm_neon.h (-march=armv8-a+crypto): AES-128, SHA-1,
    # SHA-256 against the FIPS test vectors, PMULL .1Q against a scalar carry-less multiply;
    # a 6000-block AES loop that --jit=auto compiles
    _p("crypto", hot=True),
    # FEAT_PAuth (-march=armv8.5-a -mbranch-protection=standard: PACIASP/AUTIASP in every
    # non-leaf function): PAC layout, round trips, error codes, PACGA, LDRAA, keys kept by fork
    # and reset by prctl(PR_PAC_RESET_KEYS); then failed authentications: BRAAZ through a
    # corrupted pointer, a RET after AUTIASP of a corrupted return address, LDRAA through an
    # unsigned pointer (SIGSEGV in qemu-aarch64 7.2 -cpu max, which has no FEAT_FPAC)
    # not small: the instruction-count tests also run small programs under cortex-a53 (no PAuth)
    _p("pauth"),
    _p("pauth_fail_branch", binary="pauth", args=["branch"], jit_all=True,
       exit_status=128 + 11, signal=11, stderr=QEMU_SIGSEGV_STDERR),
    _p("pauth_fail_ret", binary="pauth", args=["ret"],
       exit_status=128 + 11, signal=11, stderr=QEMU_SIGSEGV_STDERR),
    _p("pauth_fail_load", binary="pauth", args=["load"],
       exit_status=128 + 11, signal=11, stderr=QEMU_SIGSEGV_STDERR),
    # FEAT_BTI: indirect branches into the guarded text of a program with the BTI property note
    # and into a page mmap'd with PROT_BTI, landing on every kind of pad or none (SIGILL,
    # SIGTRAP for BRK); killed by SIGILL without a handler; the same under a CPU without BTI
    _p("bti", jit_all=True),
    _p("bti_nohandler", binary="bti", args=["nohandler"], jit_all=True,
       exit_status=128 + 4, signal=4, stderr=QEMU_SIGILL_STDERR),
    _p("bti_cortex_a72", binary="bti", args=["nopauth"], cpu="cortex-a72"),
    # FEAT_MTE: a tagged heap buffer (IRG, STG, LDG, SUBP, GMI, ADDG) overflowed by a store or
    # a load under sync tag checks (SEGV_MTESERR at the byte), by a store under async ones
    # (SEGV_MTEAERR at the next syscall), and unnoticed with tag checks off
    _p("mte_overflow", args=["sync"], cpu="max", jit_all=True),
    _p("mte_overflow_load", binary="mte_overflow", args=["load"], cpu="max"),
    _p("mte_overflow_async", binary="mte_overflow", args=["async"], cpu="max"),
    _p("mte_overflow_none", binary="mte_overflow", args=["none"], cpu="max"),
    _p("mte_overflow_tco", binary="mte_overflow", args=["tco"], cpu="max", jit_all=True),
    # FEAT_I8MM and FEAT_BF16 through arm_neon.h (-march=armv8.6-a+bf16+i8mm): SMMLA..SUDOT,
    # BFCVT(N), BFDOT, BFMMLA, BFMLALB/T on random and special inputs under each FPCR mode,
    # results and FPSR in hex
    _p("bf16", cpu="max"),
    # FEAT_FHM through inline asm: FMLAL, FMLSL, FMLAL2, FMLSL2, vector and by element, on
    # random and special halves and singles under each FPCR mode (FZ, FZ16, DN), results and
    # FPSR in hex
    _p("fhm", cpu="max"),
    # PSTATE.DIT and PSTATE.SSBS (FEAT_DIT, FEAT_SSBS2): MSR (immediate) and register round
    # trips, the signal frame's pstate, sigreturn's restore; n1 has SSBS only, a72 neither
    _p("pstate_bits", cpu="max", jit_all=True),
    _p("pstate_bits_n1", binary="pstate_bits", cpu="neoverse-n1"),
    _p("pstate_bits_a72", binary="pstate_bits", cpu="cortex-a72"),
    # processes: fork/vfork/wait4/waitid, a pipe between parent and child, SIGCHLD
    _p("fork_pipe"),
    # execve's errors (ENOENT, EACCES, ENOEXEC, ENOTDIR); the successful execs need an execve
    # qemu-aarch64 can only do through binfmt_misc: tests/test_linux_syscalls.py runs them
    _p("execve", args=[TMPDIR_PLACEHOLDER]),
    # SIGALRM from setitimer, alarm and timer_create to a handler; EINTR and SA_RESTART of
    # pause, nanosleep, read, poll; poll and select on a pipe; then a default SIGALRM kills it
    _p("alarm", exit_status=128 + 14, signal=14),
    # two handled SIGSEGVs (siglongjmp out) and a self-sent SIGUSR1: plugin discontinuities
    _p("discon"),
    # Arm semihosting (HLT #0xF000): console output on stderr, files, errno, exit status 3
    _p("semihost", args=[TMPDIR_PLACEHOLDER], exit_status=3, stderr="console: WRITE0\n!\n"),
    # eventfd2 (counter, semaphore, EAGAIN, EINVAL) and epoll on eventfds and pipes: errnos,
    # level/edge triggering, EPOLLONESHOT, the data word, EINTR from SIGALRM, SA_RESTART read
    _p("eventfd"),
    # sockets: an epoll echo server over an AF_UNIX socketpair (forked) and 127.0.0.1 TCP
    # (non-blocking, one process), AF_INET6 UDP; SCM_RIGHTS in one process and to a forked
    # child over a relatively named socket, SCM_CREDENTIALS; options, errnos, EPIPE/SIGPIPE,
    # SO_RCVTIMEO, EINTR and SA_RESTART of blocking accept and recv
    _p("epoll_echo"),
    _p("scm_rights", args=[TMPDIR_PLACEHOLDER]),
    _p("sockopt"),
    # signalfd4: blocked signals (kill, tgkill, a child's kill, SIGCHLD) read as
    # signalfd_siginfo, poll/epoll readiness, new masks, dup, errnos, EINTR
    _p("signalfd"),
    # timerfd: one-shot, periodic and absolute timers, settime's old value, gettime, epoll,
    # errnos, EINTR
    _p("timerfd"),
    # System V shm: attachments anywhere and at chosen addresses (SHM_RND, SHM_REMAP,
    # SHM_RDONLY) aliasing each other, shared with a forked child, IPC_STAT/IPC_SET/IPC_RMID,
    # /proc/self/maps, errnos
    _p("shm"),
    # MAP_SHARED anonymous and read-write file mappings shared with forked children, stores
    # reaching the file and write(2)s the mapping, aliasing, MADV_DONTNEED, /proc/self/maps
    _p("mmap_shared", args=[TMPDIR_PLACEHOLDER]),
    # threads (pthread_create: clone3 or clone with CLONE_THREAD, futexes); each prints only
    # what no interleaving changes (results after join), since qemu's order is the host's
    _p("thread_join"),                  # results returned through pthread_join
    _p("thread_mutex", hot=True),       # 8 threads: mutex counter, atomic counter
    _p("thread_condvar"),               # producers/consumers on condition variables
    _p("thread_barrier"),               # pthread_barrier_wait phases
    _p("thread_tls"),                   # __thread and pthread_key_create destructors
    # 16 threads on raw futexes: WAIT/WAKE lock, CMP_REQUEUE, WAKE_OP, WAIT_BITSET timeouts
    _p("thread_futex"),
    # blocking read/poll/nanosleep in one thread while others run, tgkill to a thread in a
    # condition wait, fork with two threads (the child has one), sched_getaffinity
    _p("thread_block"),
    # Linux's syscall restart rules under a SIGALRM handler with and without SA_RESTART: read,
    # recv, accept, wait4, FUTEX_WAIT restarted (-ERESTARTSYS) or EINTR; futex with a timeout,
    # nanosleep, clock_nanosleep, poll, ppoll, select, epoll_wait always EINTR; the temporary
    # masks of sigsuspend, ppoll and pselect in the handler and restored after it
    _p("sig_restart"),
    # process-directed signals (kill) go to the main thread or the one thread not blocking
    # them, or stay pending for the process until a thread unblocks them; pthread_kill and
    # raise to one thread; sigpending per thread; sigsuspend and sigtimedwait with a timeout
    # while other threads run
    _p("sig_threads"),
    # a blocking write to a full pipe, FIFO or AF_UNIX stream socket ended by a SIGALRM handler:
    # restarted under SA_RESTART, EINTR without it, the partial count when some bytes went;
    # with one thread (a host wait) and with a second one blocked (the scheduler's wait)
    _p("write_intr", args=[TMPDIR_PLACEHOLDER]),
    # a blocking connect to a full AF_UNIX backlog or a full TCP accept queue ended by a
    # SIGALRM handler: restarted under SA_RESTART, EINTR without it; connect again on the TCP
    # socket still connecting waits for it, then EISCONN
    _p("connect_intr"),
    # per-thread CPU clocks: CLOCK_THREAD_CPUTIME_ID, pthread_getcpuclockid's ids and
    # RUSAGE_THREAD of a spinning and a sleeping thread, the process clock their sum, the
    # resolutions and EINVAL for ids naming nothing (inequalities only)
    _p("thread_cputime"),
]

# Informational: executed guest instructions, measured with
#   env -i PATH=/usr/bin:/bin <entry env> \
#     qemu-aarch64 -singlestep -d exec,nochain -D /tmp/log_<name> bin/<binary> <args>
#   grep -c ^Trace /tmp/log_<name>
# "max" = qemu's default CPU (advertises SVE/LSE, so glibc picks __memcpy_sve and
# LSE atomics); "a53" = -cpu cortex-a53 (plain ARMv8.0 HWCAPs).  Counts depend on
# the environment size: glibc's tunables parser costs ~380 instructions per
# environment variable (hello: 6.8k with env -i, 22k with a 35-variable shell env).
#
#   name                      max        a53   small
#   hello                    6803       6848   yes
#   argv_env                19734      20414   yes
#   argv_env_noargs         10564      10829   yes
#   fileio                  70975      73418   yes
#   malloc_stress         3900198    3989371
#   qsort                 8175284    8343230        (interpreter MIPS benchmark)
#   strings               6494039    6738023
#   intarith              1151691    1186610
#   sprintf                181378     184638   yes
#   setjmp                 108737     109859   yes
#   recursion             5467531    5469277        (100000-deep recursion, 32-byte frames: ~3.2 MB stack)
#   opt_O0                 900586     900890
#   opt_O3                 162338     162626   yes
#   pie                     28162      28792   yes
#   stdin_echo              20417      21079   yes
#   stdin_echo_empty         9653       9790   yes
#   exit_code                7088       7157   yes
#   illegal                  6206       6243   yes
#   segv                     6178       6210   yes
#   smc                    285535     285071   yes
#   atomics_lse             95870          -   yes     (a53: SIGILL at the first LSE instruction)
#   atomics_outline        112173      95119   yes
#   crypto                 477954     478541

# Programs whose stdout must be identical to each other.
SAME_OUTPUT = [("opt_O0", "opt_O3")]

BY_NAME = {p["name"]: p for p in PROGRAMS}
