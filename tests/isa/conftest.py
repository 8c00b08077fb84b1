"""Differential-harness profile selection and the end-of-session harness report.

Profile: NBEMU_HYPOTHESIS_PROFILE=long (or `--long` when pytest is started on tests/isa, where
this conftest is loaded before option parsing) runs many more examples per class; the default
keeps tests/isa within its share of the CI time.

`--long` exists only where this conftest is loaded before option parsing (pytest started on
tests/isa); with `pytest tests` use the environment variable.

Report: per class and tier, the examples run, distinct encodings, the share where both nbemu and
Unicorn executed the instructions, the examples where both faulted the same way, the examples
excused as a NOT_IMPLEMENTED feature, and mismatches. With pytest-xdist the workers send their
counts to the controller, which prints one table; when the controller never loaded this conftest
(`pytest -n 2 tests`, as CI runs it: an xdist controller does not collect), the last worker to
finish prints the merged table instead. NBEMU_ISA_REPORT=path also writes it as JSON.
"""
import json
import os

import pytest

from tests.isa import harness


def pytest_addoption(parser):
    try:
        parser.addoption('--long', action='store_true', default=False,
                         help='nbemu ISA harness: run the long hypothesis profile')
    except ValueError:
        pass


def pytest_configure(config):
    if config.getoption('--long', default=False):
        os.environ['NBEMU_HYPOTHESIS_PROFILE'] = 'long'
    harness.set_profile(os.environ.get('NBEMU_HYPOTHESIS_PROFILE', 'default'))
    config._isa_stats = {}


def _local_stats():
    return {k: v.as_dict() for k, v in harness.STATS.items()}


def pytest_sessionfinish(session):
    config = session.config
    wo = getattr(config, 'workeroutput', None)
    if wo is None:
        return
    # an xdist worker: hand the counts to the controller
    wo['isa_stats'] = json.dumps(_local_stats())
    if not config.workerinput.get('isa_report_controller'):
        _worker_fallback_report(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """Controller side (this conftest is loaded there when pytest is started on tests/isa):
    tell the workers that the controller prints the report."""
    node.workerinput['isa_report_controller'] = True


def _worker_fallback_report(config):
    """`pytest -n 2 tests` (as CI runs it): the xdist controller does not collect, so it never
    loads this conftest and cannot print the report. Each worker then leaves its counts in a
    directory of the run, and the worker that completes the set prints the merged report on
    the terminal's stderr (the workers' stderr is the session's)."""
    import tempfile
    wi = config.workerinput
    d = os.path.join(tempfile.gettempdir(), f"nbemu-isa-report-{wi['testrunuid']}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{wi['workerid']}.json.tmp"), 'w') as f:
        json.dump(_local_stats(), f)
    os.replace(os.path.join(d, f"{wi['workerid']}.json.tmp"),
               os.path.join(d, f"{wi['workerid']}.json"))
    files = [n for n in os.listdir(d) if n.endswith('.json')]
    if len(files) < wi['workercount']:
        return
    try:
        os.close(os.open(os.path.join(d, 'printed'), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    stats = {}
    for n in files:
        with open(os.path.join(d, n)) as f:
            _merge(stats, json.load(f))
    import shutil
    shutil.rmtree(d, ignore_errors=True)
    if stats:
        import sys
        lines = []
        _write_report(stats, lines.append, lambda title: lines.append(f'===== {title} ====='))
        sys.__stderr__.write('\n' + '\n'.join(lines) + '\n')
        sys.__stderr__.flush()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    out = getattr(node, 'workeroutput', None) or {}
    if 'isa_stats' in out:
        _merge(node.config._isa_stats, json.loads(out['isa_stats']))


def _merge(into, stats):
    for k, d in stats.items():
        if k in into:
            for f, v in d.items():
                into[k][f] += v
        else:
            into[k] = dict(d)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    stats = dict(getattr(config, '_isa_stats', {}))
    if getattr(config, 'workerinput', None) is None:
        _merge(stats, _local_stats())
    if stats:
        tr = terminalreporter
        _write_report(stats, tr.write_line, tr.section)


def _write_report(stats, write_line, section):
    section(f'nbemu ISA harness report (profile {harness.PROFILE}; floor: both executed >= '
            f"{harness.FLOOR['off']:.0%} interpreter, {harness.FLOOR['all']:.0%} compiled, "
            f'{harness.SPACE_FLOOR:.0%} for *.space)')
    write_line(f"{'class[tier]':44} {'examples':>8} {'distinct':>8} {'both ran':>9} "
               f"{'faulted':>7} {'excused':>7} {'mismatch':>8}")
    tot = dict.fromkeys(('examples', 'distinct', 'both_ran', 'both_fault', 'excluded',
                         'mismatches'), 0)
    for k in sorted(stats):
        d = stats[k]
        for f in tot:
            tot[f] += d[f]
        share = d['both_ran'] / max(1, d['examples'])
        write_line(f"{k:44} {d['examples']:8} {d['distinct']:8} {share:9.0%} "
                   f"{d['both_fault']:7} {d['excluded']:7} {d['mismatches']:8}")
    share = tot['both_ran'] / max(1, tot['examples'])
    write_line(f"{'total':44} {tot['examples']:8} {tot['distinct']:8} {share:9.0%} "
               f"{tot['both_fault']:7} {tot['excluded']:7} {tot['mismatches']:8}")
    path = os.environ.get('NBEMU_ISA_REPORT')
    if path:
        with open(path, 'w') as f:
            json.dump({'profile': harness.PROFILE, 'classes': stats}, f, indent=1, sort_keys=True)
