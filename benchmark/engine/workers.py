"""Warm worker processes: each job slot keeps one, which computes task after task, so a
hang, a crash or memory exhaustion costs one cell (or one fold group), never the run.

A worker is forked from a ``forkserver`` that has the suite preloaded, and then serves
:class:`~benchmark.engine.tasks.Task` after task over a pipe: the per-cell cost is a
message, not a process. The protocol is the same for a single cell and a fold group:

1. the parent sends the task;
2. the worker takes the locks it can and answers with the names of the cells it holds
   (the task's ``timeout`` starts then, once per cell held);
3. it computes, saves each record itself, releases the locks and sends a
   :class:`~benchmark.engine.tasks.Reply`.

A worker that overruns its time is killed; one that dies, is killed or grows past its
memory budget is replaced by a fresh one for the next task. Before each task a worker
puts back the global random states it started with, so a cell's numbers do not depend
on the cells the worker computed before it (checked byte for byte by the tests).
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
from dataclasses import dataclass, field

from benchmark.engine.child_errors import describe_exit
from benchmark.engine.tasks import (
    RandomState,
    Reply,
    RowsCache,
    Task,
    by_reference,
    no_named_semaphores,
    on_stop_signal,
    perform,
)
from benchmark.evaluation.compute import reset_peak_rss

__all__ = [
    "TaskResult",
    "abort_all",
    "aborted",
    "close_workers",
    "reset_abort",
    "run_task",
]

log = logging.getLogger(__name__)

#: A worker whose resident memory exceeds this after a task (or the run's
#: ``--memory-limit``, if smaller) is replaced: the allocator rarely returns memory, and
#: a big cell should not leave its footprint to every cell after it.
RETIRE_RSS_BYTES = 2 * 2**30

_CTX = None
_LIVE: set = set()  # every started worker (killed by abort_all, stopped by close_workers)
_LIVE_LOCK = threading.Lock()
_ABORT = threading.Event()
_SLOT = threading.local()  # this thread's (job slot's) warm worker


#: What the workers' forkserver imports before it forks one: the suite (torch included,
#: through ``detectors``), then the warm-up (:mod:`benchmark.engine.forkserver_warmup`).
_PRELOAD = [
    "benchmark.engine.tasks",
    "benchmark.registry",
    "detectors",
    "benchmark.engine.forkserver_warmup",
]


def _preload() -> list[str]:
    """:data:`_PRELOAD` and every other module of the suite this process has imported.

    A worker re-imports the main module (``run_benchmark.py``: the CLI), and Python 3.11's
    forkserver never preloads it, so without these each worker imported ~20 modules again.
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


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def _serve(conn) -> None:
    """A worker's life: task after task until the pipe closes or memory says stop."""
    # Ctrl-C (the terminal's, or abort_all's SIGTERM) stops the worker at once, or right
    # after it has saved results it computed.
    signal.signal(signal.SIGINT, on_stop_signal)
    signal.signal(signal.SIGTERM, on_stop_signal)
    no_named_semaphores()
    start = RandomState()
    rows = RowsCache()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        rows.resolve(task)
        start.restore()
        reset_peak_rss()
        try:
            reply = perform(task, lambda names: conn.send(("held", names)))
        except Exception as exc:  # e.g. a lock file it cannot create: the task's error
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        budget = min(RETIRE_RSS_BYTES, task.memory_limit or RETIRE_RSS_BYTES)
        # A MemoryError or a failed write may have left the process unwell: a fresh one.
        retire = _rss_bytes() > budget or any(
            "MemoryError" in e or "could not save" in e for e in reply.errors.values()
        )
        conn.send(("reply", reply, retire))
        if retire:
            return


class _Worker:
    """The parent's handle on one warm worker process."""

    def __init__(self) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.sent_rows: dict = {}  # the data sets this worker holds (see by_reference)
        with _LIVE_LOCK:
            if _ABORT.is_set():
                raise _Aborted
            self.proc.start()
            _LIVE.add(self)
        child.close()

    def alive(self) -> bool:
        return self.proc.is_alive()

    def receive(self, deadline: float | None) -> tuple | None:
        """The worker's next message; None if it died, or ``deadline`` passed first."""
        while True:
            wait = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if wait <= 0:
                return None
            try:
                if self.conn.poll(wait):
                    return self.conn.recv()
            except (EOFError, OSError):
                return None
            if not self.proc.is_alive():
                try:  # it may have answered just before it exited
                    return self.conn.recv() if self.conn.poll() else None
                except (EOFError, OSError):
                    return None

    def stop(self, how: str = "ask") -> None:
        """End the worker and wait for it; idempotent. ``ask``: after its task (it reads
        no more); ``terminate``: SIGTERM, so it stops at once or right after saving what
        it computed; ``kill``: SIGKILL (a hang). Whatever is still alive after 5 s is killed.
        """
        with _LIVE_LOCK:
            if self not in _LIVE:
                return
            _LIVE.discard(self)
        if not self.proc.is_alive():
            how = "kill"
        if how == "ask":
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
        elif how == "terminate":
            with contextlib.suppress(OSError):
                self.proc.terminate()
        else:
            self.proc.kill()
        self.proc.join(5)
        if self.proc.is_alive():  # busy with a task: nothing it was writing is kept
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class _Aborted(Exception):
    """The run is being stopped: no worker is started."""


@dataclass
class TaskResult:
    """What the parent saw of a task: the worker's reply, or how the worker ended."""

    held: list[str] = field(default_factory=list)  # cells whose locks the worker took
    reply: Reply | None = None  # None: the worker died, timed out or the run stopped
    timed_out: bool = False
    interrupted: bool = False
    seconds: float = 0.0  # from the locks being held to the end
    error: str = ""  # why there is no reply


def _slot_worker() -> _Worker:
    worker = getattr(_SLOT, "worker", None)
    if worker is None or not worker.alive() or worker not in _LIVE:
        if worker is not None:
            worker.stop("kill")
        worker = _SLOT.worker = _Worker()
    return worker


def run_task(task: Task, timeout: float | None) -> TaskResult:
    """Do ``task`` in this job slot's warm worker (started or replaced as needed).

    ``timeout`` is per cell held and counts from when the worker holds the locks; a
    worker past it is killed, so is every worker on :func:`abort_all`.
    """
    result = TaskResult()
    try:
        worker = _slot_worker()
    except _Aborted:
        result.interrupted = True
        return result
    try:
        worker.conn.send(by_reference(task, worker.sent_rows))
        message = worker.receive(None)
        if message is not None and message[0] == "held":
            result.held = list(message[1])
            started = time.monotonic()
            limit = None if timeout is None else timeout * max(1, len(result.held))
            message = worker.receive(None if limit is None else started + limit)
            result.seconds = time.monotonic() - started
            # Past its time, not dead: a worker's exit is seen on its pipe before its
            # process handle knows it (a SIGKILLed worker looked alive for a moment).
            result.timed_out = message is None and limit is not None and result.seconds >= limit
    except BaseException:  # Ctrl-C in the parent: stop the worker once it has saved
        _retire(worker, "terminate")
        raise
    if message is not None and message[0] == "error":
        result.error = message[1]
        return result
    if message is not None and message[0] == "reply":
        result.reply = message[1]
        if message[2]:  # the worker leaves (memory): a fresh one takes the next task
            _retire(worker)
        return result
    _retire(worker, "kill")
    if _ABORT.is_set() or worker.proc.exitcode in (-signal.SIGINT, -signal.SIGTERM):
        result.interrupted = True
    elif not result.timed_out:
        result.error = describe_exit(worker.proc.exitcode)
    return result


def _retire(worker: _Worker, how: str = "ask") -> None:
    worker.stop(how)
    if getattr(_SLOT, "worker", None) is worker:
        _SLOT.worker = None


def close_workers() -> None:
    """Stop every warm worker (the end of a run); a worker busy with a task is killed."""
    with _LIVE_LOCK:
        workers = list(_LIVE)
    for worker in workers:
        worker.stop()


def abort_all() -> int:
    """Stop starting tasks and stop every worker (Ctrl-C); returns how many there were.

    A worker gets SIGTERM: it stops at once, or right after saving results it has
    computed, so nothing computed is lost; one still alive after 5 s is killed.
    """
    _ABORT.set()
    with _LIVE_LOCK:
        workers = list(_LIVE)
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.proc.terminate()
    deadline = time.monotonic() + 5
    for worker in workers:
        worker.proc.join(max(0.0, deadline - time.monotonic()))
        if worker.proc.is_alive():
            worker.proc.kill()
            worker.proc.join()
    return len(workers)


def aborted() -> bool:
    """Whether :func:`abort_all` was called (and :func:`reset_abort` not since)."""
    return _ABORT.is_set()


def reset_abort() -> None:
    """Allow tasks to start again after :func:`abort_all` (a new run in this process)."""
    _ABORT.clear()
