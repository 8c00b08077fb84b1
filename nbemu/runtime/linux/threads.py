"""Guest threads: clone(CLONE_VM|CLONE_THREAD) and clone3 make a new vCPU, futex, thread exit,
and the deterministic scheduler that runs the vCPUs in turns on the one host thread.

Each thread has its own vCPU record (registers, TPIDR_EL0, exclusive monitor, instruction
count) and TLB (Machine.new_vcpu); memory, the TB cache and the tiers are shared. The Process
holds the running thread's per-thread state (regs, tid, clear_child_tid, robust_list, the
signal mask, saved mask and altstack): a switch saves it into the outgoing Thread and loads the
incoming one's, so the syscall handlers never need to know which thread they serve.

Scheduling (Threads.schedule, called by Emulator after every exit from the machine): the
running thread keeps the host until it blocks, exits, yields, or has run QUANTUM instructions,
a system call counting as SYSCALL_WEIGHT of them. The quantum is an instruction deadline in its
vCPU record (icount_limit: the turn's starting icount + QUANTUM while there are several
threads, never otherwise): the interpreter, compiled TBs and regions all test it at every TB
end and leave there with EXIT_BUDGET, so a turn ends at the first TB end (or syscall, or fault)
at or past it, however the code ran. Then the next runnable thread in creation order runs. If
no other may, the same one goes on in overtime: its deadline moves a quantum on, and its next
syscall or deadline exit looks again, so a thread it wakes gets the host at once. The machine's
dispatch budget only paces the look for host signals: an exit short of the deadline decides
nothing. No decision depends on time or the host, so the same input gives the same interleaving
in every --jit mode, with or without background compiles (which change which tier runs a TB,
not where TBs end).

A blocking call does not block the host: a futex wait or a sleep marks the thread blocked (a
Wait) and another one runs; when every thread is blocked, the host sleeps on the signal pipe
until the earliest deadline. A signal the thread would take (Signals.takes: its own, or a
process-directed one aimed at it or at no thread) ends its wait: a futex wait with -ERESTARTSYS
(restarted under SA_RESTART) or -ERESTART_RESTARTBLOCK when timed, settled by
Signals.deliver_pending.

The exclusive monitor needs nothing across vCPUs: STXR succeeds only if memory still holds
the value LDXR saw (as QEMU does it), and the monitor is per vCPU and survives a switch, so a
switch between LDXR and STXR never livelocks a loop, and a store by another vCPU in between
makes the STXR fail. vCPUs never run at once, so LSE atomics are atomic.

A later --threads=parallel mode would give each Thread a host thread running Machine.run on
its own state; what it would need is here already separated per thread (state, TLB, Wait).

A host call that would block (a read of an empty pipe, a write to a full one, poll,
nanosleep, wait4, connect: everything that waits in HostSignals.wait) raises WouldBlock while
there are other threads; the syscall dispatch puts the pc back on the svc and the thread waits
for its poller's fds, its deadline or a signal, then runs the svc again (the deadline of the
first try is kept; a write keeps the count it wrote in Thread.io_done). Nothing is
delivered before that svc ran again, so a signal that ended the wait interrupts the call by
its own rules, and a temporary signal mask (sigsuspend, ppoll) stays in force meanwhile.

Limits: futexes are keyed by guest address, so a FUTEX_WAIT on MAP_SHARED memory is not woken
by another (forked) process. When several threads wait on host fds at once, the idle host
looks at them every 10 ms.
"""
import errno
import struct
import time

from nbemu.core import cpu
from ..memory import GuestFault
from . import abi
from .signals import GuestExit

_X, _SP, _PC, _TPIDR = cpu.OFF_X // 8, cpu.OFF_SP // 8, cpu.OFF_PC // 8, cpu.OFF_TPIDR // 8
_LIMIT, _EXIT = cpu.OFF_ICOUNT_LIMIT // 8, cpu.OFF_EXIT // 8
M64 = 2**64 - 1
QUANTUM = 20000         # instructions a thread runs before the next one gets its turn
# A system call costs nbemu's host about as much as a thousand guest instructions, so it counts
# as that many towards the quantum: a thread that mostly makes system calls (an mmap/munmap
# loop) would otherwise keep the host for hundreds of them while the others wait.
SYSCALL_WEIGHT = 1000

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x100000, 0x200000
CLONE_DETACHED, CLONE_CHILD_SETTID = 0x400000, 0x1000000
THREAD_NEEDS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
THREAD_FLAGS = (THREAD_NEEDS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED)

FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
ROBUST_LIST_LIMIT = 2048    # as Linux's, against a circular list


class Wait:
    """Why a thread is blocked, until deadline (monotonic ns, or None): a futex (uaddr,
    bitset), or a host call that would block (retry: its svc runs again when it may go on).
    x0 becomes timeout_ret when the deadline passes and on_signal() when a signal ends the
    wait (None: x0 stays, for a retry)."""
    __slots__ = ('uaddr', 'bitset', 'deadline', 'timeout_ret', 'on_signal', 'retry',
                 'poller', 'on_pipe')

    def __init__(self, uaddr=None, bitset=0, deadline=None, timeout_ret=-errno.ETIMEDOUT,
                 on_signal=None, retry=False, poller=None, on_pipe=False):
        self.uaddr, self.bitset, self.deadline = uaddr, bitset, deadline
        self.timeout_ret = timeout_ret
        self.on_signal = on_signal or (lambda: -errno.EINTR)
        self.retry, self.poller, self.on_pipe = retry, poller, on_pipe


class WouldBlock(Exception):
    """Raised by HostSignals.wait in a thread that would block the host while other threads
    exist: the syscall is abandoned before it changed anything and its svc runs again when
    one of the poller's fds is ready, the deadline passes or a signal comes (on_pipe: any
    activity of the signal pipe, for waits that look again by themselves, as wait4)."""

    def __init__(self, wait):
        self.wait = wait


class Thread:
    def __init__(self, tid, state, tlb):
        self.tid = tid
        self.state, self.tlb = state, tlb
        self.regs = cpu.words(state)
        self.clear_child_tid = 0
        self.robust_list = 0
        self.sigmask = 0
        self.saved_mask = None
        self.altstack = (0, abi.SS_DISABLE, 0)
        self.pending = {}           # signals sent to this thread (tgkill) not yet delivered
        self.wait = None            # a Wait while blocked
        self.slice_start = 0        # its icount when it last got the host
        self.slice_syscalls = 0     # system calls it made since then
        self.retry = None           # (pc after the svc, deadline) of a syscall being retried
        self.io_done = 0            # bytes its write being retried has written already
        self.cpu_ns = 0             # host CPU time of its turns before the current one (cputime.py)
        # signal handling (signals.py): (-ERESTART* code, x0 at entry) of a syscall a signal
        # interrupted, until the delivery settles it; what restart_syscall runs
        self.restart = None
        self.restart_block = None

    @property
    def icount(self):
        return int(self.regs[cpu.OFF_ICOUNT // 8])


class Threads:
    def __init__(self, p):
        self.p = p
        m = p.machine
        main = Thread(p.tid, m.state, m.tlb)
        self.all = [main]           # live threads, in creation order (the schedule's order)
        self.current = main
        self.next_tid = p.tid + 1
        self.futex_waiters = []     # blocked threads with a futex Wait, in arrival order
        self.exited = []            # (index in creation order, tid, icount) of exited threads
        self.created = 1
        self.index = {main.tid: 0}
        self.idling = False         # _idle is in the host wait (no WouldBlock then)
        self.turn_cpu = time.thread_time_ns()   # the host thread's CPU time at the turn's start
        self.exited_cpu_ns = 0      # CPU time of the exited threads

    def instructions(self):
        """Instructions per thread, in creation order (exited and live threads)."""
        rows = list(self.exited) + [(self.index[t.tid], t.tid, t.icount) for t in self.all]
        return [n for _, _, n in sorted(rows)]

    @property
    def multi(self):
        return len(self.all) > 1

    def by_tid(self, tid):
        for t in self.all:
            if t.tid == tid:
                return t
        return None

    # ----- the per-thread part of the Process -----
    def _save(self, t):
        p, s = self.p, self.p.signals
        t.clear_child_tid, t.robust_list = p.clear_child_tid, p.robust_list
        t.sigmask, t.saved_mask, t.altstack = s.mask, s.saved_mask, s.altstack
        # its thread-directed signals still pending go with it
        for sig, info in list(t.pending.items()):
            if s.pending.get(sig) is info:
                s.pending.pop(sig)
            else:
                del t.pending[sig]      # delivered while it ran

    def _load(self, t):
        p, s = self.p, self.p.signals
        p.machine.switch_vcpu(t.state, t.tlb)
        p.regs, p.tid = t.regs, t.tid
        p.clear_child_tid, p.robust_list = t.clear_child_tid, t.robust_list
        old = s.mask
        s.mask, s.saved_mask, s.altstack = t.sigmask, t.saved_mask, t.altstack
        if old != s.mask:
            p.hostsig.mask_changed(old, s.mask)
        for sig, info in t.pending.items():
            s.pending.setdefault(sig, info)
        self.current = t
        self._start_turn(t)

    def _start_turn(self, t):
        t.slice_start = t.icount
        t.slice_syscalls = 0
        self._set_deadline(t)

    def _set_deadline(self, t):
        # the machine leaves at the first TB end at or past it, in every tier
        t.regs[_LIMIT] = min(t.slice_start + QUANTUM, M64) if self.multi else M64

    # ----- CPU time (cputime.py) -----
    def charge(self):
        """The running thread's turn so far goes to its CPU time."""
        now = time.thread_time_ns()
        self.current.cpu_ns += now - self.turn_cpu
        self.turn_cpu = now

    def cpu_ns(self, t):
        if t is self.current:
            self.charge()
        return t.cpu_ns

    def process_cpu_ns(self):
        self.charge()
        return self.exited_cpu_ns + sum(t.cpu_ns for t in self.all)

    def _switch(self, t):
        if t is not self.current:
            self.charge()
            if self.current in self.all:
                self._save(self.current)
            self._load(t)
        else:
            # no other thread may run: it goes on in overtime, its turn still over, so that the
            # next syscall gives the host to a thread it made runnable; the deadline moves a
            # quantum on, so that the machine does not stop at every TB end meanwhile
            t.regs[_LIMIT] = min(t.icount + QUANTUM, M64)

    def update_budget(self):
        """The thread count or host-signal forwarding changed: the running thread's deadline
        (a quantum past its turn's start while there are several threads) and the machine's
        dispatch budget (only to look for host signals)."""
        from .hostsig import POLL_BUDGET
        self.p.machine.poll_budget = POLL_BUDGET if self.p.hostsig.active else 0
        self._set_deadline(self.current)

    # ----- creation and exit -----
    def clone(self, flags, newsp, ptid, tls, ctid):
        """A new thread sharing everything; returns its tid (to the caller, 0 in x0 of the
        new thread, which starts at the instruction after the svc)."""
        if flags & THREAD_NEEDS != THREAD_NEEDS or flags & ~THREAD_FLAGS:
            self.p.log_unimp(f'clone flags {flags:#x}: only threads as pthread_create makes '
                             'them (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD) '
                             'are implemented')
            return -errno.EINVAL
        p = self.p
        st, tlb = p.machine.new_vcpu()
        t = Thread(self.next_tid, st, tlb)
        self.next_tid += 1
        r = t.regs
        r[_X] = 0
        if newsp:
            r[_SP] = newsp
        if flags & CLONE_SETTLS:
            r[_TPIDR] = tls & M64
        t.sigmask = p.signals.mask      # a new thread inherits the mask; its altstack is clear
        if flags & CLONE_PARENT_SETTID and ptid:
            p.mem.write(ptid, struct.pack('<i', t.tid))
        if flags & CLONE_CHILD_SETTID and ctid:
            p.mem.write(ctid, struct.pack('<i', t.tid))
        if flags & CLONE_CHILD_CLEARTID:
            t.clear_child_tid = ctid
        self.index[t.tid] = self.created
        self.created += 1
        self.all.append(t)
        self.update_budget()
        if p.machine.on_vcpu_init is not None:     # plugins: its vCPU index, vcpu_init
            p.machine.on_vcpu_init(st)
        return t.tid

    def exit_thread(self, status):
        """exit(): this thread ends (robust futexes, CLEARTID write and wake); the process
        ends with the last one."""
        t = self.current
        self._robust_cleanup(t.tid, self.p.robust_list)
        ctid = self.p.clear_child_tid
        if ctid:
            try:
                self.p.mem.write(ctid, b'\0\0\0\0')
                self.wake(ctid, 1)
            except GuestFault:
                pass
        if len(self.all) == 1:
            raise GuestExit(status & 0xFF)
        self._save(t)
        self.charge()
        self.exited_cpu_ns += t.cpu_ns
        self.all.remove(t)
        self.exited.append((self.index[t.tid], t.tid, t.icount))
        if self.p.machine.on_vcpu_exit is not None:     # plugins: vcpu_exit
            self.p.machine.on_vcpu_exit(t.state)
        self.p.machine.drop_vcpu(t.state, t.tlb)
        self.update_budget()
        self.schedule(force=True)

    def _robust_cleanup(self, tid, head):
        """Linux's exit_robust_list: mark every futex on the list the dying thread owns as
        FUTEX_OWNER_DIED and wake one waiter."""
        if not head:
            return
        mem = self.p.mem
        try:
            entry, offset, pending = struct.unpack('<QqQ', mem.read(head, 24))
            seen = 0
            while entry & ~1 != head and seen < ROBUST_LIST_LIMIT:
                nxt = struct.unpack('<Q', mem.read(entry & ~1, 8))[0]
                if entry & ~1 != pending & ~1:
                    self._owner_died(tid, (entry & ~1) + offset)
                entry = nxt
                seen += 1
            if pending:
                self._owner_died(tid, (pending & ~1) + offset)
        except GuestFault:
            pass

    def _owner_died(self, tid, uaddr):
        val = struct.unpack('<I', self.p.mem.read(uaddr, 4))[0]
        if val & FUTEX_TID_MASK == tid:
            self.p.mem.write(uaddr, struct.pack('<I', (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
            if val & FUTEX_WAITERS:
                self.wake(uaddr, 1)

    def after_fork_child(self):
        """In a forked child only the thread that called fork exists (as on Linux)."""
        cur = self.current
        for t in self.all:
            if t is not cur:
                self.p.machine.drop_vcpu(t.state, t.tlb)
        self.all = [cur]
        self.futex_waiters = []
        cur.cpu_ns, self.exited_cpu_ns = 0, 0     # a child's CPU clocks start at 0
        self.turn_cpu = time.thread_time_ns()
        cur.tid = self.p.tid
        self.index = {cur.tid: 0}
        self.update_budget()

    # ----- futex -----
    def block(self, wait):
        """The running thread waits: it stops until woken, its deadline or a signal."""
        self.current.wait = wait
        if wait.uaddr is not None:
            self.futex_waiters.append(self.current)

    def wake(self, uaddr, n, bitset=0xFFFFFFFF):
        woken = 0
        for t in list(self.futex_waiters):
            if woken >= n:
                break
            if t.wait.uaddr == uaddr and t.wait.bitset & bitset:
                self._resume(t, 0)
                woken += 1
        return woken

    def requeue(self, uaddr, n_wake, n_move, uaddr2):
        woken = self.wake(uaddr, n_wake)
        moved = 0
        for t in self.futex_waiters:
            if moved >= n_move:
                break
            if t.wait.uaddr == uaddr:
                t.wait.uaddr = uaddr2
                moved += 1
        return woken + moved

    def _resume(self, t, ret):
        if t.wait.uaddr is not None:
            self.futex_waiters.remove(t)
        t.wait = None
        if ret is not None:
            t.regs[_X] = ret & M64

    # ----- host calls that would block -----
    def before_blocking(self, poller, timeout_ms, interrupt):
        """HostSignals.wait is about to block the host for the running thread. With other
        threads it raises WouldBlock instead, or returns the timeout to use when the call may
        go on at once (an fd is ready, or the retried call's deadline has passed). The deadline
        is the first try's, so retries do not stretch the timeout."""
        if self.idling:
            return timeout_ms
        t = self.current
        pc = int(t.regs[_PC])
        now = time.monotonic_ns()
        if t.retry is not None and t.retry[0] == pc:
            deadline = t.retry[1]
        else:
            deadline = None if timeout_ms is None else now + int(timeout_ms * 1e6)
        t.retry = (pc, deadline)
        if deadline is not None and deadline <= now:
            return 0
        if poller is not None and poller.poll(0):
            return 0
        raise WouldBlock(Wait(deadline=deadline, timeout_ret=None, on_signal=lambda: None,
                              retry=True, poller=poller, on_pipe=not interrupt))

    def block_retry(self, e):
        """The running thread's syscall raised WouldBlock: its pc is back at the svc."""
        self.current.wait = e.wait

    def _poll_retries(self, idle):
        """Make runnable the retrying threads that may go on: a ready fd, a passed deadline,
        and (idle: the host just woke up; else at every turn) the ones that look again."""
        now = time.monotonic_ns()
        for t in self.all:
            w = t.wait
            if w is None or not w.retry:
                continue
            if ((w.deadline is not None and w.deadline <= now) or w.on_pipe or
                    (w.poller is not None and w.poller.poll(0)) or
                    (idle and w.poller is None and w.deadline is None)):
                self._resume(t, None)

    # ----- scheduling -----
    def yield_now(self):
        self.current.slice_start = -QUANTUM     # the turn passes at the next schedule()

    def signal_thread(self, t, sig, info):
        """tgkill/tkill to another thread of this process (a legacy signal pending for it
        already is not queued again; an ignored one that it does not block is dropped)."""
        blocked = t.sigmask & (1 << (sig - 1))
        if sig in t.pending or (self.p.signals.ignored(sig) and not blocked):
            return
        t.pending[sig] = info
        if t.wait is not None and not blocked:
            self._resume(t, t.wait.on_signal())

    def schedule(self, force=False, syscall=False):
        """Pick the thread to run next (after a machine exit and its syscall, if it was one)."""
        cur = self.current
        if syscall:
            cur.slice_syscalls += 1
        if not force and cur.wait is None and (
                len(self.all) == 1 or self._turn_left(cur) > 0 or self._before_deadline()):
            if syscall and self.multi:      # the system call brought the turn's end closer
                cur.regs[_LIMIT] = cur.icount + self._turn_left(cur)
            return
        self._poll_retries(False)
        self._interrupt_by_signals()
        while True:
            t = self._next_runnable(cur)
            if t is not None:
                self._switch(t)
                return
            self._idle()

    @staticmethod
    def _turn_left(t):
        return QUANTUM - (t.icount - t.slice_start) - SYSCALL_WEIGHT * t.slice_syscalls

    def _before_deadline(self):
        # a poll-budget exit (at a host-dependent place: it counts dispatches) short of the
        # deadline decides nothing, also in overtime
        r = self.current.regs
        return r[_EXIT] == cpu.EXIT_BUDGET and r[cpu.OFF_ICOUNT // 8] < r[_LIMIT]

    def _next_runnable(self, cur):
        n = len(self.all)
        start = self.all.index(cur) + 1 if cur in self.all else 0
        for i in range(n):
            t = self.all[(start + i) % n]
            if t.wait is None:
                return t
        return None

    def _idle(self):
        """Every thread is blocked: sleep in the host until the earliest deadline or a host
        signal, then end the waits that are over."""
        p = self.p
        deadlines = [t.wait.deadline for t in self.all if t.wait.deadline is not None]
        pollers = [t.wait.poller for t in self.all if t.wait.poller is not None]
        now = time.monotonic_ns()
        if not self._interrupt_by_signals():
            if not deadlines or min(deadlines) > now:
                ms = None if not deadlines else (min(deadlines) - now) / 1e6
                if len(pollers) > 1:    # one host wait takes one poller: look at the others
                    ms = 10 if ms is None else min(ms, 10)  # every 10 ms
                self.idling = True
                try:
                    p.hostsig.wait(pollers[0] if pollers else None, timeout_ms=ms,
                                   interrupt=False)
                finally:
                    self.idling = False
                self._interrupt_by_signals()
        now = time.monotonic_ns()
        for t in self.all:
            w = t.wait
            if w is not None and not w.retry and w.deadline is not None and w.deadline <= now:
                self._resume(t, w.timeout_ret)
        self._poll_retries(True)

    def _interrupt_by_signals(self):
        """A pending signal that a blocked thread would take ends its wait (Wait.on_signal):
        its own, or a process-directed one it does not block and that was not aimed at
        another thread that does not block it either (Signals.takes)."""
        s = self.p.signals
        for t in self.all:
            if t.wait is not None and s.thread_has_signal(t):
                self._resume(t, t.wait.on_signal())
                return True
        return False
