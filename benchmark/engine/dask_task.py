"""What a Dask worker runs: a cell, or the folds of a fold group, exactly as a local worker.

A task carries its data set's rows as a future (resolved on the worker to the
:class:`~benchmark.engine.dask_rows.DatasetRows` the client scattered once per data set)
and its folds' indices; the worker builds the folds' rows itself, before the memory
limit applies, as a local worker's cell receives them built.

The worker only computes; it returns ``(record, arrays)`` per cell and writes nothing, so
the workers need no file system shared with the run folder (:mod:`benchmark.engine.
dask_backend` writes the results on the client). A worker process computes one task at a
time, with one math thread, whatever ``--nthreads`` it was started with: torch's seed is
global to a process and a reduction summed by two BLAS threads rounds differently, so two
cells side by side in one process would not give the numbers a local run gives.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from benchmark.engine.dask_rows import DatasetRows, fold_rows
from benchmark.engine.fold_groups import compute_group
from benchmark.engine.limits import limit_threads
from benchmark.engine.tasks import (
    EVENT_LOG,
    cell_resources,
    compute_logged,
    no_named_semaphores,
    record_event,
)
from benchmark.evaluation.cell import Cell

#: A fold's (train, test) row indices into its data set.
Fold = tuple[np.ndarray, np.ndarray]

__all__ = ["compute_group_on_worker", "compute_on_worker"]

#: One task at a time per worker process (a worker started with several threads waits).
_ONE_CELL_AT_A_TIME = threading.Lock()


def compute_on_worker(
    cell: Cell,
    rows: DatasetRows,
    fold: Fold,
    cls: type,
    threads: int,
    memory_limit: int | None,
) -> tuple[dict, dict]:
    """Compute ``cell`` on fold ``fold`` of ``rows`` in this worker process; returns
    :func:`compute_cell`'s result.

    ``memory_limit`` (bytes) caps the address space the cell may add, as ``--memory-limit``
    does for a local cell: an allocation beyond it fails the cell with ``MemoryError``.
    """
    with _ONE_CELL_AT_A_TIME:
        no_named_semaphores()
        limit_threads(threads)
        inputs = fold_rows(rows, fold)
        return compute_logged(cell, inputs, cls, memory_limit, os.environ.get(EVENT_LOG))


def compute_group_on_worker(
    cells: list[Cell],
    rows: DatasetRows,
    folds: list[Fold],
    cls: type,
    threads: int,
    memory_limit: int | None,
) -> list[tuple[dict, dict]] | None:
    """The folds ``cells`` (on ``folds`` of ``rows``) fitted together (``fit_group``), each
    fold's ``(record, arrays)`` as a local worker's group computes them; None when the
    group fit failed (the client then sends each fold as a cell of its own)."""
    with _ONE_CELL_AT_A_TIME:
        no_named_semaphores()
        limit_threads(threads)
        events = os.environ.get(EVENT_LOG)
        inputs = [fold_rows(rows, fold) for fold in folds]
        for cell in cells:
            record_event(events, "start", cell, "group")
        with cell_resources(cells[0], cls, memory_limit):
            results = compute_group(cells, inputs, cls)
        for cell, (record, _) in zip(cells, results or []):
            record_event(events, "end", cell, record.get("status", ""))
        return results
