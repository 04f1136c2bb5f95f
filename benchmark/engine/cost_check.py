"""Check the cost model against a finished run: ``python -m benchmark.engine.cost_check RUN``.

For every successful cell of the run folder, the calibrated model's estimate (what
``--dry-run`` would have said, fold batching included) beside the seconds the cell
recorded (fit + score, wall clock; a fold of a batched group records its share of the
group's time). Per detector: cells, measured and estimated totals, their ratio and the
relative error of the total, the number ``docs/architecture/cost-model.md`` quotes.
Cells record wall time, so a run that shared its cores with other work reads slower
than the model (which predicts CPU time on one thread); compare runs made on an idle
machine.
"""

from __future__ import annotations

import argparse
import sys
from functools import cache
from pathlib import Path

import pandas as pd

from benchmark.engine.cost import GROUP_SPEEDUP, Calibration, cell_cost, load_calibration
from benchmark.registry import datasets, get_detector, load_plugins
from benchmark.store.folder import folder_records

__all__ = ["compare", "main"]


@cache
def _width(dataset: str) -> int | None:
    spec = datasets().get(dataset)
    return None if spec is None else int(spec.load().X.shape[1])


def compare(run_dir: Path, calibration: Calibration | None = None) -> pd.DataFrame:
    """Per detector label: cells, measured and estimated seconds, estimate / measured."""
    load_plugins()
    calibration = calibration or load_calibration()
    rows = []
    for rec in folder_records(Path(run_dir)):
        cell = rec.get("cell") or {}
        if rec.get("status") != "ok" or not cell:
            continue
        d = _width(str(cell.get("dataset")))
        try:
            spec = get_detector(str(cell.get("detector")))
        except KeyError:
            continue
        if d is None:
            continue
        params = spec.params(str(cell.get("preset") or "quick")) | dict(cell.get("params") or {})
        grouped = int(rec.get("fit_group") or 1) > 1
        estimate = cell_cost(
            calibration,
            spec.name,
            spec.cls,
            params,
            int(rec.get("n_train_fit") or rec.get("n_train") or 0),
            int(rec.get("n_test") or 0),
            d,
            group_speedup=GROUP_SPEEDUP if grouped else 1.0,
        )
        measured = float(rec.get("fit_seconds") or 0) + float(rec.get("score_seconds") or 0)
        rows.append([cell.get("label"), cell.get("dataset"), measured, estimate])
    frame = pd.DataFrame(rows, columns=["detector", "dataset", "measured_s", "estimated_s"])
    out = frame.groupby("detector").agg(
        cells=("measured_s", "size"),
        measured_s=("measured_s", "sum"),
        estimated_s=("estimated_s", "sum"),
    )
    out["estimate/measured"] = out["estimated_s"] / out["measured_s"]
    out["error"] = (out["estimate/measured"] - 1).abs()
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the comparison for a run folder."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.engine.cost_check")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--calibration", type=Path, default=None, help="a calibration file")
    args = parser.parse_args(argv)
    if not (args.run_dir / "cells").is_dir():
        print(f"error: {args.run_dir} has no cells/ folder: not a run folder", file=sys.stderr)
        return 2
    table = compare(args.run_dir, load_calibration(args.calibration))
    total = table[["measured_s", "estimated_s"]].sum()
    print(table.round(3).to_string())
    hours = total / 3600
    print(f"total: measured {hours.measured_s:.2f} h, estimated {hours.estimated_s:.2f} h")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
