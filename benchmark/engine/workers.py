"""Run one cell in a child process so a hang, a crash or memory exhaustion kills only it.

Children are forked from a ``forkserver`` that has the suite preloaded: starting one costs
milliseconds, and each starts from a clean state (no thread pools inherited). The child
takes the cell's lock (:mod:`benchmark.store.locking`), caps its math threads (and, if asked,
its memory), computes the cell and writes the result itself; the parent only waits, and
records a failure if the child overruns ``timeout``, dies, or cannot save its result.

The child is the lock's only owner: it takes the lock (waiting for another run's child if
asked), tells the parent it has it (the ``--timeout`` starts then), and holds it while it
computes and writes. So two runs sharing an output folder never work on one cell at the
same time, even if a parent is killed on its own. :func:`execute_cell` reads top to bottom:
an attempt (in this process or in a child) and one function that turns it into a result.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.atomic import clean_stale_temp
from benchmark.engine.child_errors import describe_exit, timeout_error
from benchmark.engine.gpus import use_gpu_for
from benchmark.engine.limits import limit_memory, limit_threads, restore_memory
from benchmark.evaluation.cell import Cell
from benchmark.evaluation.compute import compute_cell
from benchmark.evaluation.inputs import CellInputs
from benchmark.store.locking import CellLock, holder, lock_path
from benchmark.store.records import failure_record, load_cell, write_cell

__all__ = [
    "execute_cell",
    "abort_all",
    "compute_logged",
    "live_child",
    "record_event",
    "no_named_semaphores",
    "EVENT_LOG",
]

log = logging.getLogger(__name__)

#: Environment variable naming a file where each cell's compute start/end is appended
#: (pid, time, cell): an audit trail used by the fault-injection tests.
EVENT_LOG = "MMOC_BENCH_EVENT_LOG"

_EXIT_WRITE_FAILED = 74  # sysexits EX_IOERR: the result could not be saved
_EXIT_LOCKED = 75  # EX_TEMPFAIL: another process holds the cell's lock
_EXIT_DONE = 76  # another process finished the cell before this one got its lock

_CTX = None
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()
_ABORT = threading.Event()


#: What the cells' forkserver imports before it forks a child: the suite (torch included,
#: through ``detectors``), then the warm-up (:mod:`benchmark.engine.forkserver_warmup`).
_PRELOAD = [
    "benchmark.evaluation.compute",
    "benchmark.store.records",
    "benchmark.registry",
    "detectors",
    "benchmark.engine.forkserver_warmup",
]


def _preload() -> list[str]:
    """:data:`_PRELOAD` and every other module of the suite this process has imported.

    A child re-imports the main module (``run_benchmark.py``: the CLI), and Python 3.11's
    forkserver never preloads it, so without these each child imported ~20 modules again.
    """
    ours = sorted(
        name
        for name in sys.modules
        if name.split(".")[0] in ("benchmark", "detectors") and not name.endswith("__main__")
    )
    return _PRELOAD + [name for name in ours if name not in _PRELOAD]


def _context():
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(_preload())
    return _CTX


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


def _compute_and_write(
    cell: Cell, inputs: CellInputs, cls: type, output: Path, memory_limit: int | None, events
) -> dict:
    """Compute and save a cell whose lock the caller holds; OSError if it cannot be saved."""
    json_path, _ = cell.paths(output)
    clean_stale_temp(json_path.parent, recursive=False)
    record, arrays = compute_logged(cell, inputs, cls, memory_limit, events)
    write_cell(output, cell, record, arrays)
    return record


def compute_logged(
    cell: Cell, inputs: CellInputs, cls: type, memory_limit: int | None, events: str | None
) -> tuple[dict, dict]:
    """:func:`compute_cell` under the memory limit, its start and end in the audit file.

    The one way a cell is computed, by a local child and by a Dask worker alike.
    """
    record_event(events, "start", cell)
    use_gpu_for(cell.name, cell.params, getattr(cls, "neural", False))
    soft = limit_memory(memory_limit) if memory_limit else None
    try:
        record, arrays = compute_cell(cell, inputs, cls)
    finally:
        restore_memory(soft)
    record_event(events, "end", cell, record.get("status", ""))
    return record, arrays


def no_named_semaphores() -> None:
    """Give tqdm a thread lock, so a cell's child never creates a named semaphore.

    tqdm's default write lock includes a ``multiprocessing.RLock``: a named semaphore the
    resource tracker must be told about when it is freed. A child stopped by Ctrl-C or
    killed never says so, and the tracker then printed "leaked semaphore objects" after
    the run's resume line. A cell is one process, so a thread lock is all tqdm needs.
    """
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


#: The child's first message: it holds the cell's lock, so its ``timeout`` starts now.
_HAS_LOCK = "lock acquired"


def _child(cell, inputs, cls, output: str, threads: int, memory_limit, events, conn, force, wait):
    """A cell's child: take the lock (waiting if asked), skip a finished cell, compute, save."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once
    no_named_semaphores()
    lock = CellLock(lock_path(cell.paths(Path(output))[0]))
    if not lock.acquire(wait=wait):
        sys.exit(_EXIT_LOCKED)
    conn.send(_HAS_LOCK)
    if not force and load_cell(Path(output), cell)[1] == "":
        sys.exit(_EXIT_DONE)
    limit_threads(threads)
    try:
        _compute_and_write(cell, inputs, cls, Path(output), memory_limit, events)
    except OSError as exc:
        conn.send(f"could not save the result: {type(exc).__name__}: {exc}")
        sys.exit(_EXIT_WRITE_FAILED)


def _record_failure(cell: Cell, output: Path, error: str) -> dict:
    """Save a failure record for ``cell`` unless another run owns or has finished it."""
    record = failure_record(cell, error)
    lock = CellLock(lock_path(cell.paths(output)[0]))
    if not lock.acquire(wait=True, timeout=30):
        return record  # another run has taken the cell over; its result will stand
    try:
        existing, reason = load_cell(output, cell)
        if reason == "":
            return existing
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


@contextlib.contextmanager
def live_child(target: Callable, args: tuple) -> Iterator[Any]:
    """A started child of the cells' forkserver, killed by :func:`abort_all` while it runs.

    Yields None (and starts nothing) when the run is being aborted.
    """
    proc = _context().Process(target=target, args=args)
    with _LIVE_LOCK:
        started = not _ABORT.is_set()
        if started:
            proc.start()
            _LIVE.add(proc)
    try:
        yield proc if started else None
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)


def abort_all() -> int:
    """Stop starting cells and kill every running child (Ctrl-C); returns how many."""
    _ABORT.set()
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.join(5)
    return len(procs)


def reset_abort() -> None:
    """Allow cells to start again after :func:`abort_all` (a new run in this process)."""
    _ABORT.clear()


@dataclass
class _Attempt:
    """What one attempt at a cell came to, before :func:`execute_cell` records anything.

    ``outcome`` is ``computed``, ``reused``, ``locked``, ``interrupted`` or ``failed``;
    ``record`` is the saved record (computed, reused) and ``error`` says why it failed.
    """

    outcome: str
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
) -> tuple[dict, str]:
    """Compute ``cell`` under its lock; returns (record, what happened).

    What happened is ``computed``, ``reused`` (finished already, or by another run
    meanwhile), ``locked`` (held by a live process and ``wait_for_lock`` is False; nothing
    written) or ``interrupted`` (:func:`abort_all` was called; nothing written). With
    ``force`` a saved result is recomputed rather than reused.

    The process that computes the cell is the one that holds its lock: the child, or this
    process for in-process cells. A finished cell is recognised without the lock (its
    files are written atomically), and again under it, in case another run just finished.
    """
    output = Path(output)
    if _ABORT.is_set():
        attempt = _Attempt("interrupted")
    elif not force and (saved := load_cell(output, cell))[1] == "":
        attempt = _Attempt("reused", saved[0])
    elif not isolate or cls.__module__ == "__main__" or os.name != "posix":
        attempt = _in_process(
            cell, inputs, cls, output, threads, wait_for_lock, memory_limit, force
        )
    else:
        attempt = _in_child(
            cell, inputs, cls, output, timeout, threads, wait_for_lock, memory_limit, force
        )
    return _outcome(cell, output, attempt)


def _outcome(cell: Cell, output: Path, attempt: _Attempt) -> tuple[dict, str]:
    """The one place an attempt becomes (record, what happened); failures are saved."""
    if attempt.outcome == "interrupted":
        return {"status": "interrupted", "error": "interrupted"}, "interrupted"
    if attempt.outcome == "locked":
        where = holder(lock_path(cell.paths(output)[0]))
        return {"status": "locked", "error": f"locked by {where}"}, "locked"
    if attempt.outcome in ("computed", "reused") and attempt.record is not None:
        return attempt.record, attempt.outcome
    error = attempt.error or "the worker reported success but its result cannot be read"
    return _record_failure(cell, output, error), "computed"


def _acquire(lock: CellLock, wait: bool) -> str:
    """Take ``lock`` in this process: ``acquired``, ``locked`` or ``interrupted``."""
    while not lock.acquire(wait=False):
        if not wait:
            return "locked"
        if _ABORT.is_set():
            return "interrupted"
        time.sleep(0.2)
    return "acquired"


def _in_process(cell, inputs, cls, output: Path, threads, wait, memory_limit, force) -> _Attempt:
    """Compute the cell in this process (test doubles, ``isolate=False``) under its lock."""
    lock = CellLock(lock_path(cell.paths(output)[0]))
    got = _acquire(lock, wait)
    if got != "acquired":
        return _Attempt(got)
    try:
        existing, reason = load_cell(output, cell)
        if reason == "" and not force:
            return _Attempt("reused", existing)
        limit_threads(threads)
        events = os.environ.get(EVENT_LOG)
        return _Attempt(
            "computed", _compute_and_write(cell, inputs, cls, output, memory_limit, events)
        )
    except OSError as exc:
        return _Attempt("failed", error=f"could not save the result: {type(exc).__name__}: {exc}")
    finally:
        lock.release()


def _in_child(
    cell, inputs, cls, output: Path, timeout, threads, wait, memory_limit, force
) -> _Attempt:
    """Compute the cell in a fresh child; ``timeout`` counts from when it holds the lock."""
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    events = os.environ.get(EVENT_LOG)
    args = (cell, inputs, cls, str(output), threads, memory_limit, events, send, force, wait)
    proc = ctx.Process(target=_child, args=args)
    with _LIVE_LOCK:
        if _ABORT.is_set():
            return _Attempt("interrupted")
        proc.start()
        _LIVE.add(proc)
    send.close()
    messages: list[str] = []
    timed_out = False
    started = time.perf_counter()
    try:
        messages = _until_locked(recv, proc)
        if messages == [_HAS_LOCK]:
            started = time.perf_counter()
            proc.join(timeout)
            timed_out = proc.is_alive()
            if timed_out:
                proc.kill()
        proc.join()  # a child that never got the lock is already exiting
    except BaseException:  # Ctrl-C in the parent: stop the child, write nothing
        proc.kill()
        proc.join()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        messages += _drain(recv)
    code = proc.exitcode
    if _ABORT.is_set() or code == -signal.SIGINT:  # Ctrl-C: nothing to record
        return _Attempt("interrupted")
    if timed_out:
        elapsed = time.perf_counter() - started
        return _Attempt("failed", error=timeout_error(cell, inputs, timeout, elapsed))
    if code == _EXIT_LOCKED:
        return _Attempt("locked")
    if code in (0, _EXIT_DONE):
        outcome = "computed" if code == 0 else "reused"
        return _Attempt(outcome, load_cell(output, cell)[0])
    errors = [m for m in messages if m != _HAS_LOCK]
    return _Attempt("failed", error=errors[0] if errors else describe_exit(code))


def _until_locked(recv, proc) -> list[str]:
    """Wait until the child holds the lock (it says so) or exits; what it sent so far."""
    while True:
        if recv.poll(0.2):
            return _drain(recv, first_only=True)
        if not proc.is_alive():
            return []


def _drain(recv, first_only: bool = False) -> list[str]:
    """The child's messages still in the pipe (none once it is closed or broken)."""
    messages: list[str] = []
    try:
        while recv.poll():
            messages.append(recv.recv())
            if first_only:
                break
    except (EOFError, OSError):
        pass
    if not first_only:
        recv.close()
    return messages
