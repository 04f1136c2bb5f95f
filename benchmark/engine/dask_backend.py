"""The Dask backend: cells are computed on the workers of a cluster and written here.

A worker computes a cell (:func:`benchmark.engine.dask_task.compute_on_worker`, a pure function
of the cell, its rows and its detector class) and sends back ``(record, arrays)``; this
process, the client, writes the result files atomically, as a local cell's child does.
So the workers need no file system shared with the run folder, and a local run and a
Dask run can share, resume and finish one folder.

Units of work are those of the local engine (:func:`~benchmark.engine.fold_groups.fold_groups`):
the pending folds of a fold-batchable detector go out as one task
(:func:`~benchmark.engine.dask_task.compute_group_on_worker`), and whatever the group did
not save is sent again cell by cell. A data set's rows reach the workers once: scattered
to every worker before its first task, each task carrying their future and its folds'
indices (:mod:`benchmark.engine.dask_rows`; sent again if every worker holding them dies).

Lock discipline: the client takes a cell's lock before it sends the cell out and holds
it until the result (or the failure) is written, so no other run computes the cell in
the meantime. At most one cell per worker is out at a time, which bounds the locks held
and leaves the scheduler nothing queued on a worker that could be lost with it.

A worker that dies costs only its cell: the scheduler gives it to another worker (a
local cluster allows one such retry; a cluster of your own uses its
``distributed.scheduler.allowed-failures``) and then fails it, which is recorded. A
scheduler that goes away ends the run with :class:`~benchmark.engine.backends.BackendError`;
the cells written so far stay, and a rerun with either backend resumes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dask
from distributed import Client, Future, LocalCluster, wait
from distributed.client import FuturesCancelledError
from distributed.scheduler import KilledWorker

from benchmark.atomic import clean_stale_temp
from benchmark.engine.backends import BackendError
from benchmark.engine.cost import longest_first
from benchmark.engine.dask_rows import ScatteredRows, quiet_scattered_data_loss
from benchmark.engine.dask_task import compute_group_on_worker, compute_on_worker
from benchmark.engine.fold_groups import fold_groups
from benchmark.engine.plan import PlannedCell
from benchmark.store.locking import CellLock, lock_path
from benchmark.store.records import failure_record, read_cell, write_cell
from benchmark.store.states import Outcome

__all__ = ["run_on_dask", "LOCAL_ALLOWED_FAILURES"]

log = logging.getLogger(__name__)

#: How often a local cluster's scheduler gives a cell whose worker died to another
#: worker before failing it (Dask's default is 3; a cell that kills its worker, e.g. by
#: exhausting memory, would then cost four workers).
LOCAL_ALLOWED_FAILURES = 1

#: Seconds between looks at finished cells, arriving workers and cells locked elsewhere.
POLL = 0.5

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT = 20

#: Where a planned cell's outcome goes: (planned cell, record, COMPUTED or REUSED).
CellOutcome = tuple[PlannedCell, dict, Outcome]


def run_on_dask(
    pending: list[PlannedCell],
    output: Path,
    *,
    scheduler: str | None,
    local_workers: int | None,
    threads: int,
    memory_limit: int | None,
    force: bool,
    on_done: Callable[[dict], None],
    fold_batching: bool = True,
) -> list[CellOutcome]:
    """Compute ``pending`` cells (with ``cell``, ``inputs``, ``cls``) on a Dask cluster.

    The cluster is the scheduler at ``scheduler`` or ``local_workers`` worker processes
    started here (and stopped at the end). Each cell's result is written to ``output``
    under its lock; ``on_done`` gets each record as it is written. ``fold_batching``
    sends the folds of a fold-batchable detector as one task (``--no-fold-batching``: off).
    """
    with _connect(scheduler, local_workers) as (client, where):
        engine = _Engine(client, where, Path(output), threads, memory_limit, force, on_done)
        return engine.run(pending, fold_batching)


@contextmanager
def _log_level(level: int) -> Iterator[None]:
    """Dask's own loggers at ``level`` within the block (its INFO lines drown the run's)."""
    logger = logging.getLogger("distributed")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


@contextmanager
def _connect(scheduler: str | None, local_workers: int | None) -> Iterator[tuple[Client, str]]:
    """A client of the scheduler at ``scheduler``, or of a local cluster started here."""
    with _log_level(logging.WARNING):
        cluster = _local_cluster(local_workers) if local_workers is not None else None
        if cluster is not None:
            address, where = cluster.scheduler_address, "the local Dask cluster"
        else:
            address, where = str(scheduler), f"the Dask scheduler at {scheduler}"
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            if cluster is not None:
                cluster.close()
            raise BackendError(f"cannot reach {where}: {exc}") from None
        try:
            yield client, where
        finally:
            _close(client, cluster)


def _local_cluster(n_workers: int) -> LocalCluster:
    """``n_workers`` worker processes of one thread on this machine, on loopback only."""
    with dask.config.set({"distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # a free port on the host above: never taken
            silence_logs=logging.ERROR,
        )


def _close(client: Client, cluster: LocalCluster | None) -> None:
    """Disconnect, and stop a local cluster; a scheduler already gone is not an error."""
    with _log_level(logging.CRITICAL):  # reconnect tracebacks after a lost scheduler
        try:
            client.close(timeout=10)
            if cluster is not None:
                cluster.sync(_stop_workers, cluster)
                cluster.close(timeout=10)
        except (OSError, TimeoutError, RuntimeError) as exc:
            log.debug("closing the Dask client: %s", exc)


async def _stop_workers(cluster: LocalCluster) -> None:
    """Stop a local cluster's workers within a second, busy or not.

    Left to ``LocalCluster.close``, a worker still computing a cancelled cell (after
    Ctrl-C) gets 4 s to finish it before it is killed; the cell is given up anyway.
    """
    nannies = list(cluster.workers.values())
    await asyncio.gather(*(n.close(timeout=1) for n in nannies), return_exceptions=True)


@dataclass
class _Sent:
    """A task out on the cluster (one cell, or a fold group) and the locks this process
    holds for its cells meanwhile."""

    planned: list[PlannedCell]
    locks: list[CellLock]
    lost: int = 0  # times its data set's rows were lost on the cluster while it ran

    @property
    def group(self) -> bool:
        return len(self.planned) > 1


class _Engine:
    """Send units out (one per worker at a time), write what comes back, until done."""

    def __init__(self, client, where, output, threads, memory_limit, force, on_done) -> None:
        self.client, self.where, self.output = client, where, output
        self.threads, self.memory_limit, self.force = threads, memory_limit, force
        self.on_done = on_done
        self._workers, self._looked = 1, float("-inf")
        self.todo: deque[list[PlannedCell]] = deque()
        self.outcomes: list[CellOutcome] = []
        self.rows: ScatteredRows | None = None

    def run(self, pending: list[PlannedCell], fold_batching: bool = True) -> list[CellOutcome]:
        # longest first, as the local engine: a long unit left to the end runs alone
        self.todo = deque(longest_first(fold_groups(pending, fold_batching)))
        self.rows = ScatteredRows(self.client, self.where, pending)
        locked: deque[list[PlannedCell]] = deque()
        sent: dict[Future, _Sent] = {}
        try:
            with quiet_scattered_data_loss():
                while self.todo or locked or sent:
                    self._send(locked, sent)
                    if sent:
                        self._collect(sent)
                    elif locked:  # every cell left is being computed by another run
                        time.sleep(POLL)
        except BaseException:  # Ctrl-C, SIGTERM, a lost scheduler: give every cell up
            self._abandon(sent)
            raise
        return self.outcomes

    def _done(self, planned: PlannedCell, record: dict, outcome: Outcome) -> None:
        self.outcomes.append((planned, record, outcome))
        self.rows.done(planned)
        self.on_done(record)

    def _room(self, sent: dict) -> int:
        """How many more units to send: one per worker (looked up every few seconds)."""
        if self.client.status != "running":
            raise BackendError(f"lost the connection to {self.where}")
        if time.monotonic() - self._looked > 2:
            try:
                self._workers = max(1, len(self.client.nthreads()))
            except (OSError, TimeoutError) as exc:
                raise BackendError(f"lost the connection to {self.where}: {exc}") from None
            self._looked = time.monotonic()
        return self._workers - len(sent)

    def _send(self, locked: deque, sent: dict) -> None:
        """Send units while workers are free: new ones first, then cells locked elsewhere."""
        room = self._room(sent)
        retry = len(locked)  # each locked cell is tried once per pass
        while room > 0 and (self.todo or retry):
            if self.todo:
                unit = self.todo.popleft()
            else:
                unit, retry = locked.popleft(), retry - 1
            held, locks = self._lock(unit, locked)
            if held:
                sent[self._submit(held, locks)] = _Sent(held, locks)
                room -= 1

    def _lock(self, unit: list[PlannedCell], locked: deque) -> tuple[list, list[CellLock]]:
        """The cells of ``unit`` this process can hold now, and their locks; a cell found
        finished is reused, one locked by another run waits in ``locked`` (as a unit of one)."""
        held, locks = [], []
        for planned in unit:
            cell = planned.cell
            if not self.force and (saved := read_cell(self.output, cell)).finished:
                self._done(planned, saved.record, Outcome.REUSED)
                continue
            lock = CellLock(lock_path(cell.paths(self.output)[0]))
            if not lock.acquire(wait=False):
                locked.append([planned])
                continue
            if not self.force and (saved := read_cell(self.output, cell)).finished:
                lock.release()  # another run finished it while we looked
                self._done(planned, saved.record, Outcome.REUSED)
                continue
            held.append(planned)
            locks.append(lock)
        return held, locks

    def _submit(self, held: list[PlannedCell], locks: list[CellLock]) -> Future:
        """Send one cell or a fold group: its data set's rows (scattered once) and its
        folds' indices; the locks are released if sending fails."""
        try:
            rows = self.rows.future(held[0])
            folds = [(p.inputs.train, p.inputs.test) for p in held]
            key = ("mmoc-cell", held[0].cell.name, uuid.uuid4().hex)
            if len(held) == 1:
                fn, cells, work = compute_on_worker, held[0].cell, folds[0]
            else:
                fn, cells, work = compute_group_on_worker, [p.cell for p in held], folds
            args = (cells, rows, work, held[0].cls, self.threads, self.memory_limit)
            return self.client.submit(fn, *args, key=key, pure=False)
        except BaseException:
            for lock in locks:
                lock.release()
            raise

    def _collect(self, sent: dict) -> None:
        """Wait a little for units to come back; write each cell that did. A group's folds
        it did not save go back to the front of the queue as cells of their own."""
        try:
            with self.client.as_current():
                wait(list(sent), timeout=POLL, return_when="FIRST_COMPLETED")
        except (TimeoutError, FuturesCancelledError):
            pass  # nothing back yet; a cancelled unit is dealt with below
        self._resend_lost_rows(sent)
        for future in [f for f in sent if f.status in ("finished", "error")]:
            out = sent.pop(future)
            result = self._result(future)
            if not out.group:
                self._save(out.planned[0], out.locks[0], result)
                continue
            # a failed group (None, or an error on the cluster: a string) saves nothing
            results = result if isinstance(result, list) else []
            again = []
            for i, (planned, lock) in enumerate(zip(out.planned, out.locks)):
                if i < len(results) and results[i][0].get("status") == "ok":
                    self._save(planned, lock, results[i])
                else:  # the per-cell path computes it, with its own failure record
                    lock.release()
                    again.append([planned])
            self.todo.extendleft(reversed(again))
        if any(f.status in ("cancelled", "lost") for f in sent):
            raise BackendError(f"{self.where} went away")

    def _resend_lost_rows(self, sent: dict) -> None:
        """Send again, with their rows scattered again, the units the cluster cancelled
        because every worker holding their data set's rows died; a unit lost that way
        more often than a local cluster retries a unit whose worker died is given up
        (a group: fold by fold; a cell: recorded ``worker lost``)."""
        for future in [f for f in sent if f.status in ("cancelled", "lost")]:
            out = sent[future]
            if self.client.status != "running" or not self.rows.lost(out.planned[0]):
                continue  # the scheduler went away: the caller ends the run
            del sent[future]
            if out.lost < LOCAL_ALLOWED_FAILURES:
                again = self._submit(out.planned, out.locks)
                sent[again] = _Sent(out.planned, out.locks, out.lost + 1)
            elif out.group:
                for lock in out.locks:
                    lock.release()
                self.todo.extendleft(reversed([[p] for p in out.planned]))
            else:
                reason = (
                    f"worker lost: every Dask worker holding this cell's rows died while it ran,"
                    f" {out.lost + 1} times (killed? out of memory? see the worker logs)"
                )
                self._save(out.planned[0], out.locks[0], reason)

    def _save(self, planned: PlannedCell, lock: CellLock, result) -> None:
        """Write one cell's result (or failure) and give its lock up."""
        try:
            record = self._write(planned.cell, result)
        finally:
            lock.release()
        self._done(planned, record, Outcome.COMPUTED)

    def _result(self, future: Future) -> tuple[dict, dict] | list | None | str:
        """The worker's result (a group's: a list, or None), or why the task failed on
        the cluster."""
        if future.status == "finished":
            try:
                return future.result()
            except Exception as exc:  # the connection dropped while fetching it
                raise BackendError(f"{self.where} went away ({type(exc).__name__})") from None
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            tries = exc.allowed_failures + 1
            return (
                f"worker lost: each of the {tries} Dask workers given this cell died with it"
                " (killed? out of memory? see the worker logs)"
            )
        text = str(exc).strip().splitlines()
        return f"on the Dask worker: {type(exc).__name__}: {text[0] if text else ''}".strip()

    def _write(self, cell, result: tuple[dict, dict] | str) -> dict:
        """Save a result (or a failure, given as its reason) under the lock held for it."""
        record, arrays = (failure_record(cell, result), {}) if isinstance(result, str) else result
        clean_stale_temp(cell.paths(self.output)[0].parent, recursive=False)
        try:
            write_cell(self.output, cell, record, arrays)
            return record
        except OSError as exc:
            error = f"could not save the result: {type(exc).__name__}: {exc}"
            failed = failure_record(cell, error)
        try:
            write_cell(self.output, cell, failed, {})
        except OSError as exc:
            log.error("cell %s failed; its failure record was not saved: %s", cell.name, exc)
            failed["error"] += f" (and the failure could not be saved: {exc})"
        return failed

    def _abandon(self, sent: dict) -> None:
        """Cancel the units still out and give their locks up; nothing is written."""
        if sent and self.client.status == "running":
            try:
                self.client.cancel(list(sent), force=True)
            except Exception as exc:  # the scheduler may be gone already
                log.debug("cancelling cells: %s", exc)
        for out in sent.values():
            for lock in out.locks:
                lock.release()
        sent.clear()
