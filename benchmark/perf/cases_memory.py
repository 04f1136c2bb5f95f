"""Perf cases of memory: the peak of the largest bundled cells and of 500k-row cells."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmark.perf import Figure, perf_case
from benchmark.registry import detectors

_LIMIT_MB = 2048.0  # the bound: no cell may need more than 2 GB


def _peaks(output: Path) -> dict[str, float]:
    """Each saved cell's peak resident memory (MB), by cell name."""
    peaks = {}
    for path in (output / "cells").rglob("*.json"):
        record = json.loads(path.read_text())
        if record.get("status") != "ok":
            raise RuntimeError(f"{path}: {record.get('error')}")
        cell = record["cell"]
        peaks[f"{cell['dataset']}/{cell['label']}/fold{cell['fold']}"] = record["peak_rss_mb"]
    return peaks


def _figure(case: str, what: str, peaks: dict[str, float]) -> Figure:
    worst = max(peaks, key=peaks.get)
    return Figure(
        case=case,
        what=f"{what}; largest: {worst}, {len(peaks)} cells",
        value=peaks[worst],
        unit="MB",
        target=_LIMIT_MB,
        higher_is_better=False,
        details={"cells": len(peaks), "largest_cell": worst, "peaks_mb": peaks},
    )


@perf_case(
    "memory-shuttle",
    "peak resident memory of every quick-preset cell of shuttle (49,097 rows, the largest "
    "bundled set), each in its own child as in a run, --n-jobs 2",
)
def _shuttle(args: argparse.Namespace) -> list[Figure]:
    from benchmark.engine.harness import RunConfig, run

    with tempfile.TemporaryDirectory() as tmp:
        config = RunConfig(
            datasets=["shuttle"],
            detectors=list(detectors()),
            output=Path(tmp) / "run",
            splits_dir=Path(tmp) / "splits",
            n_jobs=2,
        )
        run(config, progress=False)
        return [
            _figure("memory-shuttle", "shuttle, every detector, 5 folds", _peaks(config.output))
        ]


@perf_case(
    "memory-500k",
    "peak resident memory of quick-preset cells on a synthetic 500,000 x 118 data set "
    "(20 % anomalies, 5 folds: about 320,000 training rows a fold), for the detectors in "
    "--memory-detectors (default: the two with the largest peaks in the full 500k run)",
)
def _large(args: argparse.Namespace) -> list[Figure]:
    from benchmark.data.synthetic import gaussian_modes
    from benchmark.engine.harness import RunConfig, run

    names = args.memory_detectors.split(",")
    ds = gaussian_modes(n=500_000, d=118, anomaly_rate=0.2, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        config = RunConfig(
            datasets=[ds.name],
            detectors=names,
            extra_datasets={ds.name: ds},
            output=Path(tmp) / "run",
            splits_dir=Path(tmp) / "splits",
            n_jobs=2,
        )
        run(config, progress=False)
        peaks = _peaks(config.output)
    return [_figure("memory-500k", f"500,000 x 118 rows, {', '.join(names)}, 5 folds", peaks)]
