"""Guest-program corpus for nbemu, as plain data (no test logic).

Each entry describes one invocation of a binary in ``tests/guest/bin``:

name          unique id of this invocation (several may share a binary)
binary        file name under tests/guest/bin/
args          argv[1:]; the string "{tmpdir}" is to be replaced by a fresh,
              empty temporary directory created by the test
stdin         bytes fed to stdin, or None (stdin: /dev/null or closed)
env           extra environment variables for the guest
small         True if cheap enough (< ~300k guest instructions) for a
              mode that compiles every translation block
exit_status   expected status in shell convention (128+N for signal N)
signal        expected terminating signal number, or None.  Under Python's
              subprocess a signal death is returncode == -signal
              (qemu-aarch64 re-raises the signal on itself).
stderr        expected stderr text, or None if not checked.  For the signal
              programs this is what qemu-user prints; nbemu may word it
              differently.
insns         guest instructions executed under qemu-aarch64 7.2 (default
              "max" CPU), measured with -singlestep -d exec,nochain; only
              informational (see the table at the end of this file)

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


def _p(name, binary=None, args=(), stdin=None, env=None, small=False,
       exit_status=0, signal=None, stderr="", insns=None):
    return {
        "name": name,
        "binary": binary or name,
        "args": list(args),
        "stdin": stdin,
        "env": dict(env or {}),
        "small": small,
        "exit_status": exit_status,
        "signal": signal,
        "stderr": stderr,
        "insns": insns,
    }


PROGRAMS = [
    _p("hello", small=True, insns=None),
    _p("argv_env", args=["alpha", "two words", "", "x=y", "--flag"],
       env={"NBEMU_TEST": "hello", "NBEMU_OTHER": "a=b c", "NOT_NBEMU": "hidden"},
       small=True, exit_status=6, insns=None),
    _p("argv_env_noargs", binary="argv_env", small=True, exit_status=1, insns=None),
    _p("fileio", args=[TMPDIR_PLACEHOLDER], small=True, insns=None),
    _p("malloc_stress", insns=None),
    _p("qsort", insns=None),
    _p("strings", insns=None),
    _p("intarith", exit_status=114, insns=None),
    _p("sprintf", insns=None),
    _p("setjmp", small=True, insns=None),
    _p("recursion", exit_status=47, insns=None),
    _p("opt_O0", insns=None),
    _p("opt_O3", insns=None),
    _p("pie", small=True, insns=None),
    _p("stdin_echo", stdin=STDIN_TEXT, small=True, exit_status=5, insns=None),
    _p("stdin_echo_empty", binary="stdin_echo", stdin=b"", small=True, insns=None),
    _p("exit_code", small=True, exit_status=42,
       stderr="exit_code: this goes to stderr\n", insns=None),
    _p("illegal", small=True, exit_status=128 + 4, signal=4,
       stderr=QEMU_SIGILL_STDERR, insns=None),
    _p("segv", small=True, exit_status=128 + 11, signal=11,
       stderr=QEMU_SIGSEGV_STDERR, insns=None),
]

# Programs whose stdout must be identical to each other.
SAME_OUTPUT = [("opt_O0", "opt_O3")]

BY_NAME = {p["name"]: p for p in PROGRAMS}
