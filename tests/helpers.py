"""Plain helpers shared by the test modules in unit/, integration/ and faults/.

Import them as ``from helpers import ...``: pytest puts this folder (the root
``conftest.py``'s) on ``sys.path``, as it does for ``import_graph``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from benchmark.data.dataset import Dataset
from benchmark.engine.config import RunConfig

#: The repository root (this file sits in tests/).
ROOT = Path(__file__).resolve().parents[1]


def blobs(
    name: str,
    seed: int,
    *,
    n_normal: int = 80,
    n_anomalies: int = 6,
    shift: float = 6,
    d: int = 3,
    source: str | None = None,
) -> Dataset:
    """Normals from N(0, 1) in ``d`` dimensions, then anomalies from N(shift, 1); seeded.

    ``source`` defaults to ``"<name>.csv"`` (a user's file); pass ``""`` for none.
    """
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n_normal, d)), rng.normal(shift, 1, (n_anomalies, d))])
    y = np.r_[np.zeros(n_normal), np.ones(n_anomalies)]
    return Dataset(name, X, y, source=f"{name}.csv" if source is None else source)


def run_config(tmp_path: Path, name: str = "run", **kw) -> RunConfig:
    """A small run into ``tmp_path / name`` with its splits in ``tmp_path / "splits"``:
    gmm on vowels, 2 folds, unless ``kw`` says otherwise (any RunConfig field)."""
    base = dict(
        datasets=["vowels"],
        detectors=["gmm"],
        folds=2,
        output=tmp_path / name,
        splits_dir=tmp_path / "splits",
    )
    return RunConfig(**(base | kw))


def cell_events(path: Path, since: float = float("-inf")) -> list[tuple[int, str, str]]:
    """(pid, kind, cell) of each event in an event log (``EVENT_LOG``) from ``since`` on;
    none if the log does not exist (yet)."""
    out = []
    for line in path.read_text().splitlines() if path.exists() else []:
        t, pid, kind, cell = line.split()[:4]
        if float(t) >= since:
            out.append((int(pid), kind, cell))
    return out


def assert_clean(outcome) -> None:
    """A fault trial's outcome: no problem found, no cell lost, every trial survived."""
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.lost == 0 and outcome.survived == outcome.trials


def saved_cells(output: Path) -> dict[str, tuple[dict, dict]]:
    """Every saved cell of a run folder: its record and score arrays, by cell name."""
    out = {}
    for path in sorted((output / "cells").rglob("*.json")):
        name = str(path.relative_to(output / "cells").with_suffix(""))
        with np.load(path.with_suffix(".npz")) as npz:
            out[name] = (json.loads(path.read_text()), {k: npz[k] for k in npz.files})
    return out


def _kill_at_start(events: Path, since: float, kills: dict[str, int], stop: threading.Event):
    """Kill the worker process that starts one of ``kills``' cells, that many times each."""
    done: set[int] = set()
    while not stop.is_set():
        for pid, kind, cell in cell_events(events, since):
            if kind == "start" and kills.get(cell, 0) > 0 and pid not in done:
                os.kill(pid, signal.SIGKILL)
                kills[cell] -= 1
                done.add(pid)
        time.sleep(0.02)


def run_killing(config: RunConfig, events: Path, kills: dict[str, int]):
    """Run ``config`` (on a cluster whose workers log to ``events``), SIGKILLing the worker
    process that starts each of ``kills``' cells, that many times; the run's summary and
    the events it logged."""
    from benchmark.engine.harness import run

    since, stop = time.time(), threading.Event()
    killer = threading.Thread(target=_kill_at_start, args=(events, since, kills, stop))
    killer.start()
    try:
        return run(config, progress=False), cell_events(events, since)
    finally:
        stop.set()
        killer.join()


@contextmanager
def dask_cluster(events: Path, n_workers: int):
    """A local Dask cluster of ``n_workers`` one-thread worker processes that log each
    cell they start and end to ``events`` (``cluster.events``), restarted workers too, and
    retry a task whose worker died as often as the suite's local clusters do."""
    import dask
    import distributed

    from benchmark.engine.dask_backend import LOCAL_ALLOWED_FAILURES
    from benchmark.engine.tasks import EVENT_LOG

    with dask.config.set({"distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES}):
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=":0",
            env={EVENT_LOG: str(events)},  # also for the workers a nanny restarts
        )
    cluster.events = events
    try:
        yield cluster
    finally:
        cluster.close()


def one_fold_on_dask(tmp_path: Path, cluster, detectors: list[str], **extra) -> RunConfig:
    """One half-normal fold of vowels for ``detectors`` on ``cluster``, into
    ``tmp_path / "run"``."""
    return RunConfig(
        datasets=["vowels"],
        detectors=detectors,
        protocol="half-normal",
        folds=1,
        output=tmp_path / "run",
        splits_dir=tmp_path / "splits",
        backend="dask",
        scheduler=cluster.scheduler_address,
        **extra,
    )
