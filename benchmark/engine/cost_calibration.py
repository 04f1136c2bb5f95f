"""Calibrate the cost models on this machine: ``python -m benchmark.engine.cost_calibration``.

Every registered detector with a cost model (``register_detector(..., cost=...)``; see
:mod:`benchmark.engine.cost`) is fitted and scored on
synthetic data at a few sizes, widths and budgets chosen so that each of its terms
varies, with one math thread, as a cell runs. The process's CPU time is measured, not the
wall clock, so a busy machine does not inflate the model. The coefficients are the
non-negative least squares fit of the measured seconds on the terms, each point weighted
by 1/seconds (a fit of relative errors: a cell of 0.1 s matters as much as one of 10 s).
The result is written beside the user's results, to ``results/cost_calibration.json``
(``--output``), with the machine, the versions and each detector's worst relative error on
its own points; runs from that directory then use it instead of the calibration shipped
with the suite. It takes about three minutes.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from benchmark.engine.cost import USER_CALIBRATION, cost_model, model_terms
from benchmark.engine.cost_records import recorded_cells
from benchmark.engine.limits import limit_threads
from benchmark.registry import detectors, load_plugins

__all__ = ["calibrate", "calibrate_from_runs", "calibration_points", "fit_coefficients", "main"]

_WIDTHS = (6, 36, 120, 274)


def calibration_points(name: str) -> list[dict]:
    """The (n_train, n_test, d, parameter overrides) a detector is timed at."""
    model = cost_model(name)
    if name == "anogan":
        budgets = [(50, 64, 10), (250, 64, 10), (100, 256, 10), (50, 64, 40)]
        return [
            dict(n=1000, m=300, d=d, over=dict(max_steps=s, batch_size=b, search_steps=q))
            for d in _WIDTHS
            for s, b, q in budgets
        ]
    if model.neural:
        budgets = [(50, 64), (250, 64), (100, 256)]
        return [
            dict(n=1000, m=500, d=d, over=dict(max_steps=s, batch_size=b))
            for d in _WIDTHS
            for s, b in budgets
        ]
    sizes = {
        # small sets too: most of the bundled ones have a few hundred to a few thousand rows
        "ocnn-neighbor": [(300, 150), (1000, 500), (3000, 1500), (6000, 3000)],
        "ocsvm": [(1000, 500), (2000, 2000), (4000, 500), (4000, 2000)],
        "gmm": [(2000, 1000), (8000, 1000), (4000, 4000)],
    }.get(name, [(500, 250), (2000, 1000), (4000, 2000)])
    widths = (10, 50) if name == "gmm" else (10, 100)
    return [dict(n=n, m=m, d=d, over={}) for n, m in sizes for d in widths]


def _data(n: int, d: int, seed: int) -> np.ndarray:
    """Rows of a few Gaussian modes in [0, 1]: what a scaled data set looks like."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.2, 0.8, size=(4, d))
    X = centres[rng.integers(0, 4, size=n)] + rng.normal(0, 0.05, size=(n, d))
    return np.clip(X, 0, 1)


def _time_point(name: str, point: dict) -> tuple[list[float], float]:
    spec = detectors()[name]
    params = spec.params("paper") | point["over"]
    if "random_state" in spec.param_names:
        params["random_state"] = 0
    if "device" in spec.param_names:
        params["device"] = "cpu"
    X, X_test = _data(point["n"], point["d"], 0), _data(point["m"], point["d"], 1)
    start = time.process_time()  # CPU seconds: what the model predicts, whatever the load
    spec.cls(**params).fit(X).decision_function(X_test)
    seconds = time.process_time() - start
    terms = model_terms(name, spec.cls, params, point["n"], point["m"], point["d"])
    return terms, seconds


def fit_coefficients(
    A: np.ndarray, t: np.ndarray, relative: bool = True
) -> tuple[np.ndarray, dict]:
    """Non-negative coefficients of the terms ``A`` (points x terms) for the seconds ``t``,
    with the fit's quality on those points.

    ``relative``: least squares on relative errors (each point's equation divided by its
    time), for designed points of a few seconds each; else on seconds, so the long cells
    (where a run's time is) weigh most: on recorded cells the relative fit put the paper
    preset's neural cells at 0.63-0.91 of their recorded total, the absolute one at
    0.97-1.06 (docs/architecture/cost-model.md).
    """
    t = np.maximum(t, 1e-3)  # a cell that recorded 0 s (a clock's resolution)
    scale = np.maximum(A.max(axis=0), 1e-300)  # columns of wildly different sizes
    weight = 1.0 / t if relative else np.ones_like(t)
    coef, _ = nnls((A / scale) * weight[:, None], t * weight)
    coef = coef / scale
    predicted = A @ coef
    quality = {
        "points": len(t),
        "seconds_measured": float(t.sum()),
        "worst_relative_error": round(float(np.max(np.abs(predicted - t) / t)), 3),
        "total_relative_error": round(float(abs(predicted.sum() - t.sum()) / t.sum()), 3),
    }
    return coef, quality


def _report(name: str, quality: dict) -> None:
    print(
        f"{name}: {quality['points']} points, {quality['seconds_measured']:.1f} s, worst error"
        f" {quality['worst_relative_error']:.0%}, error of the total"
        f" {quality['total_relative_error']:.0%}",
        flush=True,
    )


def calibrate(names: list[str], progress: bool = True) -> dict:
    """Time every point of ``names`` and fit their coefficients; the calibration record."""
    coefficients, quality = {}, {}
    for name in names:
        rows, times = [], []
        for point in calibration_points(name):
            terms, seconds = _time_point(name, point)
            rows.append(terms)
            times.append(seconds)
        coef, quality[name] = fit_coefficients(
            np.asarray(rows, dtype=np.float64), np.asarray(times)
        )
        coefficients[name] = [float(c) for c in coef]
        if progress:
            _report(name, quality[name])
    return {"coefficients": coefficients, "quality": quality}


#: A detector with at least this many CPU-timed cells per term is fitted on those alone.
CPU_CELLS_PER_TERM = 5


def calibrate_from_runs(names: list[str], run_dirs: list[Path], progress: bool = True) -> dict:
    """Fit ``names``' coefficients on the ok cells of finished runs (their recorded fit +
    score seconds); a detector with fewer cells than terms keeps no coefficients.

    Cells that recorded CPU time (since 2026-12-05) measure the work whatever else shared
    the cores; older cells only the wall clock, which a busy machine stretches (1.7-2.4x
    under three extra busy loops, CPU time 0.99-1.13x; CHANGELOG). So a detector with
    :data:`CPU_CELLS_PER_TERM` CPU-timed cells per term is fitted on those alone; else on
    every cell, and ``quality`` says which (``cpu_timed``).
    """
    recorded: dict[str, list] = {}
    for cell in recorded_cells(run_dirs):
        if cell.detector in names:
            recorded.setdefault(cell.detector, []).append(cell)
    points: dict[str, tuple[list, list, bool]] = {}
    for name, cells in recorded.items():
        cpu = [c for c in cells if c.cpu]
        use = cpu if len(cpu) >= CPU_CELLS_PER_TERM * len(cells[0].terms) else cells
        points[name] = ([c.terms for c in use], [c.seconds for c in use], use is cpu)
    coefficients, quality = {}, {}
    for name in names:
        rows, times, cpu_only = points.get(name, ([], [], False))
        if not rows or len(rows) <= len(rows[0]):
            if progress:
                print(f"{name}: {len(rows)} recorded cells, too few to fit; left out", flush=True)
            continue
        A = np.asarray(rows, dtype=np.float64)
        coef, quality[name] = fit_coefficients(A, np.asarray(times), relative=False)
        quality[name]["runs"] = [str(d) for d in run_dirs]
        quality[name]["cpu_timed"] = cpu_only
        coefficients[name] = [float(c) for c in coef]
        if progress:
            _report(name, quality[name])
    return {"coefficients": coefficients, "quality": quality}


def _versions() -> dict:
    import sklearn
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: calibrate the chosen detectors and write the calibration file."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.engine.cost_calibration")
    parser.add_argument("--detectors", default="all", help="comma-separated names or 'all'")
    parser.add_argument(
        "--output", type=Path, default=USER_CALIBRATION, help="default: %(default)s"
    )
    parser.add_argument(
        "--from-runs",
        nargs="+",
        type=Path,
        metavar="RUN_DIR",
        help="fit on the ok cells these finished runs recorded instead of timing synthetic fits",
    )
    args = parser.parse_args(argv)
    missing = [str(d) for d in args.from_runs or [] if not (d / "cells").is_dir()]
    if missing:
        print(f"error: not a run folder (no cells/): {', '.join(missing)}", file=sys.stderr)
        return 2
    load_plugins()
    modelled = sorted(n for n, spec in detectors().items() if spec.cost is not None)
    names = modelled if args.detectors == "all" else args.detectors.split(",")
    unknown = [n for n in names if n not in modelled]
    if unknown:
        print(f"error: no cost model for {unknown}; known: {modelled}", file=sys.stderr)
        return 2
    if args.from_runs:
        record = calibrate_from_runs(names, args.from_runs)
        record["source"] = "the ok cells recorded by " + ", ".join(map(str, args.from_runs))
    else:
        limit_threads(1)  # as every cell runs
        record = calibrate(names)
    old = {}
    if args.output.exists() and (args.detectors != "all" or args.from_runs):
        # keep the coefficients of the detectors not (re)fitted here
        old = json.loads(args.output.read_text())
    for key in ("coefficients", "quality"):
        record[key] = old.get(key, {}) | record[key]
    uname = platform.uname()
    record |= {
        "machine": f"{uname.node} {uname.machine}, {platform.processor() or 'cpu'}, one thread",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmark.engine.cost_calibration " + " ".join(argv or sys.argv[1:]),
        "versions": _versions(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
