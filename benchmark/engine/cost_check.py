"""Check the cost model against a finished run: ``python -m benchmark.engine.cost_check RUN``.

For every successful cell of the run folder, the calibrated model's estimate (what
``--dry-run`` would have said, fold batching included) beside the seconds the cell
recorded (fit + score; a fold of a batched group records its share of the group's time).
Per detector: cells, how many of them recorded CPU time, measured and estimated totals,
their ratio and the relative error of the total, the number
``docs/architecture/cost-model.md`` quotes. A cell's CPU time is used where it was
recorded (the model predicts CPU time on one thread); older cells have only the wall
clock, which reads slower than the model when the run shared its cores with other work.
``--datasets`` restricts the check to some data sets: with ``--calibration`` set to a
calibration fitted before those cells existed, a held-out check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from benchmark.engine.cost import Calibration, load_calibration
from benchmark.engine.cost_records import recorded_cells

__all__ = ["compare", "main"]


def compare(
    run_dir: Path,
    calibration: Calibration | None = None,
    cpu_timed: bool = False,
    datasets: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per detector label: cells, measured and estimated seconds, estimate / measured;
    with ``cpu_timed``, over the cells that recorded CPU time only; with ``datasets``,
    over those data sets' cells only."""
    calibration = calibration or load_calibration()
    rows = [
        [c.label, c.dataset, c.cpu, c.seconds, calibration.seconds(c.detector, c.terms)]
        for c in recorded_cells([run_dir])
        if (c.cpu or not cpu_timed) and (datasets is None or c.dataset in datasets)
    ]
    columns = ["detector", "dataset", "cpu", "measured_s", "estimated_s"]
    frame = pd.DataFrame(rows, columns=columns)
    out = frame.groupby("detector").agg(
        cells=("measured_s", "size"),
        cpu_timed=("cpu", "sum"),
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
    parser.add_argument(
        "--cpu-timed",
        action="store_true",
        help="only the cells that recorded CPU time (the wall clock of the others measures"
        " the machine's load too)",
    )
    parser.add_argument(
        "--datasets",
        default=None,
        help="comma-separated data sets: only their cells (e.g. the ones a calibration"
        " given with --calibration was not fitted on)",
    )
    args = parser.parse_args(argv)
    if not (args.run_dir / "cells").is_dir():
        print(f"error: {args.run_dir} has no cells/ folder: not a run folder", file=sys.stderr)
        return 2
    names = None
    if args.datasets is not None:
        names = [n.strip() for n in args.datasets.split(",") if n.strip()]
        present = sorted(p.name for p in (args.run_dir / "cells").iterdir() if p.is_dir())
        unknown = [n for n in names if n not in present]
        if unknown or not names:
            print(
                f"error: --datasets {args.datasets!r}: no cells of {', '.join(unknown) or 'any'}"
                f" in {args.run_dir}; its data sets are {', '.join(present) or 'none'}",
                file=sys.stderr,
            )
            return 2
    table = compare(args.run_dir, load_calibration(args.calibration), args.cpu_timed, names)
    if table.empty:
        print(f"{args.run_dir}: no finished cell with a cost model to compare", file=sys.stderr)
        return 1
    total = table[["measured_s", "estimated_s"]].sum()
    print(table.round(3).to_string())
    hours = total / 3600
    print(f"total: measured {hours.measured_s:.2f} h, estimated {hours.estimated_s:.2f} h")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
