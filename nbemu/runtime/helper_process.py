"""Processes the emulator starts for itself (the compile worker), kept out of the guest's sight.

A child of the emulator's process would be a child of the guest: its exit would be a SIGCHLD
for the guest, and the guest's wait4(-1) would reap it (a program that waits for "any child"
saw the compile worker's pid). So a helper is started as a grandchild: a shell starts it in
the background and exits at once, and the helper is reparented to init. The shell's own exit
is one SIGCHLD the guest must not see either; hostsig asks `claim_own_sigchld` before making
a SIGCHLD with no child behind it a guest signal.
"""
import subprocess
import threading
import time

# a SIGCHLD for a spawning shell's exit may arrive this long after it (the wakeup pipe is read
# at the execution loop's next poll)
_CLAIM_WINDOW = 5.0

_lock = threading.Lock()
_unclaimed = []             # monotonic times of spawning shells' exits not yet claimed


def spawn(argv, env):
    """Start argv as a process that is not the emulator's child, reading its stdin from and
    writing its stdout to pipes; return (pid, stdin, stdout), the pipes as line-buffered text
    files."""
    # fd 3 carries the pipe past sh's rule that a background job's stdin is /dev/null; the
    # shell's one line of output, before the helper's, is the helper's pid
    shell = subprocess.Popen(
        ['/bin/sh', '-c', 'exec 3<&0; "$@" <&3 3<&- & echo $!', 'sh'] + list(argv),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=env, text=True, bufsize=1)
    pid = shell.stdout.readline().strip()
    status = shell.wait()
    with _lock:
        _unclaimed.append(time.monotonic())
    if status != 0 or not pid.isdigit():
        shell.stdin.close()
        shell.stdout.close()
        raise OSError(f'could not start {argv[0]} (sh exited with {status})')
    return int(pid), shell.stdin, shell.stdout


def claim_own_sigchld():
    """True if a SIGCHLD with no child behind it is the exit of one of our spawning shells
    (and consume it)."""
    now = time.monotonic()
    with _lock:
        _unclaimed[:] = [t for t in _unclaimed if now - t < _CLAIM_WINDOW]
        if _unclaimed:
            _unclaimed.pop(0)
            return True
    return False


def after_fork_child():
    """A forked child's pending signals are cleared: none of the parent's exits are its own."""
    global _lock
    _lock = threading.Lock()        # another thread may have held it at the fork
    _unclaimed.clear()
