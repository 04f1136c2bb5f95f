"""Broken detectors, memory exhaustion and a full disk fail their cells, never the run.

A detector that raises, returns NaN/inf or too few scores, hangs past ``--timeout``, is
killed by the kernel, or whose result cannot be saved: its cell is recorded as failed with
the reason, the other cells finish, Table 1 says ``failed``, the exit code is 1.
"""

from __future__ import annotations

import errno

from benchmark import atomic
from benchmark.cli.main import main
from benchmark.faults.cli_trials import detector_fault_trial
from benchmark.faults.disk import disk_full
from benchmark.faults.inprocess_trials import disk_full_trial, memory_trial


def test_broken_detectors_fail_their_cells_and_the_run_reports_it(tmp_path):
    outcome = detector_fault_trial(tmp_path, timeout=3)
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.survived == outcome.trials == 7


def test_memory_hog_is_stopped_by_the_memory_limit(tmp_path):
    outcome = memory_trial(tmp_path, limit_mib=256)
    assert outcome.problems == [], "\n".join(outcome.problems)


def test_full_disk_fails_cells_cleanly_and_leaves_no_partial_file(tmp_path):
    outcome = disk_full_trial(tmp_path)
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.survived == outcome.trials == 2


def test_atomic_write_on_full_disk_leaves_nothing(tmp_path):
    target = tmp_path / "x.json"
    with disk_full():
        try:
            atomic.atomic_write_json(target, {"a": list(range(1000))})
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        else:  # pragma: no cover
            raise AssertionError("the write should have failed")
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_full_disk_when_writing_tables_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--datasets", "vowels", "--detectors", "gmm", "--folds", "2", "--quiet"]
    argv += ["--output", str(out), "--splits-dir", str(tmp_path / "splits")]
    assert main(argv) == 0  # cells saved by the children
    capsys.readouterr()
    with disk_full():
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert not list(out.rglob("*.tmp"))
