"""What a Dask worker runs: a cell, or the folds of a fold group, exactly as a local worker.

The worker only computes; it returns ``(record, arrays)`` per cell and writes nothing, so
the workers need no file system shared with the run folder (:mod:`benchmark.engine.
dask_backend` writes the results on the client). A worker process computes one task at a
time, with one math thread, whatever ``--nthreads`` it was started with: torch's seed is
global to a process and a reduction summed by two BLAS threads rounds differently, so two
cells side by side in one process would not give the numbers a local run gives.

A data set's rows reach the cluster once: the client submits :func:`dataset_rows` with
them (:class:`DatasetRows`) when the first of the data set's cells is sent, and each cell's
task depends on that one future; a task carries only its folds' indices (:class:`FoldRef`)
and the worker builds each fold's rows from the shared array.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np

from benchmark.engine.fold_groups import compute_group
from benchmark.engine.gpus import use_gpu_for
from benchmark.engine.limits import limit_memory, limit_threads, restore_memory
from benchmark.engine.tasks import EVENT_LOG, compute_logged, no_named_semaphores, record_event
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.inputs import CellInputs, FoldInputs

__all__ = [
    "DatasetRows",
    "FoldRef",
    "compute_group_on_worker",
    "compute_on_worker",
    "dataset_rows",
]

#: One task at a time per worker process (a worker started with several threads waits).
_ONE_CELL_AT_A_TIME = threading.Lock()


@dataclass
class DatasetRows:
    """A data set's features and labels, sent to the cluster once (:func:`dataset_rows`)."""

    X: np.ndarray
    y: np.ndarray


@dataclass
class FoldRef:
    """One fold of a data set on the cluster: its training and test row indices."""

    train: np.ndarray
    test: np.ndarray


def dataset_rows(rows: DatasetRows) -> DatasetRows:
    """The data set itself, as a task's result: a worker keeps it for the cells that need
    it, and, unlike scattered data, the scheduler can compute it again from the task if
    every worker holding it dies (a cell that kills its worker must not take the data set
    with it)."""
    return rows


def _inputs(fold: CellInputs | FoldRef, rows: DatasetRows | None) -> CellInputs | FoldInputs:
    """The fold's inputs on the worker: its own rows, or indices into the shared data set."""
    if isinstance(fold, FoldRef):
        if rows is None:
            raise ValueError("a FoldRef needs the data set's rows")
        return FoldInputs(rows.X, rows.y, fold.train, fold.test)
    return fold


def compute_on_worker(
    cell: Cell,
    inputs: CellInputs | FoldRef,
    cls: type,
    threads: int,
    memory_limit: int | None,
    rows: DatasetRows | None = None,
) -> tuple[dict, dict]:
    """Compute ``cell`` in this worker process; returns :func:`compute_cell`'s result.

    ``memory_limit`` (bytes) caps the address space the cell may add, as ``--memory-limit``
    does for a local cell: an allocation beyond it fails the cell with ``MemoryError``.
    """
    with _ONE_CELL_AT_A_TIME:
        no_named_semaphores()
        limit_threads(threads)
        events = os.environ.get(EVENT_LOG)
        return compute_logged(cell, _inputs(inputs, rows), cls, memory_limit, events)


def compute_group_on_worker(
    cells: list[Cell],
    folds: list[CellInputs | FoldRef],
    cls: type,
    threads: int,
    memory_limit: int | None,
    rows: DatasetRows | None = None,
) -> list[tuple[dict, dict]] | None:
    """The folds ``cells`` fitted together (``fit_group``), each fold's ``(record, arrays)``
    as a local worker's group computes them; None when the group fit failed (the client
    then sends each fold as a cell of its own)."""
    with _ONE_CELL_AT_A_TIME:
        no_named_semaphores()
        limit_threads(threads)
        events = os.environ.get(EVENT_LOG)
        for cell in cells:
            record_event(events, "start", cell, "group")
        use_gpu_for(cells[0].name, cells[0].params, getattr(cls, "neural", False))
        soft = limit_memory(memory_limit) if memory_limit else None
        try:
            results = compute_group(cells, [_inputs(f, rows) for f in folds], cls)
        finally:
            restore_memory(soft)
        for cell, (record, _) in zip(cells, results or []):
            record_event(events, "end", cell, record.get("status", ""))
        return results
