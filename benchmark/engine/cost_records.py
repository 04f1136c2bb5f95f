"""The cost model's terms beside the seconds each finished cell recorded, for the cost checks
and for calibrating from recorded runs (``cost_calibration --from-runs``).

A cell records its fit + score seconds, wall clock and (since 2026-12-05) the process's
CPU time; the CPU time is used where recorded (it is what the model predicts, and it
hardly moves when other work shares the cores, which the wall clock does), else the wall
clock. A fold trained in a fold group records its share of the group's time, so its
training-step terms are divided by :data:`~benchmark.engine.cost.GROUP_SPEEDUP`, as the
estimate for a grouped cell is.
Cells of data sets that are not registered (``--data-file``, ``--data-dir``) are skipped:
their width is not known here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from benchmark.engine.cost import GROUP_SPEEDUP, cost_model, group_terms, model_terms
from benchmark.registry import datasets, get_detector, load_plugins
from benchmark.store.folder import folder_records

__all__ = ["RecordedCell", "recorded_cells", "recorded_seconds"]


@dataclass(frozen=True)
class RecordedCell:
    """One ok cell: its detector, label and data set, term values and measured seconds
    (CPU seconds when ``cpu``, else wall-clock seconds: the cell predates CPU timing)."""

    detector: str
    label: str
    dataset: str
    terms: list[float]
    seconds: float
    cpu: bool = False


@cache
def _width(dataset: str) -> int | None:
    spec = datasets().get(dataset)
    return None if spec is None else int(spec.load().X.shape[1])


def recorded_cells(run_dirs: Iterable[Path | str]) -> Iterator[RecordedCell]:
    """Every ok cell of the run folders whose detector has a cost model; a cell found in
    several folders (same configuration hash: copied or reused) counts once."""
    load_plugins()
    seen: set[str] = set()
    for run_dir in run_dirs:
        for rec in folder_records(Path(run_dir)):
            cell = rec.get("cell") or {}
            if rec.get("status") != "ok" or not cell or rec.get("config_hash") in seen:
                continue
            if rec.get("config_hash"):
                seen.add(str(rec["config_hash"]))
            try:
                spec = get_detector(str(cell.get("detector")))
            except KeyError:
                continue
            d = _width(str(cell.get("dataset")))
            if d is None or cost_model(spec.name) is None:
                continue
            params = spec.params(str(cell.get("preset") or "quick")) | dict(
                cell.get("params") or {}
            )
            n_train = int(rec.get("n_train_fit") or rec.get("n_train") or 0)
            terms = model_terms(
                spec.name, spec.cls, params, n_train, int(rec.get("n_test") or 0), d
            )
            if int(rec.get("fit_group") or 1) > 1:
                terms = group_terms(spec.name, terms, GROUP_SPEEDUP)
            seconds, cpu = recorded_seconds(rec)
            yield RecordedCell(
                spec.name, str(cell.get("label")), str(cell.get("dataset")), terms, seconds, cpu
            )


def recorded_seconds(rec: dict) -> tuple[float, bool]:
    """A cell record's fit + score time, and whether it is CPU time (recorded since
    2026-12-05) rather than the wall clock (older records)."""
    if rec.get("fit_cpu_seconds") is not None and rec.get("score_cpu_seconds") is not None:
        return float(rec["fit_cpu_seconds"]) + float(rec["score_cpu_seconds"]), True
    return float(rec.get("fit_seconds") or 0) + float(rec.get("score_seconds") or 0), False
