"""Execute a cell or a fold group through a warm worker, and turn what happened into a
record and an :class:`~benchmark.store.states.Outcome`.

:func:`execute_cell` reads top to bottom: an attempt (in a worker, or in this process for
test doubles and ``isolate=False``) and one function that turns it into a result. A
failure the worker could not record itself (a timeout, a crash) is saved here, under
the cell's lock, unless another run has finished the cell meanwhile.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmark.atomic import clean_stale_temp
from benchmark.engine.child_errors import timeout_error
from benchmark.engine.tasks import Task, perform
from benchmark.engine.workers import TaskResult, aborted, run_task
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.inputs import CellInputs
from benchmark.store.locking import CellLock, holder, lock_path
from benchmark.store.records import failure_record, read_cell, write_cell
from benchmark.store.states import Outcome

__all__ = ["execute_cell", "group_outcomes"]

log = logging.getLogger(__name__)


@dataclass
class _Attempt:
    """What one attempt at a cell came to, before :func:`execute_cell` records anything:
    ``record`` is the saved record (computed, reused), ``error`` why it failed."""

    outcome: Outcome | None  # None: failed, the failure still to be recorded
    record: dict | None = None
    error: str = ""


def execute_cell(
    cell: Cell,
    inputs: CellInputs,
    cls: type,
    output: Path,
    *,
    timeout: float | None,
    threads: int,
    isolate: bool = True,
    wait_for_lock: bool = True,
    memory_limit: int | None = None,
    force: bool = False,
) -> tuple[dict, Outcome]:
    """Compute ``cell`` under its lock; returns (record, what happened).

    ``LOCKED`` (held by a live process and ``wait_for_lock`` is False) and
    ``INTERRUPTED`` (:func:`~benchmark.engine.workers.abort_all` was called) write
    nothing. With ``force`` a saved result is recomputed rather than reused. A finished
    cell is recognised without the lock (its files are written atomically), and again
    under it, in case another run just finished it.
    """
    output = Path(output)
    task = Task([cell], [inputs], cls, output, threads, memory_limit, force, wait_for_lock)
    if aborted():
        attempt = _Attempt(Outcome.INTERRUPTED)
    elif not force and (saved := read_cell(output, cell)).finished:
        attempt = _Attempt(Outcome.REUSED, saved.record)
    elif not isolate or cls.__module__ == "__main__" or os.name != "posix":
        attempt = _in_process(task, wait_for_lock)
    else:
        attempt = _attempt(task, run_task(task, timeout), timeout)
    return _outcome(cell, output, attempt)


def _attempt(task: Task, result: TaskResult, timeout: float | None) -> _Attempt:
    """What a worker's :class:`TaskResult` means for the task's single cell."""
    cell = task.cells[0]
    if result.interrupted:
        return _Attempt(Outcome.INTERRUPTED)
    if result.timed_out:
        return _Attempt(None, error=timeout_error(cell, task.inputs[0], timeout, result.seconds))
    if result.reply is None:
        return _Attempt(None, error=result.error)
    if not result.held:
        return _Attempt(Outcome.LOCKED)
    if cell.name in result.reply.errors:
        return _Attempt(None, error=result.reply.errors[cell.name])
    outcome = Outcome.REUSED if cell.name in result.reply.reused else Outcome.COMPUTED
    return _Attempt(outcome, read_cell(task.output, cell).record)


def _outcome(cell: Cell, output: Path, attempt: _Attempt) -> tuple[dict, Outcome]:
    """The one place an attempt becomes (record, what happened); failures are saved."""
    if attempt.outcome is Outcome.INTERRUPTED:
        return {"status": "interrupted", "error": "interrupted"}, Outcome.INTERRUPTED
    if attempt.outcome is Outcome.LOCKED:
        where = holder(lock_path(cell.paths(output)[0]))
        return {"status": "locked", "error": f"locked by {where}"}, Outcome.LOCKED
    if attempt.outcome is not None and attempt.record is not None:
        return attempt.record, attempt.outcome
    error = attempt.error or "the worker reported success but its result cannot be read"
    return _record_failure(cell, output, error), Outcome.COMPUTED


def _record_failure(cell: Cell, output: Path, error: str) -> dict:
    """Save a failure record for ``cell`` unless another run owns or has finished it."""
    record = failure_record(cell, error)
    lock = CellLock(lock_path(cell.paths(output)[0]))
    if not lock.acquire(wait=True, timeout=30):
        return record  # another run has taken the cell over; its result will stand
    try:
        saved = read_cell(output, cell)
        if saved.finished:
            return saved.record
        clean_stale_temp(cell.paths(output)[0].parent, recursive=False)
        try:
            write_cell(output, cell, record, {})
        except OSError as exc:
            log.error(
                "cell %s failed and its failure record could not be saved: %s", cell.name, exc
            )
            record["error"] += f" (and the failure could not be saved: {exc})"
    finally:
        lock.release()
    return record


def _in_process(task: Task, wait: bool) -> _Attempt:
    """The task in this process (test doubles, ``isolate=False``), through the same
    :func:`~benchmark.engine.tasks.perform` a worker runs. A lock another run holds is
    waited for here, where :func:`~benchmark.engine.workers.abort_all` can stop it."""
    task.wait = False
    while True:
        if aborted():
            return _Attempt(Outcome.INTERRUPTED)
        held: list[str] = []
        reply = perform(task, held.extend)
        if held or not wait:
            return _attempt(task, TaskResult(held=held, reply=reply), None)
        time.sleep(0.2)


def group_outcomes(
    group: list,
    output: Path,
    execute: Callable[[object], tuple],
    *,
    timeout: float | None,
    threads: int,
    memory_limit: int | None,
    force: bool,
) -> list[tuple]:
    """(planned cell, record, outcome) for every fold of ``group``: the group's task
    first, then ``execute(p)`` (the per-cell path) for each fold it did not save.

    Whatever the group did not finish (a lock it could not take, a failed or diverged
    fit, a timeout, a crash) is computed by the per-cell path, with its timeout, failure
    record and retry: a group costs at most its own time again and changes no result.
    """
    saved: set[str] = set()
    if len(group) > 1:
        task = Task(
            [p.cell for p in group],
            [p.inputs for p in group],
            group[0].cls,
            Path(output),
            threads,
            memory_limit,
            force,
            wait=False,
        )
        result = run_task(task, timeout)
        if result.reply is not None:
            saved = set(result.reply.saved)
    out = []
    for p in group:
        if p.cell.name in saved:
            out.append((p, read_cell(Path(output), p.cell).record, Outcome.COMPUTED))
        else:
            out.append(execute(p))
    return out
