"""Code cache: edits to any semantics source must never be served stale code, and a second run
of a program loads its compiled TBs instead of compiling them again."""
import re
import shutil
import subprocess
import sys

import pytest

from conftest import GUEST, ROOT, run_nbemu_cli


def _hash_of_tree(tree):
    code = 'from nbemu.gen.source_hash import semantics_hash; print(semantics_hash())'
    return subprocess.run([sys.executable, '-c', code], cwd=tree, capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.mark.parametrize('module', ['core/tbtable.py', 'core/native.py', 'core/memdefs.py',
                                    'gen/translate.py'])
def test_editing_any_module_generated_code_uses_changes_the_hash(tmp_path, module):
    tree = tmp_path / 'tree'
    shutil.copytree(ROOT / 'nbemu', tree / 'nbemu', ignore=shutil.ignore_patterns('__pycache__'))
    before = _hash_of_tree(tree)
    f = tree / 'nbemu' / module
    f.write_text(f.read_text() + '\n# edited\n')
    assert _hash_of_tree(tree) != before


def test_gen_and_core_never_import_runtime():
    """Imports flow one way: runtime -> gen -> core (DESIGN.md)."""
    from nbemu.gen import source_hash
    bad = [f for f in source_hash.source_files() if not f.startswith(('gen/', 'core/'))]
    assert bad == []
    for f in source_hash.source_files():
        if f.startswith('core/'):
            deps = source_hash._imports(f)
            assert all(d.startswith('core/') for d in deps), (f, deps)


PROBE = """
import importlib.util, pathlib, re, sys
from nbemu.gen import interp_builder, decode, emit, translate, source_hash
dec = decode.decoder()
path = pathlib.Path(sys.argv[1]) / 'interp_probe.py'
path.write_text(interp_builder.interpreter_source(dec))
spec = importlib.util.spec_from_file_location('interp_probe', path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))   # numba compiles lazily
tb = translate.TranslatedTB(0x1000, dec.model)
p, a = dec.decode(0x91000421, 0x1000)                              # add x1, x1, #0
tb.insns.append(translate.TBInsn(0x1000, 0x91000421, p, p.handler, a))
for m in re.findall(r'^from (nbemu[.\\w]*) import', emit.tb_source(tb), re.M):
    __import__(m)
root = pathlib.Path(source_hash._ROOT)
used = sorted(pathlib.Path(m.__file__).resolve().relative_to(root).as_posix()
              for n, m in list(sys.modules.items())
              if n.startswith('nbemu.') and getattr(m, '__file__', None))
covered = set(source_hash.source_files())
print([u for u in used if u not in covered])
"""


def test_semantics_hash_covers_every_module_the_generated_code_imports(tmp_path):
    """The hash's file set is found from import statements; check it against every nbemu module
    loaded by importing the generated interpreter and a generated TB's imports."""
    out = subprocess.run([sys.executable, '-c', PROBE, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == '[]', f'modules used by generated code but not in the semantics hash: {out}'


def test_editing_a_helper_changes_the_generated_interpreter(tmp_path):
    tree = tmp_path / 'tree'
    shutil.copytree(ROOT / 'nbemu', tree / 'nbemu', ignore=shutil.ignore_patterns('__pycache__'))
    before = _hash_of_tree(tree)
    helper = tree / 'nbemu' / 'gen' / 'sem' / 'alu.py'
    helper.write_text(helper.read_text().replace('v = ~v', 'v = ~v  # edited'))
    after = _hash_of_tree(tree)
    assert before != after
    # the interpreter module and every TB file embed the hash in their names/contents
    code = ('from nbemu.gen import interp_builder, decode;'
            'print(interp_builder.interpreter_source(decode.decoder()).splitlines()[1])')
    line = subprocess.run([sys.executable, '-c', code], cwd=tree, capture_output=True,
                          text=True, check=True).stdout
    assert after in line


def test_second_run_loads_compiled_tbs(tmp_path):
    cache = tmp_path / 'cache'
    hello = GUEST / 'asm' / 'bin' / 'hello'
    env = {'NBEMU_CACHE_DIR': str(cache), 'PATH': '/usr/bin:/bin'}
    # share the already-built interpreter so only TB compilation is measured
    from conftest import shared_cache_dir
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    first = run_nbemu_cli(['--jit=all', '--stats', str(hello)], env=env)
    second = run_nbemu_cli(['--jit=all', '--stats', str(hello)], env=env)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and first.stdout
    n1 = re.search(rb'TBs compiled by numba: (\d+) \(loaded from cache: (\d+)', first.stderr)
    n2 = re.search(rb'TBs compiled by numba: (\d+) \(loaded from cache: (\d+)', second.stderr)
    assert int(n1.group(1)) > 0
    assert int(n2.group(1)) == 0 and int(n2.group(2)) == int(n1.group(1)) + int(n1.group(2))


def test_second_run_loads_kept_object_code_and_refuses_it_from_another_host(tmp_path):
    """A fresh compile keeps its object code (runtime/native_code.py); a second run loads it
    without numba's cache, and object code whose header names another codegen is not loaded
    (the TB is compiled again)."""
    cache = tmp_path / 'cache'
    hello = GUEST / 'asm' / 'bin' / 'hello'
    env = {'NBEMU_CACHE_DIR': str(cache), 'PATH': '/usr/bin:/bin'}
    from conftest import shared_cache_dir
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    counts = re.compile(rb'TBs compiled by numba: (\d+) \(loaded from cache: (\d+)')
    first = run_nbemu_cli(['--jit=all', '--stats', str(hello)], env=env)
    compiled = int(counts.search(first.stderr).group(1))
    kept = sorted((cache / 'tb' / '__pycache__').glob('*.native'))
    assert compiled > 0 and len(kept) == compiled
    for p in (cache / 'tb' / '__pycache__').glob('*.nb[ic]'):
        p.unlink()
    second = run_nbemu_cli(['--jit=all', '--stats', str(hello)], env=env)
    assert second.stdout == first.stdout and second.returncode == first.returncode == 0
    assert counts.search(second.stderr).groups() == (b'0', str(compiled).encode())
    for p in kept:
        header, rest = p.read_bytes().split(b'\n', 1)
        p.write_bytes(header.replace(b'numba=', b'numba=0') + b'\n' + rest)
    third = run_nbemu_cli(['--jit=all', '--stats', str(hello)], env=env)
    assert third.stdout == first.stdout and third.returncode == 0
    assert counts.search(third.stderr).groups() == (str(compiled).encode(), b'0')


def _cached_tbs(cache):
    return sorted(p.name for p in (cache / 'tb').glob('nbemu_tb_*.py'))


def test_cache_size_limit_evicts_least_recently_used(tmp_path):
    from conftest import shared_cache_dir
    from nbemu.runtime import codecache
    cache = tmp_path / 'cache'
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    env = {'PATH': '/usr/bin:/bin'}
    hello = str(GUEST / 'asm' / 'bin' / 'hello')
    exit42 = str(GUEST / 'asm' / 'bin' / 'exit42')
    assert run_nbemu_cli(['--cache-dir', str(cache), '--jit=all', hello], env=env).returncode == 0
    first = _cached_tbs(cache)
    assert first
    # a limit below what the interpreter alone takes: everything but the interpreter in use goes
    r = run_nbemu_cli(['--cache-dir', str(cache), '--cache-size', '1', '--jit=all', exit42],
                      env=env)
    assert r.returncode == 42
    assert _cached_tbs(cache) == []
    # the interpreter in use is never evicted: the next run needs no rebuild
    assert any('nbemu_interp_' in paths[0] for _, _, paths in codecache.entries(str(cache)))


def test_cache_clear_removes_only_nbemu_files(tmp_path):
    from conftest import shared_cache_dir
    cache = tmp_path / 'cache'
    shutil.copytree(shared_cache_dir(), cache, ignore=shutil.ignore_patterns('tb'))
    (cache / 'mine.txt').write_text('not nbemu')
    env = {'PATH': '/usr/bin:/bin'}
    hello = str(GUEST / 'asm' / 'bin' / 'hello')
    assert run_nbemu_cli(['--cache-dir', str(cache), '--jit=all', hello], env=env).returncode == 0
    r = run_nbemu_cli(['--cache-dir', str(cache), '--cache-clear'], env=env)
    assert r.returncode == 0 and b'removed' in r.stderr
    assert sorted(p.name for p in cache.rglob('*')) == ['mine.txt']


HELPER_PROBE = """
import sys
from numba import types
from nbemu.gen import helper_cache
from nbemu.gen.sem import alu, common
helper_cache.enable(sys.argv[1])
common.rx.compile((types.uint64, types.int64))
print(common.rx.stats.cache_hits and 'hit' or 'miss')
"""


def test_semantics_helpers_cache_is_keyed_by_the_semantics_hash(tmp_path):
    """A second process loads a helper from the cache; an edit to any semantics source (here a
    file the helper itself does not live in) makes it compile again instead of running stale."""
    tree = tmp_path / 'tree'
    shutil.copytree(ROOT / 'nbemu', tree / 'nbemu', ignore=shutil.ignore_patterns('__pycache__'))
    cache = str(tmp_path / 'cache')

    def probe():
        return subprocess.run([sys.executable, '-c', HELPER_PROBE, cache], cwd=tree,
                              capture_output=True, text=True, check=True).stdout.strip()
    assert probe() == 'miss'
    assert probe() == 'hit'
    other = tree / 'nbemu' / 'gen' / 'sem' / 'alu.py'
    other.write_text(other.read_text() + '\n# edited\n')
    assert probe() == 'miss'
    assert probe() == 'hit'


def test_compiled_tb_is_never_served_under_another_cpu_model(cache_dir):
    """A TB compiled under one CPU model is not loaded under another, even where the two decode
    it alike: the generated source, whose hash names the cache file, names the model. MRS
    MIDR_EL1 compiled under cortex-a53, max, then cortex-a53 again reads each model's MIDR."""
    import struct
    from nbemu.gen import emit, features
    from nbemu.runtime.machine import Machine
    from nbemu.runtime.memory import Memory
    code = 0x10000
    words = [0xD5380000, 0x91000421]      # mrs x0, midr_el1; add x1, x1, #0
    sources = {}
    for model in ('cortex-a53', 'max', 'cortex-a53'):
        mem = Memory(1 << 22)
        mem.map(code, 0x1000, 5)
        mem.write(code, b''.join(struct.pack('<I', w) for w in words), need=0)
        m = Machine(mem, jit='all', cache_dir=cache_dir, max_tb_insns=2, cpu_model=model)
        m.state['pc'] = code
        m.run_one_tb()
        assert int(m.state['x'][0, 0]) == features.MODELS[model].midr
        assert m.native_execs == 1          # it ran compiled code
        tb = m.tbc.meta[0]
        sources.setdefault(model, emit.tb_source(tb))
        one = translate_one(model, 0x91000421)
        assert f'CPU model {features.MODELS[model].fingerprint()}' in emit.tb_source(one)
    assert sources['cortex-a53'] != sources['max']
    # a TB both models decode alike still gets one source (and cache file) per model
    assert emit.tb_source(translate_one('cortex-a53', 0x91000421)) != \
        emit.tb_source(translate_one('max', 0x91000421))


def translate_one(model, word):
    from nbemu.gen import decode, translate
    d = decode.decoder(model)
    tb = translate.TranslatedTB(0x1000, d.model)
    p, a = d.decode(word, 0x1000)
    tb.insns.append(translate.TBInsn(0x1000, word, p, p.handler, a))
    return tb
