"""Real threaded Debian arm64 programs (from bench/fetch_debian.sh's sysroot) under nbemu and
qemu-aarch64 -L: the same stdout and exit status, and for the compressors the same compressed
bytes (zstd's and xz's multi-threaded output does not depend on how the threads interleave).
zstd -T2 -19 and -T0 (worker threads on condition variables), xz -T2 (its own thread pool), and
python3.11 with threading (Lock, Queue, Condition, ThreadPoolExecutor) and subprocess (fork and
exec of /bin/echo from a process whose compile thread may be mid-read at the fork). Skipped
when the sysroot lacks the program (bench/fetch_debian.sh installs them)."""
import os
import random
import subprocess
import time

import pytest

from conftest import ROOT, run_nbemu_cli

SYSROOT = ROOT / 'bench' / 'sysroot'
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': '/nonexistent'}


def need(*progs):
    for prog in progs:
        if not (SYSROOT / prog.lstrip('/')).exists():
            pytest.skip(f'{prog} is not in {SYSROOT} (bench/fetch_debian.sh installs it)')


def corpus(n, seed=1):
    """n bytes that compress as text does: words drawn from a small vocabulary."""
    rng = random.Random(seed)
    words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9)))
             for _ in range(500)]
    out, size = [], 0
    while size < n:
        w = rng.choice(words) + rng.choice(' \n ,.')
        out.append(w)
        size += len(w)
    return ''.join(out).encode()[:n]


def both(qemu, argv, tmp_path, stdin=None):
    """(qemu's, nbemu's) CompletedProcess, with the wall times, for argv in the sysroot."""
    t0 = time.monotonic()
    ref = subprocess.run([qemu, '-L', str(SYSROOT)] + argv, input=stdin, capture_output=True,
                         env=ENV, cwd=tmp_path, timeout=300)
    t1 = time.monotonic()
    got = run_nbemu_cli(['-L', str(SYSROOT)] + argv, stdin=stdin, env=ENV, cwd=tmp_path,
                        timeout=600)
    t2 = time.monotonic()
    print(f'{argv[0]}: qemu {t1 - t0:.2f} s, nbemu {t2 - t1:.2f} s')
    assert got.returncode == ref.returncode, got.stderr.decode(errors='replace')[-3000:]
    assert got.stdout == ref.stdout
    return ref, got


# level 19 costs nbemu ~10x what the default level does per byte
@pytest.mark.parametrize('flags, size', [(['-T2', '-19'], 120_000), (['-T0'], 400_000)],
                         ids=['T2-19', 'T0'])
def test_zstd_threads(flags, size, qemu, tmp_path):
    need('/usr/bin/zstd')
    data = corpus(size)
    (tmp_path / 'in').write_bytes(data)
    ref, got = both(qemu, [str(SYSROOT / 'usr/bin/zstd')] + flags + ['-c', 'in'], tmp_path)
    assert ref.returncode == 0 and len(got.stdout) < len(data) // 2
    (tmp_path / 'in.zst').write_bytes(got.stdout)
    _, back = both(qemu, [str(SYSROOT / 'usr/bin/zstd'), '-T2', '-d', '-c', 'in.zst'], tmp_path)
    assert back.stdout == data


def test_xz_threads(qemu, tmp_path):
    need('/usr/bin/xz')
    data = corpus(200_000)
    (tmp_path / 'in').write_bytes(data)
    # a small block size, so that two blocks are compressed at once by the two threads
    ref, got = both(qemu, [str(SYSROOT / 'usr/bin/xz'), '-T2', '-1', '--block-size=64KiB',
                           '-c', 'in'], tmp_path)
    assert ref.returncode == 0 and len(got.stdout) < len(data) // 2
    (tmp_path / 'in.xz').write_bytes(got.stdout)
    _, back = both(qemu, [str(SYSROOT / 'usr/bin/xz'), '-T2', '-d', '-c', 'in.xz'], tmp_path)
    assert back.stdout == data


PY_THREADS = r'''
import threading, queue
from concurrent.futures import ThreadPoolExecutor
lock = threading.Lock()
total = [0]
def work(n):
    for i in range(n):
        with lock:
            total[0] += 1
ts = [threading.Thread(target=work, args=(100,)) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print('lock total', total[0])
q = queue.Queue(maxsize=4)
out = []
def producer():
    for i in range(50): q.put(i)
    q.put(None)
def consumer():
    while (x := q.get()) is not None:
        out.append(x * 2)
a, b = threading.Thread(target=producer), threading.Thread(target=consumer)
a.start(); b.start(); a.join(); b.join()
print('queue sum', sum(out))
cv = threading.Condition()
state = {'ready': False, 'woken': 0}
def waiter():
    with cv:
        while not state['ready']:
            cv.wait()
        state['woken'] += 1
ws = [threading.Thread(target=waiter) for _ in range(3)]
for w in ws: w.start()
with cv:
    state['ready'] = True
    cv.notify_all()
for w in ws: w.join()
print('condition woke', state['woken'])
with ThreadPoolExecutor(max_workers=3) as ex:
    print('pool', sum(ex.map(lambda x: x * x, range(60))))
'''


def test_python_threading(qemu, tmp_path):
    need('/usr/bin/python3.11', '/usr/lib/python3.11/concurrent/futures/thread.py')
    (tmp_path / 't.py').write_text(PY_THREADS)
    ref, _ = both(qemu, [str(SYSROOT / 'usr/bin/python3.11'), 't.py'], tmp_path)
    assert ref.stdout == b'lock total 400\nqueue sum 2450\ncondition woke 3\npool 70210\n'


def test_python_subprocess(qemu, tmp_path):
    need('/usr/bin/python3.11', '/bin/echo')
    (tmp_path / 's.py').write_text("import subprocess\n"
                                   "r = subprocess.run(['echo', 'hi'], capture_output=True)\n"
                                   "print(r.stdout, r.returncode)\n")
    ref, _ = both(qemu, [str(SYSROOT / 'usr/bin/python3.11'), 's.py'], tmp_path)
    assert ref.stdout == b"b'hi\\n' 0\n"
