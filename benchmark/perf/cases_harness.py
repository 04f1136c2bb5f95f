"""Perf cases of the harness: overhead per cell, the --n-jobs speed-up, the quick bench."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmark.base import Detector
from benchmark.perf import Figure, perf_case
from benchmark.registry import datasets, detectors, register_detector

_N_VARIANTS = 8  # x 13 data sets x 5 folds = 520 cells


@register_detector("perf-trivial", hidden=True)
class Trivial(Detector):
    """A detector that costs nothing: the distance of a row to the training mean."""

    def __init__(self, p: float = 2.0):
        self.p = p

    def _fit(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(axis=0)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return np.linalg.norm(X - self.mean_, ord=self.p, axis=1)


def _run(work: Path, name: str, **config) -> tuple[float, float, int]:
    """Run a config in ``work/name``: (wall seconds, summed fit + score seconds, cells)."""
    from benchmark.engine.harness import RunConfig, run

    output = work / name
    start = time.perf_counter()
    summary = run(RunConfig(output=output, splits_dir=work / "splits", **config), progress=False)
    wall = time.perf_counter() - start
    inside = 0.0
    for path in (output / "cells").rglob("*.json"):
        record = json.loads(path.read_text())
        inside += record.get("fit_seconds", 0.0) + record.get("score_seconds", 0.0)
    if summary.n_failed:
        raise RuntimeError(f"{summary.n_failed} cells of the perf run {name} failed")
    return wall, inside, summary.n_cells


@perf_case(
    "harness-overhead",
    f"wall time per cell the harness adds (planning, a task per cell to a warm worker, "
    f"locks, atomic writes, the tables) for a detector that costs nothing: "
    f"{_N_VARIANTS} variants x 13 data sets x 5 folds, --n-jobs 1",
)
def _overhead(args: argparse.Namespace) -> list[Figure]:
    variants = {f"trivial-{i}": ("perf-trivial", {"p": 2.0 + i}) for i in range(_N_VARIANTS)}
    with tempfile.TemporaryDirectory() as tmp:
        wall, inside, n = _run(
            Path(tmp),
            "overhead",
            datasets=list(datasets()),
            detectors=list(variants),
            variants=variants,
        )
    per_cell = (wall - inside) / n * 1000
    return [
        Figure(
            case="harness-overhead",
            what=f"{n} cells in {wall:.1f} s, of which {inside:.1f} s inside fit and score",
            value=per_cell,
            unit="ms/cell",
            target=30.0,
            higher_is_better=False,
            details={"cells": n, "wall_s": wall, "fit_score_s": inside},
        )
    ]


_SPEEDUP_DETECTORS = ["ocan", "rgan", "ocsvm", "gmm", "dagmm", "ocnn-network"]


@perf_case(
    "n-jobs-speedup",
    "the same quick-preset cells (thyroid and vowels, six detectors, 5 folds) with "
    "--n-jobs 1 and --n-jobs 2, one after the other: the ratio of their wall times",
)
def _speedup(args: argparse.Namespace) -> list[Figure]:
    config = dict(datasets=["thyroid", "vowels"], detectors=_SPEEDUP_DETECTORS)
    with tempfile.TemporaryDirectory() as tmp:
        one, _, n = _run(Path(tmp), "one", n_jobs=1, **config)
        two, _, _ = _run(Path(tmp), "two", n_jobs=2, **config)
    return [
        Figure(
            case="n-jobs-speedup",
            what=f"{n} cells: --n-jobs 1 {one:.1f} s, --n-jobs 2 {two:.1f} s "
            f"({os.cpu_count()} CPUs seen; a busy machine lowers the ratio)",
            value=one / two,
            unit="x",
            target=1.7,
            details={"cells": n, "n_jobs_1_s": one, "n_jobs_2_s": two},
        )
    ]


@perf_case(
    "quick-bench",
    "the whole quick bench (every bundled data set and detector, 5 folds, --n-jobs 2) "
    "from nothing: cells per minute of wall time, splits and report included",
)
def _bench(args: argparse.Namespace) -> list[Figure]:
    config = dict(datasets=list(datasets()), detectors=list(detectors()), n_jobs=2)
    with tempfile.TemporaryDirectory() as tmp:
        wall, inside, n = _run(Path(tmp), "bench", **config)
    return [
        Figure(
            case="quick-bench",
            what=f"{n} cells in {wall:.0f} s ({inside:.0f} s inside fit and score, summed)",
            value=n / wall * 60,
            unit="cells/min",
            details={"cells": n, "wall_s": wall, "fit_score_s": inside},
        )
    ]
