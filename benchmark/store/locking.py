"""Per-cell locks, so two runs on one output folder never compute or write a cell together.

A lock is an ``fcntl.flock`` on ``foldK.lock`` beside the cell's result files; the file
holds the owner's pid, host and start time for humans and error messages. The kernel
drops a flock when its process dies, however it dies, so the lock of a killed run is
never stale: the next run simply acquires it (the old pid left in the file is overwritten).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

__all__ = ["CellLock", "lock_path", "holder"]


def lock_path(json_path: Path) -> Path:
    """The lock file of the cell whose record is ``json_path``."""
    return Path(json_path).with_suffix(".lock")


def holder(path: Path) -> str:
    """Who holds (or last held) the lock at ``path``, as ``pid N on HOST`` (best effort)."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        return f"pid {info['pid']} on {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class CellLock:
    """An exclusive, non-reentrant lock on one cell; use ``acquire``/``release`` or ``with``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self, wait: bool = False, poll: float = 0.2, timeout: float | None = None) -> bool:
        """Take the lock; without ``wait`` return False at once if a live process holds it."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait or (deadline is not None and time.monotonic() > deadline):
                        os.close(fd)
                        return False
                    time.sleep(poll)
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up (the file stays: deleting it would race with a new owner)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> CellLock:
        self.acquire(wait=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
