"""Fold groups: the pending folds of one (data set, detector) computed as one unit of work.

A detector whose class says ``fold_batchable`` (the GAN detectors: ``ocan``,
``mmoc-gan-cat``, ``mmoc-gan-mix``, ``rgan``, ``anogan``; DAGMM has ``fit_group`` but measured
no gain from it) can train its k folds as one batched model (``fit_group``), each fold
ending bitwise where it would alone. The local engine gives such a group to one worker as
one task (:mod:`benchmark.engine.tasks`), the Dask backend to one Dask worker
(:mod:`benchmark.engine.dask_backend`): it takes the lock of
every fold it can (a fold another run holds, or has finished, is left alone), fits the
folds together, then scores, evaluates and writes each fold's result file as a cell of its
own; :func:`benchmark.engine.execute.group_outcomes` leaves the rest to the per-cell path.
"""

from __future__ import annotations

import time
import warnings

from benchmark.engine.plan import PlannedCell
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.compute import (
    FittedCell,
    capture_warnings,
    compute_cell,
    summarise_warnings,
)
from benchmark.evaluation.inputs import CellInputs

__all__ = ["compute_group", "fold_groups"]


#: The most raw fold rows (bytes, summed over a group's folds) one group may hold. Its
#: worker keeps each fold's raw and scaled rows (about 3x this) beside torch (~0.4 GB), so
#: 256 MB keeps a group near 1.2 GB, under the 2 GB a cell may use. Measured: a group of
#: five 500,000 x 118 folds peaked at 4.8 GB (python -m benchmark.perf --cases
#: memory-500k, before this bound); such folds now run one by one.
GROUP_BYTES = 256 * 2**20


def _fold_bytes(p: PlannedCell) -> int:
    inputs = p.inputs
    return (inputs.n_train + inputs.n_test) * inputs.n_features * 8


def fold_groups(
    pending: list[PlannedCell], enabled: bool, max_bytes: int = GROUP_BYTES
) -> list[list[PlannedCell]]:
    """Units of work: the pending folds of each fold-batchable (data set, label) together,
    as many as fit in ``max_bytes`` of rows a unit, every other cell alone; in plan order."""
    units: list[list[PlannedCell]] = []
    open_unit: dict[tuple[str, str], tuple[list[PlannedCell], int]] = {}
    for p in pending:
        if not (enabled and getattr(p.cls, "fold_batchable", False)):
            units.append([p])
            continue
        key, size = (p.cell.dataset, p.cell.label), _fold_bytes(p)
        unit, used = open_unit.get(key, (None, 0))
        if unit is None or used + size > max_bytes:
            unit, used = [], 0
            units.append(unit)
        unit.append(p)
        open_unit[key] = (unit, used + size)
    return units


def _fit_together(cells: list[Cell], inputs: list[CellInputs], cls: type) -> list[FittedCell]:
    """Preprocess each fold, then fit all of them with ``cls.fit_group``; exceptions propagate."""
    fitted = [FittedCell.preprocess(c, i) for c, i in zip(cells, inputs)]
    detectors = [cls(**c.params) for c in cells]
    start, cpu = time.perf_counter(), time.process_time()
    cls.fit_group(detectors, [f.X_train for f in fitted])
    share = (time.perf_counter() - start) / len(cells)  # each fold's part of the group's time
    cpu_share = (time.process_time() - cpu) / len(cells)
    for f, det in zip(fitted, detectors):
        f.detector, f.fit_seconds, f.fit_cpu_seconds = det, share, cpu_share
    return fitted


def _source(caught: warnings.WarningMessage) -> int | None:
    """The id of the detector a warning names as its source (a
    :class:`~benchmark.base.CollapseWarning`: that fold's only), None for the group's."""
    source = getattr(caught.message, "source", None)
    return None if source is None else id(source)


def compute_group(
    cells: list[Cell], inputs: list[CellInputs], cls: type
) -> list[tuple[dict, dict]] | None:
    """Each fold's (record, arrays) from one grouped fit; None if the group fit failed.

    The records are those :func:`~benchmark.evaluation.compute.compute_cell` writes, plus
    ``fit_group`` (how many folds were fitted together; ``fit_seconds`` is the group's time
    shared out) and the group fit's warnings. None leaves every fold to the per-cell path.
    """
    with capture_warnings() as caught:
        try:
            fitted = _fit_together(cells, inputs, cls)
        except Exception:
            return None
    out = []
    for cell, cell_inputs, f in zip(cells, inputs, fitted):
        record, arrays = compute_cell(cell, cell_inputs, cls, fitted=f)
        record["fit_group"] = len(cells)
        mine = [w for w in caught if _source(w) in (None, id(f.detector))]
        if mine:
            record["warnings"] = summarise_warnings(mine) + record.get("warnings", [])
        out.append((record, arrays))
    return out
