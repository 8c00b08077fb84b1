"""Guest signals: dispositions, mask, pending set, delivery through an rt_sigframe, rt_sigreturn,
and the default actions (terminate, with QEMU's "uncaught target signal" line for core-dumping
signals).

Synchronous faults (Machine exits EXIT_SEGV, EXIT_SIGILL, EXIT_BRK, EXIT_BUS) are delivered at once
to the handler the guest installed; if there is none, or the signal is blocked or ignored, the
guest dies (like Linux's force_sig_fault). Signals the guest sends itself (kill, tgkill, raise,
abort) and SIGPIPE are queued and delivered when the syscall returns, if not blocked.

Pending signals: `pending` holds the process's signals and the running thread's own (the same
objects as in its Thread.pending; threads.py moves them on a switch). A process-directed signal
(kill, a timer, another process) is aimed as Linux's complete_signal does: at the main thread if
it does not block it, else at the first thread that does not; it is kept for that thread while
it lives and does not block it, and one blocked by every thread waits for the first thread that
unblocks it. sigpending shows the thread's own and the process's signals that it blocks.

Interrupted syscalls follow arch/arm64/kernel/signal.c's do_signal: a blocking call that sees a
signal ends with -ERESTARTSYS, -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK (hostsig.Interrupted;
the thread's `restart` keeps the code and x0), and deliver_pending, before the thread's next
instruction, makes it EINTR or runs the svc again after a handler (ERESTARTSYS under
SA_RESTART), or runs it again when no handler runs (RESTARTBLOCK as restart_syscall, going on
with the time left, Thread.restart_block). A temporary mask (sigsuspend, ppoll, pselect6) is
Linux's saved_sigmask: the frame records the old one, else it is restored after the delivery.

The frame follows arch/arm64/kernel/signal.c: siginfo (128 bytes) then ucontext (uc_mcontext with
x0-x30, sp, pc, pstate and an fpsimd_context record in __reserved), with a frame record {fp, lr}
above it; x0 = signo, x1 = &info, x2 = &uc (SA_SIGINFO only), x29 = &frame record, x30 = SA_RESTORER's address or a
trampoline page holding `mov x8, #139; svc #0` (like the vDSO's __kernel_rt_sigreturn).
"""
import errno
import os
import signal as _hsignal
import struct
import sys
import time

from nbemu.core.cpu import EXIT_BRK, EXIT_BTI, EXIT_BUS, EXIT_SEGV, EXIT_SIGILL, OFF_FPCR, OFF_FPSR, OFF_NZCV, \
    OFF_PC, OFF_PSTATE_BITS, OFF_SP, OFF_V, OFF_X, PSTATE_DIT, PSTATE_SSBS, PSTATE_TCO
from nbemu.core.cpu import DISCON_EXCEPTION, DISCON_INTERRUPT
from nbemu.core.tlb import SEGV_INFO_TAG
from ..memory import GuestFault
from .mte import SEGV_MTESERR
from . import abi
from .hostsig import ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, \
    Interrupted, first_deadline
from .table import NORETURN, syscall

_X, _SP, _PC, _NZCV = OFF_X // 8, OFF_SP // 8, OFF_PC // 8, OFF_NZCV // 8
_PSTATE_BITS = OFF_PSTATE_BITS // 8
_PSTATE_KEPT = PSTATE_TCO | PSTATE_DIT | PSTATE_SSBS    # the frame's pstate besides NZCV
_FPSR, _FPCR, _V = OFF_FPSR // 8, OFF_FPCR // 8, OFF_V // 8
M64 = 2**64 - 1
ALL_SIGS = (1 << 64) - 1
RESTART_SYSCALL = 128       # __NR_restart_syscall
UNBLOCKABLE = (1 << (abi.SIGKILL - 1)) | (1 << (abi.SIGSTOP - 1))

# the sigreturn trampoline: mov x8, #139 ; svc #0
TRAMPOLINE_CODE = struct.pack('<II', 0xD2800000 | (139 << 5) | 8, 0xD4000001)


class GuestExit(Exception):
    """The guest process ended: exit status (0-255) and the signal that killed it, if any."""

    def __init__(self, status, signal=None):
        super().__init__(status)
        self.status = status
        self.signal = signal


def bit(sig):
    return 1 << (sig - 1)


def describe(sig):
    try:
        return _hsignal.strsignal(sig) or f'Unknown signal {sig}'
    except ValueError:
        return f'Real-time signal {sig - 34}' if sig >= 34 else f'Unknown signal {sig}'


class Action:
    __slots__ = ('handler', 'flags', 'restorer', 'mask')

    def __init__(self, handler=abi.SIG_DFL, flags=0, restorer=0, mask=0):
        self.handler, self.flags, self.restorer, self.mask = handler, flags, restorer, mask

    def pack(self):
        return struct.pack('<QQQQ', self.handler, self.flags, self.restorer, self.mask)


class Pending(dict):
    """signo -> siginfo bytes. Calls watch() after every change: a signalfd is readable while
    one of its signals is pending (signalfd.py keeps a host fd's readiness in step)."""
    watch = None

    def _changed(self):
        if self.watch is not None:
            self.watch()

    def __setitem__(self, sig, info):
        super().__setitem__(sig, info)
        self._changed()

    def setdefault(self, sig, info):
        r = super().setdefault(sig, info)
        self._changed()
        return r

    def pop(self, *a):
        r = super().pop(*a)
        self._changed()
        return r

    def clear(self):
        super().clear()
        self._changed()


class Signals:
    def __init__(self, proc):
        self.p = proc
        self.actions = [Action() for _ in range(abi.NSIG + 1)]
        self.mask = 0
        self.pending = Pending()
        self.altstack = (0, abi.SS_DISABLE, 0)
        self.trampoline = 0         # address of the sigreturn trampoline page
        # the mask the next signal frame records (and rt_sigreturn restores) instead of the
        # current one: sigsuspend, ppoll and pselect6 run with a temporary mask
        self.saved_mask = None
        # process-directed pending signal -> tid of the thread Linux's complete_signal aimed it
        # at (the main thread if it does not block it, else the first other that does not)
        self.target = {}
        self.stderr = sys.stderr      # flushed before the emulator writes its own messages

    # ----- queueing and delivery -----
    def queue(self, sig, code=abi.SI_USER, pid=None, uid=None, private=False):
        """A signal for the process (kill), or for the running thread only (private: SIGPIPE,
        tkill to itself)."""
        info = siginfo(sig, code, pid=os.getpid() if pid is None else pid,
                       uid=os.getuid() if uid is None else uid)
        if private:
            self.post_private(sig, info)
        else:
            self.post_shared(sig, info)

    def post_shared(self, sig, info):
        """Linux's __send_signal to the thread group: a legacy signal already pending is not
        queued again, and complete_signal picks the thread that will take it."""
        if self.ignored(sig) and not self._blocked_by_all(sig):
            return          # Linux drops an ignored signal at once unless it is blocked
        if sig in self.pending and self._private(sig) is None:
            return
        self.pending.setdefault(sig, info)
        self._aim(sig)

    def post_private(self, sig, info):
        """A signal for the running thread alone (tgkill to itself)."""
        cur = self.p.threads.current
        if self.ignored(sig) and not self.mask & bit(sig):
            return
        if self._private(sig) is not None:
            return          # already pending for this thread
        cur.pending[sig] = info
        self.pending[sig] = info

    def _private(self, sig):
        # s.pending holds the process's signals and the running thread's own: these are the
        # objects also in its Thread.pending
        info = self.pending.get(sig)
        own = self.p.threads.current.pending.get(sig)
        return info if info is not None and own is info else None

    def _mask_of(self, t):
        return self.mask if t is self.p.threads.current else t.sigmask

    def _blocked_by_all(self, sig):
        return all(self._mask_of(t) & bit(sig) for t in self.p.threads.all)

    def _aim(self, sig):
        for t in self.p.threads.all:        # creation order: the main thread first
            if not self._mask_of(t) & bit(sig):
                self.target[sig] = t.tid
                return
        self.target.pop(sig, None)  # blocked by every thread: the first to unblock it takes it

    def kept_for_other(self, sig, t):
        """Process-directed sig is kept for another thread: the one it was aimed at, while that
        thread lives and does not block it."""
        tid = self.target.get(sig)
        if tid is None or tid == t.tid:
            return False
        other = self.p.threads.by_tid(tid)
        return other is not None and not self._mask_of(other) & bit(sig)

    def takes(self, t, sig):
        """Thread t would take pending sig now: t's own, or a process-directed one it does not
        block and that is not kept for another thread."""
        if self._mask_of(t) & bit(sig):
            return False
        if t is self.p.threads.current:
            return sig in self.pending and (self._private(sig) is not None or
                                            not self.kept_for_other(sig, t))
        if sig in t.pending:            # a thread not running: its own, exactly
            return True
        return sig in self.pending and self._private(sig) is None and \
            not self.kept_for_other(sig, t)

    def thread_has_signal(self, t):
        """Some pending signal would end thread t's wait (Threads._interrupt_by_signals)."""
        return any(self.takes(t, sig) for sig in set(self.pending) | set(t.pending))

    def pending_set(self):
        """sigpending: the running thread's own pending signals and the process's."""
        v = 0
        for sig in self.pending:
            v |= bit(sig)
        return v

    def deliverable(self):
        """The pending signals the running thread takes, lowest first."""
        cur = self.p.threads.current
        return [s for s in sorted(self.pending) if not self.mask & bit(s) and
                (self._private(s) is not None or not self.kept_for_other(s, cur))]

    def ignored(self, sig):
        h = self.actions[sig].handler
        return h == abi.SIG_IGN or (h == abi.SIG_DFL and sig in abi.IGNORE_SIGNALS)

    # ----- the end of an interrupted syscall (Linux's arm64 do_signal) -----
    def interrupted(self, code, x0):
        """The running thread's syscall ended with -code (an ERESTART* or EINTR): what the
        guest sees is decided when the signal is delivered (deliver_pending), as Linux does.
        x0: its first argument, for a restart."""
        if code == errno.EINTR:
            return -errno.EINTR
        self.p.threads.current.restart = (code, x0)
        return -code

    def _mid_retry(self):
        # a svc put back by WouldBlock runs again before anything is delivered: a signal that
        # ended its wait then interrupts it as a syscall (Interrupted, with its own ERESTART*
        # code), and a temporary mask stays in force meanwhile
        t = self.p.threads.current
        return t.retry is not None and t.retry[0] - 4 == int(self.p.regs[_PC])

    def restore_saved_mask(self):
        """After the syscall that set a temporary mask: no frame took the saved mask."""
        if self.saved_mask is not None and not self._mid_retry():
            old, self.mask = self.mask, self.saved_mask
            self.saved_mask = None
            self.p.hostsig.mask_changed(old, self.mask)

    def _restart_for_handler(self, act):
        """A handler is about to run after a syscall that ended with -ERESTART*: EINTR, or the
        svc again (ERESTARTSYS under SA_RESTART, ERESTARTNOINTR), as Linux's do_signal."""
        t = self.p.threads.current
        if t.restart is None:
            return
        code, x0 = t.restart
        t.restart = None
        r = self.p.regs
        if code == ERESTARTNOINTR or (code == ERESTARTSYS and act.flags & abi.SA_RESTART):
            r[_X] = x0
            r[_PC] = int(r[_PC]) - 4
        else:
            r[_X] = (-errno.EINTR) & M64

    def _restart_without_handler(self):
        """No handler ran (the signal was ignored or another thread took it): every ERESTART*
        syscall runs again, -ERESTART_RESTARTBLOCK as restart_syscall (Thread.restart_block)."""
        t = self.p.threads.current
        code, x0 = t.restart
        t.restart = None
        r = self.p.regs
        r[_X] = x0
        r[_PC] = int(r[_PC]) - 4
        if code == ERESTART_RESTARTBLOCK:
            r[_X + 8] = RESTART_SYSCALL

    def deliver_pending(self):
        """Deliver every pending signal the running thread takes (after a syscall, before its
        next instruction) and settle an interrupted syscall. May raise GuestExit."""
        if self._mid_retry():
            return
        while True:
            ready = self.deliverable()
            if not ready:
                break
            # Linux takes the lowest-numbered pending signal
            sig = ready[0]
            info = self.pending.pop(sig)
            self._dispatch(sig, info, forced=False)
        if self.p.threads.current.restart is not None:
            self._restart_without_handler()

    def _dispatch(self, sig, info, forced, fault_addr=0):
        act = self.actions[sig]
        h = act.handler
        if forced and (h == abi.SIG_IGN or self.mask & bit(sig)):
            h = abi.SIG_DFL
            act.handler = abi.SIG_DFL
        if h == abi.SIG_IGN:
            return
        if h == abi.SIG_DFL:
            if sig in abi.IGNORE_SIGNALS or sig in abi.STOP_SIGNALS:
                return
            self.die(sig)
        if not forced:
            self._restart_for_handler(act)
        from_pc = int(self.p.regs[_PC])     # where the thread goes on after the handler
        if not self.setup_frame(sig, act, info, fault_addr):
            # could not write the frame: the guest gets a forced SIGSEGV
            self.actions[abi.SIGSEGV].handler = abi.SIG_DFL
            self.die(abi.SIGSEGV)
        if self.p.machine.on_discon is not None:    # plugins: exception (a fault) or interrupt
            self.p.machine.on_discon(DISCON_EXCEPTION if forced else DISCON_INTERRUPT, from_pc,
                                     int(self.p.regs[_PC]))

    def fault(self, reason):
        """A synchronous fault exit from Machine.run(). Delivers or raises GuestExit."""
        st = self.p.regs
        pc = int(st[_PC])
        info_word = int(self.p.machine.state['exit_info'][0])
        addr = int(self.p.machine.state['fault_addr'][0])
        if reason == EXIT_SEGV:
            sig = abi.SIGSEGV
            plain = addr & _UNTAG if not addr & (1 << 55) else addr
            mapped = self.p.mem.pte(plain >> 12) if plain < (1 << 48) else 0
            code = abi.SEGV_ACCERR if mapped else abi.SEGV_MAPERR
            if info_word & SEGV_INFO_TAG:
                code = SEGV_MTESERR
            # Linux reports the address without its top byte (arch_untagged_si_addr) unless
            # the handler has SA_EXPOSE_TAGBITS: then with the tag, bits 59:56, for a tag check
            # fault (do_tag_check_fault), the whole top byte otherwise
            if not self.actions[sig].flags & abi.SA_EXPOSE_TAGBITS:
                addr = plain
            elif code == SEGV_MTESERR:
                addr = plain & ~(0xF << 56) | addr & (0xF << 56)
        elif reason == EXIT_BUS:
            sig, code = abi.SIGBUS, abi.BUS_ADRALN
        elif reason in (EXIT_SIGILL, EXIT_BTI):
            # Linux's do_el0_bti reports a Branch Target exception as an undefined instruction
            sig, code, addr = abi.SIGILL, abi.ILL_ILLOPC, pc
        elif reason == EXIT_BRK:
            sig, code, addr = abi.SIGTRAP, abi.TRAP_BRKPT, pc
        else:
            raise RuntimeError(f'unexpected machine exit {reason}')
        self.last_fault = (sig, pc, info_word, addr)
        self._dispatch(sig, siginfo(sig, code, addr=addr), forced=True,
                       fault_addr=addr if sig in (abi.SIGSEGV, abi.SIGBUS) else 0)

    def die(self, sig):
        """Default action: terminate (QEMU prints its line only for core-dumping signals)."""
        if sig == abi.SIGILL and getattr(self, 'last_fault', None) and self.last_fault[0] == sig:
            _, pc, word, _ = self.last_fault
            try:
                from nbemu.gen.disas import disas_word
                dis = disas_word(word, pc)
            except Exception:       # capstone missing: still report the encoding
                dis = '?'
            self._err(f'nbemu: illegal instruction at pc {pc:#x}: {word:#010x} ({dis})\n')
        if sig in abi.CORE_SIGNALS:
            self._err(f'nbemu: uncaught target signal {sig} ({describe(sig)}) - core dumped\n')
        raise GuestExit(128 + sig, sig)

    def _err(self, text):
        try:
            self.stderr.flush()
        except Exception:
            pass
        try:
            os.write(self.p.diag_fd, text.encode())
        except OSError:
            pass

    # ----- frames -----
    def _on_altstack(self, sp):
        ss_sp, flags, size = self.altstack
        return not flags & abi.SS_DISABLE and ss_sp < sp <= ss_sp + size

    def _sas_flags(self, sp):
        ss_sp, flags, size = self.altstack
        if flags & abi.SS_DISABLE or size == 0:
            return abi.SS_DISABLE
        return abi.SS_ONSTACK if self._on_altstack(sp) else 0

    def setup_frame(self, sig, act, info, fault_addr):
        r = self.p.regs
        mem = self.p.mem
        sp = int(r[_SP])
        if act.flags & abi.SA_ONSTACK and self._sas_flags(sp) == 0:
            ss_sp, flags, size = self.altstack
            sp = ss_sp + size
        rec = (sp - abi.FRAME_RECORD_SIZE) & ~15
        frame = (rec & ~15) - abi.RT_SIGFRAME_SIZE
        uc = frame + abi.UC_OFF
        x = [int(v) for v in r[_X:_X + 31]]
        pc = int(r[_PC])
        ss_sp, ss_flags, ss_size = self.altstack
        buf = bytearray(abi.RT_SIGFRAME_SIZE)
        if act.flags & abi.SA_SIGINFO:
            buf[0:len(info)] = info
        o = abi.UC_OFF
        frame_mask = self.mask if self.saved_mask is None else self.saved_mask
        self.saved_mask = None
        struct.pack_into('<QQQiiQQ', buf, o, 0, 0, ss_sp, self._sas_flags(int(r[_SP])), 0,
                         ss_size, frame_mask)
        o = abi.UC_OFF + abi.UC_MCONTEXT
        struct.pack_into('<Q31QQQQ', buf, o, fault_addr, *x, int(r[_SP]), pc,
                         int(r[_NZCV]) & 0xF0000000 | int(r[_PSTATE_BITS]) & _PSTATE_KEPT)
        o += abi.SC_RESERVED
        struct.pack_into('<IIII', buf, o, abi.FPSIMD_MAGIC, abi.FPSIMD_CONTEXT_SIZE,
                         int(r[_FPSR]) & 0xFFFFFFFF, int(r[_FPCR]) & 0xFFFFFFFF)
        v = r[_V:_V + 64]
        buf[o + 16:o + 16 + 512] = v.tobytes()
        # the terminating null record follows (already zero)
        try:
            mem.write(frame, bytes(buf))
            mem.write(rec, struct.pack('<QQ', x[29], x[30]))
        except GuestFault:
            return False
        r[_X + 0] = sig
        if act.flags & abi.SA_SIGINFO:       # as Linux: x1/x2 only for SA_SIGINFO handlers
            r[_X + 1] = frame
            r[_X + 2] = uc
        r[_X + 29] = rec
        r[_X + 30] = act.restorer if act.flags & abi.SA_RESTORER else self.trampoline
        r[_SP] = frame
        r[_PC] = act.handler
        if not act.flags & abi.SA_NODEFER:
            self.mask |= bit(sig)
        self.mask = (self.mask | act.mask) & ~UNBLOCKABLE
        if act.flags & abi.SA_RESETHAND:
            self.actions[sig] = Action()
        if act.flags & abi.SA_ONSTACK and ss_flags & abi.SS_AUTODISARM:
            self.altstack = (0, abi.SS_DISABLE, 0)
        return True

    def sigreturn(self):
        r = self.p.regs
        mem = self.p.mem
        frame = int(r[_SP])
        if frame & 15:
            self.die_bad_frame()
        try:
            buf = mem.read(frame, abi.RT_SIGFRAME_SIZE)
        except GuestFault:
            self.die_bad_frame()
        o = abi.UC_OFF
        (_flags, _link, _ss_sp, _ss_flags, _pad, _ss_size,
         mask) = struct.unpack_from('<QQQiiQQ', buf, o)
        o = abi.UC_OFF + abi.UC_MCONTEXT
        vals = struct.unpack_from('<Q31QQQQ', buf, o)
        regs, sp, pc, pstate = vals[1:32], vals[32], vals[33], vals[34]
        r[_X:_X + 31] = regs
        r[_SP] = sp
        r[_PC] = pc
        r[_NZCV] = pstate & 0xF0000000
        r[_PSTATE_BITS] = pstate & _PSTATE_KEPT
        # records in __reserved: fpsimd restores the vector state
        o += abi.SC_RESERVED
        end = o + abi.SC_RESERVED_SIZE
        while o + 8 <= end:
            magic, size = struct.unpack_from('<II', buf, o)
            if magic == 0:
                break
            if size < 8 or o + size > end:
                self.die_bad_frame()
            if magic == abi.FPSIMD_MAGIC and size >= abi.FPSIMD_CONTEXT_SIZE:
                fpsr, fpcr = struct.unpack_from('<II', buf, o + 8)
                r[_FPSR] = fpsr
                r[_FPCR] = fpcr
                import numpy as np
                r[_V:_V + 64] = np.frombuffer(bytes(buf[o + 16:o + 16 + 512]), dtype=np.uint64)
            o += size
        old, self.mask = self.mask, mask & ~UNBLOCKABLE
        self.p.hostsig.mask_changed(old, self.mask)
        self.p.threads.current.restart_block = None     # Linux: do_no_restart_syscall
        return NORETURN

    def die_bad_frame(self):
        self.actions[abi.SIGSEGV].handler = abi.SIG_DFL
        self.die(abi.SIGSEGV)


_UNTAG = (1 << 56) - 1


def siginfo(sig, code, addr=None, pid=0, uid=0):
    """A 128-byte siginfo_t: signo, errno, code, then the union (si_addr or si_pid/si_uid)."""
    b = bytearray(abi.SIGINFO_SIZE)
    struct.pack_into('<iii', b, 0, sig, 0, code)
    if addr is not None:
        struct.pack_into('<Q', b, 16, addr & M64)
    else:
        struct.pack_into('<iI', b, 16, pid, uid)
    return bytes(b)


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


# ----- syscalls -----
@syscall('rt_sigaction', 'Sppu')
def sys_rt_sigaction(p, sig, act, oact, sigsetsize):
    sig = _s32(sig)
    if sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    if sig < 1 or sig > abi.NSIG:
        return -errno.EINVAL
    if act and sig in (abi.SIGKILL, abi.SIGSTOP):
        return -errno.EINVAL
    s = p.signals
    new = None
    if act:
        h, fl, rest, mask = struct.unpack('<QQQQ', p.mem.read(act, 32))
        new = Action(h, fl & 0xFFFFFFFF, rest, mask & ~UNBLOCKABLE)
    if oact:
        p.mem.write(oact, s.actions[sig].pack())
    if new is not None:
        s.actions[sig] = new
        if new.handler == abi.SIG_IGN or (new.handler == abi.SIG_DFL and
                                          sig in abi.IGNORE_SIGNALS):
            s.pending.pop(sig, None)
        p.hostsig.sync(sig)
    return 0


@syscall('rt_sigprocmask', 'dppu')
def sys_rt_sigprocmask(p, how, nset, oset, sigsetsize):
    if sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    s = p.signals
    how = _s32(how)
    new = None
    if nset:
        new = p.mem.u64(nset)
        if how not in (abi.SIG_BLOCK, abi.SIG_UNBLOCK, abi.SIG_SETMASK):
            return -errno.EINVAL
    if oset:
        p.mem.put_u64(oset, s.mask)
    old = s.mask
    if new is not None:
        if how == abi.SIG_BLOCK:
            s.mask |= new
        elif how == abi.SIG_UNBLOCK:
            s.mask &= ~new
        else:
            s.mask = new
        s.mask &= ~UNBLOCKABLE & ALL_SIGS
        p.hostsig.mask_changed(old, s.mask)
    return 0


@syscall('rt_sigpending', 'pu')
def sys_rt_sigpending(p, setp, sigsetsize):
    if sigsetsize > abi.SIGSET_SIZE:
        return -errno.EINVAL
    # Linux reports the pending signals the thread blocks (the others are being delivered)
    v = p.signals.pending_set() & p.signals.mask
    p.mem.write(setp, v.to_bytes(8, 'little')[:sigsetsize])
    return 0


@syscall('rt_sigsuspend', 'pu')
def sys_rt_sigsuspend(p, setp, sigsetsize):
    if sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    new = p.mem.u64(setp) & ~UNBLOCKABLE
    with_temporary_mask(p, new, lambda: p.hostsig.wait(restartable=False))
    raise Interrupted(False)        # -ERESTARTNOHAND (only a signal ends the wait)


def with_temporary_mask(p, mask, wait):
    """Run wait() (which blocks until a signal interrupts it) with the guest's mask replaced,
    as sigsuspend/ppoll/pselect6 do (Linux's saved_sigmask): the frame of the signal that ends
    the wait records the old mask, so the handler's return restores it (Emulator.run restores
    it otherwise). While the thread waits for a retry (WouldBlock) the temporary mask stays,
    and the retried svc finds the saved mask still there."""
    from .threads import WouldBlock
    s = p.signals
    if s.saved_mask is None:
        s.saved_mask = s.mask
    old, s.mask = s.mask, mask
    p.hostsig.mask_changed(old, mask)
    try:
        return wait()
    except WouldBlock:
        raise
    except BaseException:
        if not s.deliverable():
            s.restore_saved_mask()
        raise
    else:
        s.restore_saved_mask()


@syscall('rt_sigtimedwait', 'pppu')
def sys_rt_sigtimedwait(p, setp, infop, tmo, sigsetsize):
    """sigwaitinfo/sigtimedwait: take a pending signal of the set, waiting for one (until the
    timeout: EAGAIN) if none is; a handled signal outside the set ends the wait with EINTR."""
    if sigsetsize != abi.SIGSET_SIZE:
        return -errno.EINVAL
    want = p.mem.u64(setp) & ~UNBLOCKABLE
    deadline = abi.relative_deadline(p.mem, tmo)
    if deadline is abi.BAD_TIMEOUT:
        return -errno.EINVAL
    if deadline is not None:
        deadline = first_deadline(p, deadline)
    s = p.signals
    while True:
        p.hostsig.drain()
        for sig in sorted(s.pending):
            if want & bit(sig):
                info = s.pending.pop(sig)
                if infop:
                    p.mem.write(infop, info)
                return sig
        if s.deliverable():
            return -errno.EINTR     # Linux's do_sigtimedwait: never restarted
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if left == 0.0:
            return -errno.EAGAIN
        p.hostsig.wait(timeout_ms=None if left is None else left * 1000, interrupt=False)


@syscall('sigaltstack', 'pp')
def sys_sigaltstack(p, ss, old):
    s = p.signals
    sp = int(p.regs[_SP])
    if old:
        ss_sp, flags, size = s.altstack
        p.mem.write(old, struct.pack('<QiiQ', ss_sp, s._sas_flags(sp) | (flags & abi.SS_AUTODISARM),
                                     0, size))
    if ss:
        ss_sp, flags, _pad, size = struct.unpack('<QiiQ', p.mem.read(ss, 24))
        if s._on_altstack(sp):
            return -errno.EPERM
        mode = flags & ~abi.SS_AUTODISARM
        if mode not in (0, abi.SS_ONSTACK, abi.SS_DISABLE):
            return -errno.EINVAL
        if mode == abi.SS_DISABLE:
            s.altstack = (0, abi.SS_DISABLE, 0)
        else:
            if size < abi.MINSIGSTKSZ:
                return -errno.ENOMEM
            s.altstack = (ss_sp, flags & abi.SS_AUTODISARM, size)
    return 0


@syscall('rt_sigreturn', '', ret='n')
def sys_rt_sigreturn(p):
    return p.signals.sigreturn()


def _send(p, sig):
    if sig < 0 or sig > abi.NSIG:
        return -errno.EINVAL
    if sig:
        p.signals.queue(sig, code=abi.SI_USER)
    return 0


def _to_thread(p, tid, sig):
    """tkill/tgkill to another thread of the guest: pending for that thread only."""
    t = p.threads.by_tid(tid)
    if t is None:
        return -errno.ESRCH
    if sig < 0 or sig > abi.NSIG:
        return -errno.EINVAL
    if sig:
        p.threads.signal_thread(t, sig, siginfo(sig, abi.SI_TKILL, pid=p.pid, uid=os.getuid()))
    return 0


@syscall('kill', 'dS')
def sys_kill(p, pid, sig):
    pid, sig = _s32(pid), _s32(sig)
    if pid in (p.pid, -1):
        # -1 ("every process we may signal") stays within the guest itself: on a host where
        # the emulator runs as root it would reach every process of the machine
        return _send(p, sig)
    if pid == 0 or pid == -os.getpgrp():
        from .hostsig import NEVER_FORWARDED
        if abi.SIGCHLD not in p.hostsig.needed or sig in NEVER_FORWARDED:
            # no guest children (or a signal the emulator keeps for its own faults): the
            # group the guest can see is itself
            return _send(p, sig)
        # the group holds the guest's forked children: the host delivers to all, this
        # process included (forwarded back to the guest, or its default action by the kernel)
    os.kill(pid, sig)
    return 0


@syscall('tkill', 'dS')
def sys_tkill(p, tid, sig):
    tid, sig = _s32(tid), _s32(sig)
    if tid <= 0:
        return -errno.EINVAL
    if tid != p.tid:
        return _to_thread(p, tid, sig)
    return _to_self(p, sig)


def _to_self(p, sig):
    if sig < 0 or sig > abi.NSIG:
        return -errno.EINVAL
    if sig:
        p.signals.post_private(sig, siginfo(sig, abi.SI_TKILL, pid=p.pid, uid=os.getuid()))
    return 0


@syscall('tgkill', 'ddS')
def sys_tgkill(p, tgid, tid, sig):
    tgid, tid, sig = _s32(tgid), _s32(tid), _s32(sig)
    if tid <= 0 or tgid <= 0:
        return -errno.EINVAL
    if tgid != p.pid:
        return -errno.ESRCH
    if tid != p.tid:
        return _to_thread(p, tid, sig)
    return _to_self(p, sig)


@syscall('restart_syscall', '')
def sys_restart_syscall(p):
    """Goes on with a call that a signal interrupted and no handler followed (nanosleep's time
    left, a futex wait with its deadline): Thread.restart_block; after a handler, EINTR."""
    t = p.threads.current
    fn, t.restart_block = t.restart_block, None
    return -errno.EINTR if fn is None else fn()
