"""The compile worker process (jit.CompileWorker): reads module paths on stdin, compiles each
into the disk cache and answers `ok SECONDS` or `error DETAIL` on stdout, one line each. After a
`detach NICE` line the emulator has exited: the paths after it are compiled without answers, for
at most DETACHED_SECONDS, at that niceness.

    python -m nbemu.runtime.compile_worker CACHE_DIR
"""
import os
import sys
import time


def _yield_cpu(nice):
    try:
        os.nice(nice)
    except OSError:
        pass


def main(cache_dir):
    from nbemu.gen import decode, helper_cache, interp_builder  # noqa: F401 (imports every handler)
    from . import native_code
    from .jit import DETACHED_SECONDS, load_module
    # the same semantics helpers, registered with the same helper cache, as in the emulator
    decode.decoder()
    helper_cache.enable(cache_dir)
    deadline = None
    for line in sys.stdin:
        path = line.rstrip('\n')
        if path.startswith('detach '):  # the emulator is gone: compile what it left, answer
            deadline = time.monotonic() + DETACHED_SECONDS      # no one, in the background
            _yield_cpu(int(path.split()[1]))
            continue
        if deadline is not None and time.monotonic() > deadline:
            return
        t0 = time.perf_counter()
        try:
            native_code.save(path, load_module(path).tb)
            reply = f'ok {time.perf_counter() - t0:.6f}'
        except Exception as e:
            reply = 'error ' + repr(e).replace('\n', ' ')
        if deadline is None:
            try:
                sys.stdout.write(reply + '\n')
                sys.stdout.flush()
            except BrokenPipeError:     # the emulator exited during this compile
                deadline = time.monotonic() + DETACHED_SECONDS


if __name__ == '__main__':
    main(sys.argv[1])
