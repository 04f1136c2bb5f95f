"""What a worker process does with one task: a cell, or a fold group, under its locks.

The process that computes a cell is the one that holds its lock (:mod:`benchmark.store.
locking`): it takes the lock, tells the parent which cells it holds (their ``--timeout``
starts then), skips a cell another run has finished meanwhile, computes, writes the
record itself and releases the lock. One task protocol serves a single cell and a fold
group: a single cell may wait for its lock, a group takes only the locks that are free.
The same :func:`compute_logged` is what a Dask worker runs for a cell.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import random
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.atomic import clean_stale_temp
from benchmark.engine.fold_groups import compute_group
from benchmark.engine.gpus import use_gpu_for
from benchmark.engine.limits import limit_memory, limit_threads, restore_memory
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.compute import compute_cell
from benchmark.evaluation.inputs import CellInputs, FoldInputs
from benchmark.store.locking import CellLock, lock_path
from benchmark.store.records import is_finished, write_cell

__all__ = [
    "EVENT_LOG",
    "Reply",
    "Task",
    "cell_resources",
    "compute_logged",
    "no_named_semaphores",
    "perform",
    "record_event",
]

#: Environment variable naming a file where each cell's compute start/end is appended
#: (pid, time, cell): an audit trail used by the fault-injection tests.
EVENT_LOG = "MMOC_BENCH_EVENT_LOG"


@dataclass
class Task:
    """One unit of work for a worker: one cell, or the folds of a fold group."""

    cells: list[Cell]
    inputs: list[CellInputs | FoldInputs]
    cls: type
    output: Path
    threads: int
    memory_limit: int | None = None
    force: bool = False
    wait: bool = True  # a single cell waits for a lock another run holds; a group never
    events: str | None = field(default_factory=lambda: os.environ.get(EVENT_LOG))

    @property
    def group(self) -> bool:
        return len(self.cells) > 1


@dataclass
class Reply:
    """What a task came to: the cells computed and saved, those found finished, and why
    the others were not saved (a cell missing from all three was left to the caller)."""

    saved: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def record_event(path: str | None, kind: str, cell: Cell, extra: str = "") -> None:
    """Append ``time pid kind cell [extra]`` to the audit file ``path`` (if one is set)."""
    if not path:
        return
    line = f"{time.time():.6f} {os.getpid()} {kind} {cell.name} {extra}".rstrip() + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def no_named_semaphores() -> None:
    """Give tqdm a thread lock, so a worker never creates a named semaphore.

    tqdm's default write lock includes a ``multiprocessing.RLock``: a named semaphore the
    resource tracker must be told about when it is freed. A worker stopped by Ctrl-C or
    killed never says so, and the tracker then printed "leaked semaphore objects" after
    the run's resume line. A worker computes one cell at a time: a thread lock suffices.
    """
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


#: Whether this process is saving results it computed (see :func:`saving`), and the stop
#: signal that arrived meanwhile.
_SAVING = False
_STOP_SIGNAL: int | None = None


def _die(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def on_stop_signal(signum: int, frame: object) -> None:
    """A worker's SIGINT/SIGTERM handler: stop at once, unless computed results are being
    saved; then stop right after the save (nothing computed is lost to a Ctrl-C)."""
    global _STOP_SIGNAL
    if _SAVING:
        _STOP_SIGNAL = signum
        return
    _die(signum)


@contextlib.contextmanager
def saving() -> Iterator[None]:
    """Computed results are being saved: a stop signal waits until the block ends."""
    global _SAVING
    _SAVING = True
    try:
        yield
    finally:
        _SAVING = False
        if _STOP_SIGNAL is not None:
            _die(_STOP_SIGNAL)


@contextlib.contextmanager
def cell_resources(cell: Cell, cls: type, memory_limit: int | None) -> Iterator[None]:
    """The GPU a (first) cell is given and the memory limit, for one computation."""
    use_gpu_for(cell.name, cell.params, getattr(cls, "neural", False))
    soft = limit_memory(memory_limit) if memory_limit else None
    try:
        yield
    finally:
        restore_memory(soft)


def compute_logged(
    cell: Cell,
    inputs: CellInputs,
    cls: type,
    memory_limit: int | None,
    events: str | None,
    log_end: bool = True,
) -> tuple[dict, dict]:
    """:func:`compute_cell` under the memory limit, its start (and end) in the audit file.

    The one way a cell is computed, by a local worker and by a Dask worker alike.
    """
    record_event(events, "start", cell)
    with cell_resources(cell, cls, memory_limit):
        record, arrays = compute_cell(cell, inputs, cls)
    if log_end:
        record_event(events, "end", cell, record.get("status", ""))
    return record, arrays


def _write(task: Task, cell: Cell, record: dict, arrays: dict, reply: Reply) -> None:
    """Save a computed cell; a write that fails is the cell's error, not the worker's end."""
    try:
        clean_stale_temp(cell.paths(task.output)[0].parent, recursive=False)
        write_cell(task.output, cell, record, arrays)
        reply.saved.append(cell.name)
    except OSError as exc:
        reply.errors[cell.name] = f"could not save the result: {type(exc).__name__}: {exc}"


def _take_locks(task: Task, reply: Reply) -> list[tuple[Cell, CellInputs, CellLock]]:
    """The locks this task can hold: every free one of a group; a single cell's, waiting
    for it if the task says so. A cell found finished under its lock is released again."""
    held = []
    for cell, inputs in zip(task.cells, task.inputs):
        lock = CellLock(lock_path(cell.paths(task.output)[0]))
        if not lock.acquire(wait=task.wait and not task.group):
            continue  # another run computes it
        if not task.force and is_finished(task.output, cell):
            lock.release()
            reply.reused.append(cell.name)
            continue
        held.append((cell, inputs, lock))
    return held


def perform(task: Task, tell) -> Reply:
    """Do ``task`` in this process; ``tell(names)`` is called once the locks are held.

    A single cell is computed and saved whatever its status (a failed cell's record is
    its result). A group is fitted together (``fit_group``) and only its ok folds are
    saved: a fold that failed, or a group of fewer than two free folds, is left to the
    per-cell path, which records it as usual.
    """
    reply = Reply()
    held = _take_locks(task, reply)
    try:
        tell([c.name for c, _, _ in held] + reply.reused)
        if not held or (task.group and len(held) < 2):
            return reply
        limit_threads(task.threads)
        if not task.group:
            cell, inputs, _ = held[0]
            record, arrays = compute_logged(
                cell, inputs, task.cls, task.memory_limit, task.events, log_end=False
            )
            with saving():  # computed: a stop signal now waits for the save
                record_event(task.events, "end", cell, record.get("status", ""))
                _write(task, cell, record, arrays, reply)
            return reply
        cells = [c for c, _, _ in held]
        for cell in cells:
            record_event(task.events, "start", cell, "group")
        with cell_resources(cells[0], task.cls, task.memory_limit):
            results = compute_group(cells, [i for _, i, _ in held], task.cls)
        with saving():
            for cell, (record, arrays) in zip(cells, results or []):
                record_event(task.events, "end", cell, record.get("status", ""))
                if record.get("status") == "ok":
                    _write(task, cell, record, arrays, reply)
        return reply
    finally:
        for _, _, lock in held:
            lock.release()


@dataclass
class RowsRef:
    """Stands for a data set's feature array in a task sent to a worker: the array
    travels with the first task that needs it and is kept by the worker for the next."""

    key: int
    array: np.ndarray | None = None


class RowsCache:
    """A worker's copies of the data sets' feature arrays, by :class:`RowsRef` key."""

    def __init__(self) -> None:
        self._rows: dict[int, np.ndarray] = {}

    def resolve(self, task: Task) -> None:
        """Put the arrays back into ``task``'s inputs (keeping any that came with it)."""
        for inputs in task.inputs:
            ref = getattr(inputs, "X", None)
            if isinstance(ref, RowsRef):
                if ref.array is not None:
                    self._rows[ref.key] = ref.array
                inputs.X = self._rows[ref.key]


def by_reference(task: Task, sent: dict[int, weakref.ref]) -> Task:
    """``task`` with each in-memory feature array replaced by a :class:`RowsRef`: the
    array itself unless ``sent`` says the worker holds it (``sent`` then records it; a
    weak reference, so an array freed and another made at its address is sent anew).

    Pickling a data set for every cell cost 10-15 ms a cell on the bundled data.
    """
    inputs = []
    for item in task.inputs:
        X = getattr(item, "X", None)
        if isinstance(item, FoldInputs) and isinstance(X, np.ndarray):
            key = id(X)
            held = key in sent and sent[key]() is X
            item = copy.copy(item)
            item.X = RowsRef(key, None if held else X)
            sent[key] = weakref.ref(X)
        inputs.append(item)
    return dataclasses.replace(task, inputs=inputs)


class RandomState:
    """The global random states a process starts with, put back before each task, so a
    warm worker's cell starts from the state a freshly forked process would have."""

    def __init__(self) -> None:
        import torch

        self._torch = torch.random.get_rng_state()
        self._numpy = np.random.get_state()
        self._python = random.getstate()

    def restore(self) -> None:
        import torch

        torch.random.set_rng_state(self._torch)
        np.random.set_state(self._numpy)
        random.setstate(self._python)
