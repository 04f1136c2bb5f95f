"""What a cell will cost before it runs: a cost model per detector, calibrated on a machine.

Each detector's expected CPU seconds (one math thread) are a sum of terms, each a count of
work the method does times a coefficient measured on this machine::

    seconds = sum_j c_j * term_j(params, n_train, n_test, d)

The neural detectors' terms are their gradient steps (a step costs a constant, Python's
overhead, plus a part growing with the rows per step and the input width), the
classical ones' the operation counts of their algorithms (kNN: ``n_train**2 * d`` for the
leave-one-out training scores and ``n_test * n_train * d`` for the test rows). The
detector declares its model where it registers (``register_detector(..., cost=...)``);
the coefficients come from ``python -m benchmark.engine.cost_calibration`` (fits of a few
seconds on synthetic data, non-negative least squares on relative errors): the suite ships
``benchmark/engine/cost_calibration.json``, and a user's own calibration is written to
``results/cost_calibration.json``, which runs from that directory then use.
``--dry-run`` adds them up per detector; the progress bar weighs each cell by its cost.
A detector without a model or coefficients is estimated at the run's median cell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.engine.plan import PlannedCell
from benchmark.evaluation.cell import TRAIN_CAP
from benchmark.registry import CostModel, get_detector

__all__ = [
    "CALIBRATION_FILE",
    "USER_CALIBRATION",
    "cost_model",
    "GROUP_SPEEDUP",
    "Calibration",
    "calibration_path",
    "cell_cost",
    "estimate_lines",
    "format_seconds",
    "group_terms",
    "planned_costs",
    "progress_weights",
    "load_calibration",
    "longest_first",
    "training_budget",
]

#: The calibration shipped with the suite (data, measured on the development machine).
CALIBRATION_FILE = Path(__file__).with_name("cost_calibration.json")
#: Where ``python -m benchmark.engine.cost_calibration`` writes a user's own calibration,
#: beside their results (relative to the working directory); used when present.
USER_CALIBRATION = Path("results") / "cost_calibration.json"

Terms = Callable[[Mapping[str, Any], int, int, int], list[float]]


def training_budget(
    params: Mapping[str, Any], n: int, d: int, planned: Callable | None = None
) -> tuple[int, int]:
    """(gradient steps, rows per step) of a neural detector on ``n`` rows of ``d`` features.

    ``planned`` is the detector class's own ``planned_budget(params, n, d)`` when its budget
    is not ``n_epochs`` of ``batch_size`` (DAGMM's per-data-set defaults, RDA's outer and
    inner loops); otherwise epochs x ceil(n / batch), at most ``max_steps``.
    """
    if planned is not None:
        steps, batch = planned(params, n, d)
        return int(steps), int(batch)
    batch = max(1, min(int(params.get("batch_size") or 100), max(n, 1)))
    epochs = int(params.get("n_epochs") or 1)
    steps = epochs * math.ceil(max(n, 1) / batch)
    if params.get("max_steps") is not None:
        steps = min(steps, int(params["max_steps"]))
    return steps, batch


def cost_model(name: str) -> CostModel | None:
    """The cost model detector ``name`` registered with (None: unknown or none)."""
    try:
        return get_detector(name).cost
    except KeyError:
        return None


def model_terms(name: str, cls: type, params: Mapping[str, Any], n_train, n_test, d):
    """The term values of detector ``name`` on one cell, or None if it has no cost model."""
    model = cost_model(name)
    if model is None:
        return None
    budget = (0, 0)
    if model.neural:
        budget = training_budget(params, n_train, d, getattr(cls, "planned_budget", None))
    return model.terms(params, n_train, n_test, d, budget)


@dataclass(frozen=True)
class Calibration:
    """Coefficients per detector, and where and how they were measured."""

    coefficients: dict[str, list[float]]
    machine: str = ""
    created: str = ""
    command: str = ""

    def seconds(self, name: str, terms: list[float] | None) -> float | None:
        """Expected seconds of a cell with these term values (None: no model for it)."""
        coef = self.coefficients.get(name)
        if terms is None or coef is None or len(coef) != len(terms):
            return None
        return float(sum(c * t for c, t in zip(coef, terms)))


def calibration_path() -> Path:
    """The calibration a run uses: the user's own (:data:`USER_CALIBRATION`) when there is
    one, else the one shipped with the suite."""
    return USER_CALIBRATION if USER_CALIBRATION.is_file() else CALIBRATION_FILE


def load_calibration(path: Path | None = None) -> Calibration:
    """The calibration file's coefficients; an empty calibration if there is none."""
    path = Path(path or calibration_path())
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return Calibration({})
    return Calibration(
        {k: [float(x) for x in v] for k, v in data.get("coefficients", {}).items()},
        machine=data.get("machine", ""),
        created=data.get("created", ""),
        command=data.get("command", ""),
    )


def group_terms(name: str, terms: list[float], group_speedup: float) -> list[float]:
    """``terms`` with the training steps' ones divided by ``group_speedup`` (a fold trained
    in its group); the set-up and scoring terms are not divided."""
    model = cost_model(name)
    batched = model.batched_terms if model is not None else ()
    if group_speedup == 1.0 or not batched:
        return terms
    return [t / group_speedup if i in batched else t for i, t in enumerate(terms)]


def cell_cost(
    calibration: Calibration,
    name: str,
    cls: type,
    params: Mapping,
    n_train,
    n_test,
    d,
    group_speedup: float = 1.0,
) -> float | None:
    """Expected CPU seconds of one cell (None when the detector has no calibrated model);
    ``group_speedup`` divides the training steps' part (a fold trained in its group)."""
    terms = model_terms(name, cls, params, n_train, n_test, d)
    if terms is None:
        return None
    return calibration.seconds(name, group_terms(name, terms, group_speedup))


def format_seconds(seconds: float) -> str:
    """``42 s``, ``12 min``, ``3.4 h``: the precision an estimate deserves."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


#: How much faster a fold of a fold-batchable detector trains in its group of five than
#: alone: 1.3, the median of the 5 lockstep ratios measured by ``python -m benchmark.perf
#: --cases fold-batching-*`` (1.16x-1.40x, docs/design.md, "Fold batching").
GROUP_SPEEDUP = 1.3


def planned_costs(
    planned: list[PlannedCell],
    calibration: Calibration | None = None,
    fold_batching: bool = True,
) -> list[float | None]:
    """Expected CPU seconds of each planned cell, None if unknown.

    With ``fold_batching`` a fold-batchable detector's training steps cost 1 /
    GROUP_SPEEDUP of a lone fit's (the engine fits a data set's folds together).
    """
    calibration = calibration or load_calibration()
    costs = []
    for p in planned:
        n_train, cap = p.inputs.n_train, p.cell.extra.get(TRAIN_CAP)
        if cap:  # the harness fits on a seeded subsample of ``cap`` rows
            n_train = min(n_train, int(cap))
        grouped = fold_batching and getattr(p.cls, "fold_batchable", False)
        cost = cell_cost(
            calibration,
            p.cell.detector,
            p.cls,
            p.cell.params,
            n_train,
            p.inputs.n_test,
            p.inputs.n_features,
            group_speedup=GROUP_SPEEDUP if grouped else 1.0,
        )
        costs.append(cost)
    return costs


def progress_weights(costs: list[float | None]) -> list[float]:
    """Costs with the unknown ones at the median known cost (1 each if none is known)."""
    known = sorted(c for c in costs if c is not None)
    fill = known[len(known) // 2] if known else 1.0
    return [max(c if c is not None else fill, 1e-3) for c in costs]


def longest_first(
    units: list[list],
    calibration: Calibration | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[list]:
    """Units of work (lists of planned cells) in decreasing expected cost, ties in plan order.

    Workers that start the longest units first finish nearly together (LPT scheduling):
    on the paper preset a DAGMM cell or a GAN fold group costs minutes where a GMM cell
    costs seconds, and a long unit left to the end runs alone while the other workers
    idle. (With every bundled set, shuttle's DAGMM cells are estimated at over an hour.)

    ``weights``: each cell's expected cost by cell name, when the caller has them (the
    progress bar's); otherwise they are computed here.
    """
    flat = [p for unit in units for p in unit]
    if len(units) < 2 or not flat:
        return list(units)
    if weights is None or any(p.cell.name not in weights for p in flat):
        weights = dict(
            zip([p.cell.name for p in flat], progress_weights(planned_costs(flat, calibration)))
        )
    cost = [sum(weights[p.cell.name] for p in unit) for unit in units]
    order = sorted(range(len(units)), key=lambda i: -cost[i])  # sorted() is stable
    return [units[i] for i in order]


def estimate_lines(
    planned: list[PlannedCell], n_jobs: int | None, calibration: Calibration | None = None
) -> list[str]:
    """``--dry-run``'s time estimate: expected CPU time per detector and in total.

    ``n_jobs``: cells computed at a time (None: unknown, e.g. a remote Dask cluster).
    """
    calibration = calibration or load_calibration()
    pending = [p for p in planned if not p.done]
    if not pending:
        return []
    costs = planned_costs(pending, calibration)
    per: dict[str, list] = {}
    for p, c in zip(pending, costs):
        per.setdefault(p.cell.label, []).append(c)
    source = (
        f"cost model calibrated on {calibration.machine or 'an unnamed machine'}"
        f" ({calibration.created[:10] or 'undated'}; {calibration_path()})"
        if calibration.coefficients
        else "no calibration file: run python -m benchmark.engine.cost_calibration"
    )
    lines = [f"expected CPU time of the {len(pending)} cells to compute (estimate; {source}):"]
    width = max(len(k) for k in per)
    for label, cs in sorted(per.items()):
        known = [c for c in cs if c is not None]
        text = format_seconds(sum(known)) if known else "unknown"
        if known and len(known) < len(cs):
            text += f" (+{len(cs) - len(known)} cells without a cost model)"
        elif not known:
            text += " (no cost model)"
        lines.append(f"  {label:<{width}}  {len(cs):>4} cells  {text}")
    total = sum(c for c in costs if c is not None)
    at_a_time = f"{n_jobs} cells at a time" if n_jobs != 1 else "one cell at a time"
    wall = (
        f", about {format_seconds(total / n_jobs)} wall with {at_a_time}"
        if n_jobs
        else " (divide by the number of workers)"
    )
    total_text = f"{format_seconds(total)} CPU{wall}"
    lines.append(f"  {'total':<{width}}  {len(pending):>4} cells  {total_text}")
    return lines
