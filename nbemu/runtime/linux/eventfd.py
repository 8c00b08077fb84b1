"""eventfd2: a host eventfd per guest eventfd. Its reads and writes are the ordinary fd ones
(fs.py: a blocking read waits beside hostsig's pipe, so a signal interrupts it), and poll and
epoll see the host's readiness. EFD_SEMAPHORE, EFD_CLOEXEC and EFD_NONBLOCK have the same
values on arm64 as on the host (the last two are O_CLOEXEC and O_NONBLOCK)."""
import errno
import os

from . import abi
from .fs import OpenFile
from .table import syscall

class CounterFd(OpenFile):
    """An eventfd or timerfd: its value is read as 8 bytes, a shorter read is EINVAL at once
    (not after waiting for the counter, as a plain blocking read would)."""
    __slots__ = ()
    min_read = 8

    def dup(self, cloexec):
        return CounterFd(os.dup(self.host), cloexec, self._path)


EFD_SEMAPHORE = 1
EFD_CLOEXEC = abi.G_O_CLOEXEC
EFD_NONBLOCK = abi.G_O_NONBLOCK


@syscall('eventfd2', 'ux')
def sys_eventfd2(p, initval, flags):
    flags &= 0xFFFFFFFF
    if flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK):
        return -errno.EINVAL
    host_flags = os.EFD_CLOEXEC | (os.EFD_SEMAPHORE if flags & EFD_SEMAPHORE else 0) | \
        (os.EFD_NONBLOCK if flags & EFD_NONBLOCK else 0)
    h = os.eventfd(initval & 0xFFFFFFFF, host_flags)
    return p.fds.install(CounterFd(h, bool(flags & EFD_CLOEXEC)))
