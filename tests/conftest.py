import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from nbemu.runtime import jit

ROOT = pathlib.Path(__file__).resolve().parent.parent
# detached compile workers of in-process emulators at nice 0 too (see run_nbemu_cli)
jit.DETACHED_NICE = 0
GUEST = ROOT / 'tests' / 'guest'


def shared_cache_dir():
    """One code cache for the whole test session (and across sessions), so the interpreter is
    compiled once and TBs compiled by one test are loaded by the next."""
    d = os.environ.get('NBEMU_CACHE_DIR') or str(ROOT / '.nbemu-cache')
    os.environ['NBEMU_CACHE_DIR'] = d
    return d


@pytest.fixture(scope='session')
def cache_dir():
    return shared_cache_dir()


@pytest.fixture(scope='session')
def qemu():
    exe = shutil.which('qemu-aarch64')
    if exe is None:
        pytest.fail('qemu-aarch64 (Debian qemu-user) is required as the reference; .ci/run installs it')
    return exe


def run_nbemu_cli(args, stdin=None, env=None, cwd=None, timeout=900):
    """Run `python -m nbemu args...` and return the CompletedProcess (bytes). The environment
    is exactly the guest's (nbemu passes its own to the guest), so the cache directory goes on
    the command line and the package is found from the working directory."""
    e = dict(env if env is not None else os.environ)
    if not any(a.startswith('--cache-dir') for a in args) and 'NBEMU_CACHE_DIR' not in e:
        args = ['--cache-dir', shared_cache_dir()] + list(args)
    # run this checkout's nbemu whatever is installed, without touching the guest's environment;
    # its detached compile workers at nice 0 (jit.DETACHED_NICE: the suite waits for them)
    launcher = (f'import sys; sys.path.insert(0, {str(ROOT)!r}); from nbemu.runtime import jit; '
                f'jit.DETACHED_NICE = 0; from nbemu.cli import main; sys.exit(main())')
    return subprocess.run([sys.executable, '-c', launcher] + list(args), input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, env=e, cwd=cwd or ROOT, timeout=timeout)
