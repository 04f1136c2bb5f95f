"""Fold groups: the pending folds of one (data set, detector) computed as one unit of work.

A detector whose class says ``fold_batchable`` (the GAN detectors: ``ocan``,
``mmoc-gan-cat``, ``mmoc-gan-mix``, ``rgan``, ``anogan``) can train its k folds as one batched model
(``fit_group``), each fold ending bitwise where it would alone. The local engine gives such
a group one child: it takes the lock of every fold it can (a fold another run holds, or
has finished, is left alone), fits the folds together, then scores, evaluates and writes
each fold's result file as a cell of its own. Whatever the group did not finish (a lock
it could not take, a failed or diverged fit, a timeout, a crash) is then computed by the
ordinary per-cell path, with its timeout, failure record and retry: a group costs at most
its own time again and changes no result. Design: ``docs/design.md`` ("Fold groups").
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from benchmark.engine.gpus import use_gpu_for
from benchmark.engine.limits import limit_memory, limit_threads, restore_memory
from benchmark.engine.workers import EVENT_LOG, live_child, no_named_semaphores, record_event
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.compute import (
    FittedCell,
    capture_warnings,
    compute_cell,
    summarise_warnings,
)
from benchmark.evaluation.inputs import CellInputs
from benchmark.store.locking import CellLock, lock_path
from benchmark.store.records import load_cell, write_cell

__all__ = ["compute_group", "fold_groups", "group_outcomes", "run_group"]


#: The most raw fold rows (bytes, summed over a group's folds) one group may hold. Its
#: child keeps each fold's raw and scaled rows (about 3x this) beside torch (~0.4 GB), so
#: 256 MB keeps a group near 1.2 GB, under the 2 GB a cell may use. Measured: a group of
#: five 500,000 x 118 folds peaked at 4.8 GB (python -m benchmark.perf --cases
#: memory-500k, before this bound); such folds now run one by one.
GROUP_BYTES = 256 * 2**20


def _fold_bytes(p) -> int:
    inputs = p.inputs
    return (inputs.n_train + inputs.n_test) * inputs.n_features * 8


def fold_groups(pending: list, enabled: bool, max_bytes: int = GROUP_BYTES) -> list[list]:
    """Units of work: the pending folds of each fold-batchable (data set, label) together,
    as many as fit in ``max_bytes`` of rows a unit, every other cell alone; in plan order."""
    units: list[list] = []
    open_unit: dict[tuple[str, str], tuple[list, int]] = {}
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
    start = time.perf_counter()
    cls.fit_group(detectors, [f.X_train for f in fitted])
    share = (time.perf_counter() - start) / len(cells)  # each fold's part of the group's time
    for f, det in zip(fitted, detectors):
        f.detector, f.fit_seconds = det, share
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


def _group_child(cells, inputs, cls, output: str, threads, memory_limit, events, conn, force):
    """A group's child: take the folds' locks it can, compute those together, write each."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once
    no_named_semaphores()
    out = Path(output)
    held = []
    for cell, cell_inputs in zip(cells, inputs):
        lock = CellLock(lock_path(cell.paths(out)[0]))
        if not lock.acquire(wait=False):
            continue  # another run computes it: the per-cell path waits for it
        if not force and load_cell(out, cell)[1] == "":
            lock.release()
            continue
        held.append((cell, cell_inputs, lock))
    conn.send([c.name for c, _, _ in held])  # the parent's timeout starts now
    if len(held) < 2:
        sys.exit(0)  # nothing to batch: the per-cell path does the rest
    limit_threads(threads)
    group = [c for c, _, _ in held]
    use_gpu_for(group[0].name, group[0].params, getattr(cls, "neural", False))
    for cell in group:
        record_event(events, "start", cell, "group")
    soft = limit_memory(memory_limit) if memory_limit else None
    try:
        results = compute_group(group, [i for _, i, _ in held], cls)
    finally:
        restore_memory(soft)
    if results is None:
        sys.exit(0)
    for (cell, _, lock), (record, arrays) in zip(held, results):
        record_event(events, "end", cell, record.get("status", ""))
        if record.get("status") != "ok":
            continue  # a fold that failed on its own is redone alone, to record it as usual
        write_cell(out, cell, record, arrays)
        lock.release()


def run_group(
    group: list,
    output: Path,
    *,
    timeout: float | None,
    threads: int,
    memory_limit: int | None,
    force: bool,
) -> set[str]:
    """Compute a fold group in one child; the names of the cells it computed and saved.

    The child's timeout is the per-cell ``timeout`` times the folds it took. Anything the
    child did not save is the caller's to compute cell by cell.
    """
    recv, send = mp.Pipe(duplex=False)
    cells = [p.cell for p in group]
    args = (
        cells,
        [p.inputs for p in group],
        group[0].cls,
        str(output),
        threads,
        memory_limit,
        os.environ.get(EVENT_LOG),
        send,
        force,
    )
    taken: list[str] = []
    with live_child(_group_child, args) as proc:
        send.close()
        if proc is None:  # the run is being aborted
            recv.close()
            return set()
        try:
            taken = _folds_taken(recv, proc)
            proc.join(None if timeout is None else timeout * max(1, len(taken)))
            if proc.is_alive():  # past its time: the per-cell path times the folds out
                proc.kill()
            proc.join()
        except BaseException:  # Ctrl-C in the parent: stop the child, write nothing more
            proc.kill()
            proc.join()
            raise
        finally:
            recv.close()
    return {c.name for c in cells if c.name in taken and load_cell(Path(output), c)[1] == ""}


def _folds_taken(recv, proc) -> list[str]:
    """The names of the folds whose locks the child took (its first message), or []."""
    try:
        while True:
            if recv.poll(0.2):
                return list(recv.recv())
            if not proc.is_alive():
                return list(recv.recv()) if recv.poll() else []
    except (EOFError, OSError):
        return []


def group_outcomes(
    group: list, output: Path, execute: Callable[[object], tuple], **options
) -> list[tuple]:
    """(planned cell, record, outcome) for every fold of ``group``: the group's child first,
    then ``execute(p)`` (the per-cell path) for each fold it did not save."""
    done = run_group(group, output, **options) if len(group) > 1 else set()
    out = []
    for p in group:
        if p.cell.name in done:
            out.append((p, load_cell(Path(output), p.cell)[0], "computed"))
        else:
            out.append(execute(p))
    return out
