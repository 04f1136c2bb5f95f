"""A full disk: every atomic write fails half-way with ENOSPC.

The suite writes every file through :func:`benchmark.atomic._write_all`; replacing it
here is the one place the kit reaches into the product, for this one fault.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from benchmark import atomic

__all__ = ["full_disk_write", "disk_full", "fill_disk"]


def full_disk_write(fh: BinaryIO, data: bytes) -> None:
    """Write half of ``data``, then fail as a full disk does (ENOSPC)."""
    fh.write(data[: len(data) // 2])
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fill_disk() -> None:
    """The next atomic write in this process fails half-way, as on a full disk; the
    writes after it work again (a worker computes other cells after this one)."""
    saved = atomic._write_all

    def once(fh: BinaryIO, data: bytes) -> None:
        atomic._write_all = saved
        full_disk_write(fh, data)

    atomic._write_all = once


@contextmanager
def disk_full() -> Iterator[None]:
    """Every atomic write in this process fails half-way with ENOSPC while active."""
    saved = atomic._write_all
    atomic._write_all = full_disk_write
    try:
        yield
    finally:
        atomic._write_all = saved
