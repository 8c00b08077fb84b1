"""Host signals that become guest signals: SIGALRM from the guest's timers, SIGCHLD from its
children, and anything another process sends it (kill from a forked child).

A host signal is forwarded only while the guest has a handler for it or blocks it (or the
emulator itself needs it: SIGCHLD while children may exit, to wake wait4). Otherwise the host
disposition mirrors the guest's: a default-fatal signal kills the emulator by the kernel (also
out of a tight compiled loop), an ignored one is ignored by the kernel (SIGCHLD ignored also
means children are reaped automatically, as the guest asked).

Forwarding uses `signal.set_wakeup_fd`: the C-level handler writes the signal number into a
non-blocking pipe the moment the signal arrives, whichever host thread takes it. The emulator
reads the pipe at safe points (after each exit from the execution loop, which then returns at
least every POLL_BUDGET TBs) and blocking syscalls wait on it beside their own fds, so a guest
blocked in nanosleep, pause, read or wait4 is interrupted (Interrupted: EINTR, or a restart
under SA_RESTART, as signals.py's deliver_pending decides by Linux's rules).
The Python-level handler does nothing: the pipe is the one source of truth, so there is no race
between a handler running at an arbitrary bytecode and the emulator's own state.
"""
import errno
import os
import select
import signal as _hs
import struct
import time

from nbemu.core.cpu import OFF_PC
from .. import helper_process
from . import abi

_PC = OFF_PC // 8
POLL_BUDGET = 1 << 16       # TBs between two looks at the pipe while signals are forwarded

# raised by the emulator's own faults (delivered from machine exits) or uncatchable
NEVER_FORWARDED = {abi.SIGKILL, abi.SIGSTOP, abi.SIGSEGV, abi.SIGBUS, abi.SIGILL, 8, 5}
# the host glibc's own (SIGCANCEL, SIGSETXID): Python refuses them and only the host's threads
# library sends them; a guest blocking them (posix_spawn blocks all) needs nothing from the host
HOST_RESERVED = {32, 33}
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6


# the kernel's internal "interrupted" returns (include/linux/errno.h): what the signal delivery
# after the syscall makes of them is Signals.deliver_pending's (Linux's arm64 do_signal)
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516


class Interrupted(Exception):
    """A blocking syscall saw a deliverable guest signal. code: -ERESTARTSYS (restartable:
    restarted after a SA_RESTART handler, EINTR after another; read, write, wait4, accept,
    recv), -ERESTARTNOHAND (EINTR whenever a handler runs: pause, sigsuspend, poll, select),
    -ERESTART_RESTARTBLOCK (nanosleep: EINTR after a handler, else restart_syscall goes on
    with the time left) or plain EINTR (epoll waits, sigtimedwait). With no handler run (the
    signal was ignored, or another thread took it) every ERESTART* call is restarted."""

    def __init__(self, restartable=True, code=None):
        super().__init__('interrupted')
        self.code = code if code is not None else (ERESTARTSYS if restartable else
                                                   ERESTARTNOHAND)


def first_deadline(p, deadline):
    """The time.monotonic() deadline of the running syscall: a svc retried after WouldBlock
    keeps its first try's (threads.Threads.before_blocking), so a retry never stretches it."""
    t = p.threads.current
    retry = getattr(t, 'retry', None)
    if retry is not None and retry[1] is not None and retry[0] == int(p.regs[_PC]):
        return retry[1] / 1e9
    return deadline


def _noop(signum, frame):
    pass


class HostSignals:
    def __init__(self, proc):
        self.p = proc
        self.r = self.w = None
        self.forwarded = set()      # host signals whose handler is ours
        # forwarded whatever the guest's disposition: SIGCHLD (wait4 sleeps on it) and the
        # signals of the guest's timers
        self.needed = set()
        self.itimer_real = False    # our ITIMER_REAL is armed: its SIGALRM is SI_KERNEL

    @property
    def active(self):
        return self.r is not None

    def _ensure_pipe(self):
        if self.r is not None:
            return
        self.r, self.w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        _hs.set_wakeup_fd(self.w, warn_on_full_buffer=False)
        threads = getattr(self.p, 'threads', None)
        if threads is not None:     # several threads keep their shorter budget (the quantum)
            threads.update_budget()
        else:
            self.p.machine.poll_budget = POLL_BUDGET

    def need(self, sig):
        """The emulator itself must hear about sig (SIGCHLD for wait4)."""
        self.needed.add(sig)
        self.sync(sig)

    def sync(self, sig):
        """Make the host disposition of sig follow the guest's action and mask."""
        if sig in NEVER_FORWARDED or sig in HOST_RESERVED or not 1 <= sig < _hs.NSIG:
            return
        s = self.p.signals
        h = s.actions[sig].handler
        blocked = bool(s.mask & (1 << (sig - 1)))
        if h == abi.SIG_IGN and not blocked:
            want = _hs.SIG_IGN
        elif h == abi.SIG_DFL and not blocked and sig not in self.needed:
            want = _default_host_action(sig)
        else:
            want = _noop
        if want is _noop:
            if sig in self.forwarded:
                return
            self._ensure_pipe()
            self.forwarded.add(sig)
        else:
            self.forwarded.discard(sig)
        try:
            _hs.signal(sig, want)
        except (ValueError, OSError) as e:     # not the main thread, or a signal Python refuses
            self.p.log_unimp(f'cannot set the host action of signal {sig}: {e}')

    def mask_changed(self, old, new):
        diff = old ^ new
        while diff:
            low = diff & -diff
            self.sync(low.bit_length())
            diff ^= low

    def sync_all(self):
        for sig in range(1, min(abi.NSIG + 1, _hs.NSIG)):
            s = self.p.signals
            if sig in self.forwarded or s.actions[sig].handler != abi.SIG_DFL or \
                    s.mask & (1 << (sig - 1)):
                self.sync(sig)

    # ----- arrivals -----
    def drain(self):
        """Queue the guest signals that arrived since the last look."""
        if self.r is None:
            return
        while True:
            try:
                data = os.read(self.r, 256)
            except BlockingIOError:
                return
            if not data:
                return
            for sig in sorted(set(data)):
                self._arrived(sig)

    def _arrived(self, sig):
        s = self.p.signals
        timers = getattr(self.p, 'timers', None)
        info = timers.info_for(sig) if timers is not None else None
        if info is not None:
            pass                    # a POSIX timer's signal: SI_TIMER with its sigev_value
        elif sig == abi.SIGCHLD:
            info = _child_info()
            if info is None:
                if helper_process.claim_own_sigchld():
                    return          # the exit of the shell that started our compile worker
                info = _siginfo(sig, CLD_EXITED)
        elif sig == abi.SIGALRM and self.itimer_real:
            info = _siginfo(sig, abi.SI_KERNEL)
        else:
            info = _siginfo(sig, abi.SI_USER)
        s.post_shared(sig, info)    # to the process: its threads' masks pick the taker

    def wait(self, poller=None, timeout_ms=None, restartable=True, interrupt=True, code=None):
        """Block until one of poller's fds is ready, timeout_ms passes or a deliverable guest
        signal arrives (then raise Interrupted(restartable, code), or return [] if not
        interrupt). Returns poll()'s list (without our pipe)."""
        if interrupt:
            self.check(restartable, code)
        if self.p.threads.multi:    # other threads run meanwhile: may raise WouldBlock
            timeout_ms = self.p.threads.before_blocking(poller, timeout_ms, interrupt)
        if poller is None:
            poller = select.poll()
        if self.r is not None:
            poller.register(self.r, select.POLLIN)
        deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
        try:
            while True:
                left = None if deadline is None else max(0, (deadline - time.monotonic()) * 1000)
                res = poller.poll(left)
                if self.r is not None and any(fd == self.r for fd, _ in res):
                    self.drain()
                    if not interrupt:
                        return []       # the caller looks again (wait4: SIGCHLD came)
                    if self.p.signals.deliverable():
                        raise Interrupted(restartable, code)
                    res = [x for x in res if x[0] != self.r]
                    if not res and (deadline is None or time.monotonic() < deadline):
                        continue    # a signal the guest ignores or blocks: keep waiting
                return res
        finally:
            if self.r is not None:
                poller.unregister(self.r)

    def check(self, restartable=True, code=None):
        """Raise Interrupted if a deliverable signal is already pending (before blocking)."""
        self.drain()
        if self.p.signals.deliverable():
            raise Interrupted(restartable, code)

    def close(self):
        """Give the host process back its own signal handling (an embedded emulator ends but
        its host goes on)."""
        for sig in list(self.forwarded):
            try:
                _hs.signal(sig, _default_host_action(sig))
            except (ValueError, OSError):
                pass
        self.forwarded.clear()
        if self.r is not None:
            try:
                _hs.set_wakeup_fd(-1)
            except ValueError:
                pass
            for fd in (self.r, self.w):
                os.close(fd)
            self.r = self.w = None

    # ----- fork -----
    def after_fork_child(self):
        """The child shares the parent's pipe: give it its own. Linux clears the child's
        pending signals and timers (the host kernel did the same for the host ones)."""
        self.itimer_real = False
        helper_process.after_fork_child()
        self.needed.clear()         # no children yet, and the timers were not inherited
        if self.r is not None:
            for fd in (self.r, self.w):
                os.close(fd)
            self.r = self.w = None
            self._ensure_pipe()
        for sig in list(self.forwarded):
            self.forwarded.discard(sig)
            self.sync(sig)


def _default_host_action(sig):
    # Python's own defaults: SIGINT raises KeyboardInterrupt (status 130), SIGPIPE stays ignored
    # on the host (a write gets EPIPE and the file layer raises the guest's SIGPIPE)
    if sig == _hs.SIGINT:
        return _hs.default_int_handler
    if sig == _hs.SIGPIPE:
        return _hs.SIG_IGN
    return _hs.SIG_DFL


def _siginfo(sig, code, pid=0, uid=0, status=0):
    # the union starts at offset 16 on 64-bit: si_pid, si_uid, then si_status for SIGCHLD
    b = bytearray(abi.SIGINFO_SIZE)
    struct.pack_into('<iii4xiIi', b, 0, sig, 0, code, pid, uid, status)
    return bytes(b)


def _child_info():
    """SIGCHLD's siginfo for a child with news (without reaping it), as Linux fills it; None
    if no child has news."""
    try:
        w = os.waitid(os.P_ALL, 0, os.WEXITED | os.WSTOPPED | os.WCONTINUED | os.WNOHANG |
                      os.WNOWAIT)
    except ChildProcessError:
        w = None
    except OSError as e:
        if e.errno != errno.ECHILD:
            raise
        w = None
    if w is None or w.si_pid == 0:
        return None
    return _siginfo(abi.SIGCHLD, w.si_code, w.si_pid, w.si_uid, w.si_status)
