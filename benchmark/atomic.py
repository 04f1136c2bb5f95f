"""Atomic file writes: a result is either complete on disk or absent, never half-written.

Temporary files are named ``.<name>.<pid>.<random>.tmp`` beside their target, so a run
that was killed mid-write leaves only files that :func:`clean_stale_temp` can recognise
(their writer is dead) and remove without touching another live run's files.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_save_npz",
    "clean_stale_temp",
    "current_umask",
    "pid_alive",
]

_TMP = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def _write_all(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` to ``fh`` (one place that fault-injection tests can replace)."""
    fh.write(data)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse; the rename still stands
        pass
    finally:
        os.close(fd)


def _umask_at_import() -> int:
    mask = os.umask(0o022)  # the only portable way to read it; set it straight back
    os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _umask_at_import()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux), else as it was at import.

    ``os.umask`` can only be read by setting it, which races with threads creating
    files at that moment; ``/proc/self/status`` has it as a plain value.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK_AT_IMPORT


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over.

    The file gets the mode an ordinary ``open`` would give it (0666 less the umask), not
    the 0600 of a temporary file, so colleagues can read a shared results folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as JSON (NaN and inf written as null)."""
    text = json.dumps(_nan_to_none(obj), indent=1, default=_json_default, allow_nan=False)
    atomic_write_text(path, text)


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def atomic_save_npz(path: Path, **arrays: np.ndarray) -> str:
    """Atomically write a compressed ``.npz``; returns the sha256 of the bytes written."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    data = buf.getvalue()
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def clean_stale_temp(folder: Path, recursive: bool = True) -> list[Path]:
    """Remove temporary files under ``folder`` whose writing process is dead; returns them.

    A temporary file of a live process (another run writing right now) is left alone.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp"):
        m = _TMP.match(path.name)
        if m is None or pid_alive(int(m.group(1))):
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed
