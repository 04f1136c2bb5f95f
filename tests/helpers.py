"""Plain helpers shared by the test modules in unit/, integration/ and faults/.

Import them as ``from helpers import ...``: pytest puts this folder (the root
``conftest.py``'s) on ``sys.path``, as it does for ``import_graph``.
"""

from __future__ import annotations

import json
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
