"""The guest process's operating-system state: address space, fds, cwd, signals, identity."""
import os

from ..memory import PAGE_SIZE, OutOfGuestMemory
from . import abi
from .fs import FdTable, OpenFile
from .hostsig import HostSignals
from .signals import TRAMPOLINE_CODE, Signals


class Process:
    def __init__(self, machine, mm, program, sysroot=None, strace=None, log_unimp=None,
                 stdio=(0, 1, 2), cwd=None, inherit_fds=None):
        self.machine = machine
        self.mem = mm.mem
        self.regs = machine.regs
        self.mm = mm
        self.program = program
        self.exe_path = program.exe_path
        self.argv = program.argv
        self.auxv = program.auxv
        self.sysroot = os.fsencode(os.path.abspath(sysroot)).rstrip(b'/') if sysroot else None
        self.strace = strace
        self.unimp = log_unimp
        self.pid = os.getpid()
        self.tid = self.pid
        self.comm = os.fsencode(os.path.basename(program.exe_path))[:15]
        self.personality = 0
        self.clear_child_tid = 0
        self.robust_list = 0
        self.rlimits = {abi.RLIMIT_STACK: (program.stack_hi - program.stack_lo, abi.RLIM_INFINITY)}
        self.syscall_count = 0
        old = os.umask(0)
        os.umask(old)
        self.umask = old
        self.fds = FdTable()
        # where the emulator's own messages about the guest go (fatal signals): its stderr
        self.diag_fd = stdio[2] if len(stdio) > 2 and stdio[2] is not None else 2
        self.cwd_fd = os.open(cwd or '.', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        if inherit_fds is not None:         # re-executed by the guest's execve
            from .execve import adopt_fds
            adopt_fds(self.fds, inherit_fds)
            stdio = ()
        for gfd, hfd in enumerate(stdio):
            if hfd is None:
                continue
            try:
                h = os.dup(hfd)
            except OSError:
                continue            # the host fd is closed: so is the guest's
            self.fds.install_at(gfd, OpenFile(h))
        self.signals = Signals(self)
        self.hostsig = HostSignals(self)
        self.forked = False         # this host process is a guest fork() child (see fork.py)
        self.vfork_done_fd = None   # a vfork child's end of the pipe its parent waits on
        # how execve re-runs nbemu: the command line up to the program (cli.py sets it)
        self.exec_command = None
        self.exec_replaces_host = False     # True under the CLI: execve may os.execve us
        self._map_trampoline()
        from .threads import Threads
        self.threads = Threads(self)    # the guest's threads, this one first

    def _map_trampoline(self):
        addr = self.mm.find_free(PAGE_SIZE)
        if addr is None:
            raise OutOfGuestMemory()
        self.mm.map(addr, PAGE_SIZE, abi.PROT_READ | abi.PROT_EXEC, name='[sigpage]')
        self.mem.write(addr, TRAMPOLINE_CODE, need=0)
        self.signals.trampoline = addr

    def log_unimp(self, msg):
        if self.unimp is not None:
            self.unimp.write(f'nbemu: {msg}\n')
            self.unimp.flush()

    def close(self):
        timers = getattr(self, 'timers', None)      # made by timers.py on first use
        if timers is not None:
            timers.close()
        self.hostsig.close()
        self.fds.close_all()
        if self.cwd_fd is not None:
            try:
                os.close(self.cwd_fd)
            except OSError:
                pass
            self.cwd_fd = None
