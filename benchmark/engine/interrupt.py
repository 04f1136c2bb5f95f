"""Stopping a run from outside: Ctrl-C (SIGINT) and SIGTERM take the same clean path.

SIGTERM is what Slurm, Kubernetes, ``timeout`` and ``kill`` send. Python's default
would end the main process at once and orphan the forkserver and the running cells;
:func:`stop_on_sigterm` turns it into :class:`Terminated`, a ``KeyboardInterrupt``, so
the harness kills its children, releases their locks and leaves a consistent folder
exactly as it does for Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Terminated", "stop_on_sigterm", "interrupted_line"]


class Terminated(KeyboardInterrupt):
    """SIGTERM was received (handled like Ctrl-C; the exit code is 143)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_line(exc: BaseException, n_done: int, n_total: int, where: Path) -> str:
    """The one line an interrupted run prints: what stopped it, what is saved, what next."""
    what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
    return (
        f"\n{what}: {n_done} of {n_total} cells are finished and saved in {where};"
        " rerun the same command to resume"
    )
