"""Warm workers: one process computes cell after cell, with the numbers a fresh process
gives, and is replaced when it is killed, dies or outgrows its memory budget."""

from __future__ import annotations

from collections import defaultdict

from helpers import cell_events, run_config

from benchmark.engine.harness import RunConfig, run
from benchmark.engine.tasks import EVENT_LOG


def _config(tmp_path, name: str = "run", **kw) -> RunConfig:
    base = dict(detectors=["gmm", "rgan"], n_jobs=1, fold_batching=False)
    return run_config(tmp_path, name, **(base | kw))


def _pids(events) -> dict[str, set[int]]:
    """Cell name -> the pids that started computing it (from the audit file)."""
    out: dict[str, set[int]] = defaultdict(set)
    for pid, kind, cell in cell_events(events):
        if kind == "start":
            out[cell].add(pid)
    return out


def test_one_worker_computes_every_cell_of_a_job_slot(tmp_path, monkeypatch):
    events = tmp_path / "events.log"
    monkeypatch.setenv(EVENT_LOG, str(events))
    summary = run(_config(tmp_path), progress=False)
    assert summary.complete and summary.n_computed == 4
    pids = _pids(events)
    assert len(pids) == 4 and len(set().union(*pids.values())) == 1


def test_a_cell_computed_after_others_in_a_worker_equals_one_computed_first(tmp_path):
    # The last cell of a warm worker against the same cell as a fresh worker's first
    # task: the scores must be byte-identical. Exact by construction: same code, same
    # kernels, same shapes, one thread, and the worker restores its starting random
    # states before each task (an unseeded draw would differ here).
    config = _config(tmp_path, detectors=["rgan", "gmm", "ocnn-neighbor"])
    assert run(config, progress=False).complete
    cells = sorted((tmp_path / "run" / "cells" / "vowels").glob("*/fold*.npz"))
    before = {path: path.read_bytes() for path in cells}
    rgan_fold1 = tmp_path / "run" / "cells" / "vowels" / "rgan" / "fold1.npz"
    rgan_fold1.unlink()
    rgan_fold1.with_suffix(".json").unlink()
    again = run(config, progress=False)  # only rgan fold1: a fresh worker's first task
    assert again.n_computed == 1
    assert {path: path.read_bytes() for path in cells} == before


def test_a_worker_over_its_memory_budget_is_replaced_after_its_task(tmp_path, monkeypatch):
    # A worker's resident memory (torch loaded: ~300+ MB) exceeds a 200 MB --memory-limit,
    # so each task ends with a new worker; without the limit one worker does them all.
    events = tmp_path / "events.log"
    monkeypatch.setenv(EVENT_LOG, str(events))
    config = _config(tmp_path, detectors=["gmm", "ocnn-neighbor"], memory_limit_mb=200)
    summary = run(config, progress=False)
    assert summary.complete
    pids = _pids(events)
    assert len(set().union(*pids.values())) == len(pids) == 4


def test_a_worker_killed_on_a_timeout_is_replaced_and_the_run_goes_on(tmp_path, monkeypatch):
    import benchmark.faults.detectors  # noqa: F401  (registers the fault-* test doubles)

    events = tmp_path / "events.log"
    monkeypatch.setenv(EVENT_LOG, str(events))
    config = _config(tmp_path, detectors=["fault-hang", "gmm"], timeout=3.0)
    summary = run(config, progress=False)
    assert summary.n_failed == 2 and summary.n_ok == 2
    assert all("exceeded --timeout" in f["error"] for f in summary.failed)
    starts = [(pid, cell) for pid, kind, cell in cell_events(events) if kind == "start"]
    hung = [i for i, (_, cell) in enumerate(starts) if "fault-hang" in cell]
    assert len(hung) == 2
    for i in hung:  # the hang killed its worker: that pid computes nothing after it
        assert all(pid != starts[i][0] for pid, _ in starts[i + 1 :])
