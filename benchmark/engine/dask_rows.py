"""A data set's rows on a Dask cluster: sent once, to every worker, for all its cells.

The client scatters each data set's ``X`` and ``y`` once, as one object broadcast to
every worker present (:class:`DatasetRows`); a cell's or a fold group's task then carries
only the future of those rows and its folds' indices, and the worker builds each fold's
copies itself (:func:`fold_rows`). Broadcast, not a rows *task*: a task holding the rows
would draw every cell of the set to the one worker holding its result (so a cell that
killed its worker took its neighbours along; measured 2026-12-05), and would need a free
worker thread before any cell could start. With a copy on every worker no worker is
preferred, and a worker that dies takes one copy of many.

Scattered data cannot be recomputed: when every worker holding a data set's rows has
died, the scheduler forgets them and cancels the tasks that needed them. The client then
scatters the rows again (:meth:`ScatteredRows.lost`) and sends those tasks again; the
backend gives a task up after as many such losses as a local cluster retries a task whose
worker died (``LOCAL_ALLOWED_FAILURES`` in :mod:`benchmark.engine.dask_backend`).
The rows are released when the last cell of their data set is written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from distributed import Client, Future

from benchmark.engine.backends import BackendError
from benchmark.engine.plan import PlannedCell
from benchmark.evaluation.inputs import CellInputs, FoldInputs

__all__ = [
    "DatasetRows",
    "SCATTER_TIMEOUT",
    "ScatteredRows",
    "fold_rows",
    "quiet_scattered_data_loss",
]

#: Seconds to wait for a worker to scatter a data set's rows to (e.g. while a nanny
#: restarts the workers that died).
SCATTER_TIMEOUT = 60


@dataclass
class DatasetRows:
    """A data set's feature array and labels, as a worker holds them (once per data set)."""

    X: np.ndarray
    y: np.ndarray


def fold_rows(rows: DatasetRows, fold: tuple[np.ndarray, np.ndarray]) -> CellInputs:
    """One fold's rows built on the worker, as a local worker builds them: ``X[train]``,
    ``X[test]``, ``y[test]`` (copies; the data set itself stays shared)."""
    train, test = fold
    return FoldInputs(rows.X, rows.y, train, test).materialise()


def _key(planned: PlannedCell) -> tuple[int, int]:
    """Which data set a planned cell's rows come from: its shared ``X`` and ``y`` objects
    (one per data set and run in the plan)."""
    return id(planned.inputs.X), id(planned.inputs.y)


class ScatteredRows:
    """The futures of the data sets' rows on the cluster, scattered on first use."""

    def __init__(self, client: Client, where: str, pending: Iterable[PlannedCell]):
        self.client, self.where = client, where
        self.left: Counter[tuple[int, int]] = Counter(_key(p) for p in pending)
        self.futures: dict[tuple[int, int], Future] = {}

    def future(self, planned: PlannedCell) -> Future:
        """The rows of ``planned``'s data set on the cluster; scattered now if they are not."""
        key = _key(planned)
        held = self.futures.get(key)
        if held is None or held.status != "finished":
            held = self.futures[key] = self._scatter(planned.inputs)
        return held

    def lost(self, planned: PlannedCell) -> bool:
        """Whether ``planned``'s data set's rows were lost on the cluster (every worker
        holding them died); the next :meth:`future` scatters them again."""
        held = self.futures.get(_key(planned))
        if held is None:
            return False
        if held.status != "finished":
            return True
        try:  # the client may hear of the loss after the cancelled task: ask the scheduler
            return not any(self.client.who_has([held]).values())
        except (OSError, TimeoutError):
            return False  # the scheduler went away: not a loss of rows

    def done(self, planned: PlannedCell) -> None:
        """One cell of a data set is written; after its last, the workers drop the rows."""
        key = _key(planned)
        self.left[key] -= 1
        if self.left[key] <= 0:
            self.futures.pop(key, None)  # the last reference: the client releases the key

    def _scatter(self, inputs: FoldInputs) -> Future:
        X = inputs.X if isinstance(inputs.X, np.ndarray) else np.load(inputs.X.path)
        rows = DatasetRows(np.ascontiguousarray(X), np.asarray(inputs.y))
        try:
            future = self.client.scatter(rows, broadcast=True, hash=False, timeout=SCATTER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise BackendError(f"could not send a data set's rows to {self.where}: {exc}") from None
        return future


class _DropScatteredDataLoss(logging.Filter):
    """Drops the scheduler's error line about lost scattered data: the client sends the
    rows again, so nothing is lost from the run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "lose scattered data" not in record.getMessage()


@contextmanager
def quiet_scattered_data_loss() -> Iterator[None]:
    """Within the block, the scheduler (of a local cluster: in this process) does not log
    the loss of scattered rows, which the client recovers from."""
    drop, logger = _DropScatteredDataLoss(), logging.getLogger("distributed.scheduler")
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
