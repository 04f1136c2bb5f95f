"""Concurrent runs on one output folder: per-cell locks, no cell computed twice.

Two real command-line runs start at the same moment on the same folder; both finish
with every cell, each cell computed exactly once (never by both runs, never at the same
time), results equal to a single run's. A cell locked by a live process waits for it;
a lock file left by a dead process is taken over.
"""

from __future__ import annotations

from benchmark.faults.cli_trials import concurrency_trial
from benchmark.faults.inprocess_trials import lock_trial
from benchmark.store.locking import CellLock


def test_two_runs_at_once_compute_each_cell_once(tmp_path, reference):
    outcome = concurrency_trial(tmp_path, reference, runs=2)
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.lost == 0 and outcome.recomputed == 0


def test_live_lock_is_waited_for_and_dead_lock_is_recovered(tmp_path):
    outcome = lock_trial(tmp_path)
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.survived == outcome.trials == 2


def test_cell_lock_excludes_a_second_holder_and_names_the_first(tmp_path):
    first, second = CellLock(tmp_path / "c.lock"), CellLock(tmp_path / "c.lock")
    assert first.acquire() and not second.acquire(wait=False)
    assert f'"pid": {__import__("os").getpid()}' in (tmp_path / "c.lock").read_text()
    first.release()
    assert second.acquire(wait=False)
    second.release()
