"""What a Dask worker runs for one cell: compute it exactly as a local worker does.

The worker only computes; it returns ``(record, arrays)`` and writes nothing, so the
workers need no file system shared with the run folder (:mod:`benchmark.engine.dask_backend`
writes the result on the client). A worker process computes one cell at a time, with
one math thread, whatever ``--nthreads`` it was started with: torch's seed is global
to a process and a reduction summed by two BLAS threads rounds differently, so two
cells side by side in one process would not give the numbers a local run gives.
"""

from __future__ import annotations

import os
import threading

from benchmark.engine.limits import limit_threads
from benchmark.engine.tasks import EVENT_LOG, compute_logged, no_named_semaphores
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.inputs import CellInputs

__all__ = ["compute_on_worker"]

#: One cell at a time per worker process (a worker started with several threads waits).
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
