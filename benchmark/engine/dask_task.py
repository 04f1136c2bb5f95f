"""What a Dask worker runs: a cell, or the folds of a fold group, exactly as a local worker.

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
from benchmark.evaluation.inputs import CellInputs

__all__ = ["compute_group_on_worker", "compute_on_worker"]

#: One task at a time per worker process (a worker started with several threads waits).
_ONE_CELL_AT_A_TIME = threading.Lock()


def compute_on_worker(
    cell: Cell, inputs: CellInputs, cls: type, threads: int, memory_limit: int | None
) -> tuple[dict, dict]:
    """Compute ``cell`` in this worker process; returns :func:`compute_cell`'s result.

    ``memory_limit`` (bytes) caps the address space the cell may add, as ``--memory-limit``
    does for a local cell: an allocation beyond it fails the cell with ``MemoryError``.
    """
    with _ONE_CELL_AT_A_TIME:
        no_named_semaphores()
        limit_threads(threads)
        return compute_logged(cell, inputs, cls, memory_limit, os.environ.get(EVENT_LOG))


def compute_group_on_worker(
    cells: list[Cell],
    folds: list[CellInputs],
    cls: type,
    threads: int,
    memory_limit: int | None,
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
        with cell_resources(cells[0], cls, memory_limit):
            results = compute_group(cells, folds, cls)
        for cell, (record, _) in zip(cells, results or []):
            record_event(events, "end", cell, record.get("status", ""))
        return results
