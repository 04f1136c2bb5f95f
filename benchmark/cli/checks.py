"""Checks of the command line's arguments, all made before any work starts.

Each check returns ``None`` or a one-line message naming the flag and the problem, so a
bad argument costs the user one line and exit code 2, and never leaves an empty output
folder or a half-started run behind.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import tempfile
from pathlib import Path

from benchmark.engine.backends import check_backend
from benchmark.evaluation.protocols import check_contamination

__all__ = [
    "check_numbers",
    "check_device",
    "check_cluster",
    "check_output_dir",
    "check_output_file",
]

#: The largest seed NumPy's generators accept.
MAX_SEED = 2**32 - 1


def check_numbers(args: argparse.Namespace) -> str | None:
    """``--seed``, ``--n-jobs``, ``--folds``, ``--repeats``, ``--seeds``, ``--timeout``,
    ``--memory-limit``, ``--stop-after``, ``--contamination``."""
    if not 0 <= args.seed <= MAX_SEED:
        return f"--seed must be an integer from 0 to 2**32 - 1, got {args.seed}"
    if args.n_jobs == 0 or args.n_jobs < -1:
        return f"--n-jobs must be a positive integer or -1 (all cores), got {args.n_jobs}"
    kfold = args.protocol == "kfold-normal" and not args.reproduce
    if kfold and args.folds < 2:
        return f"--folds must be at least 2 for the kfold-normal protocol, got {args.folds}"
    if args.folds < 1:
        return f"--folds must be a positive integer, got {args.folds}"
    if getattr(args, "repeats", 1) < 1:
        return f"--repeats must be a positive integer, got {args.repeats}"
    if args.seeds < 1:
        return f"--seeds must be a positive integer, got {args.seeds}"
    if args.timeout is not None and not args.timeout > 0:
        return f"--timeout must be a positive number of seconds, got {args.timeout}"
    if args.memory_limit is not None and not args.memory_limit > 0:
        return f"--memory-limit must be a positive number of MB, got {args.memory_limit}"
    return _check_stop_after(args) or _check_contamination(args)


def _check_stop_after(args: argparse.Namespace) -> str | None:
    """--stop-after: the main run on the local backend."""
    if getattr(args, "stop_after", None) is None:
        return None
    if args.study or args.ablation or args.reproduce:
        return "--stop-after is for the main run, not --study, --ablation or --reproduce"
    if args.backend != "local":
        return "--stop-after is for --backend local (a Dask run is stopped with Ctrl-C)"
    return None


def _check_contamination(args: argparse.Namespace) -> str | None:
    """ALPHA's range and protocol; the studies set their own (or none)."""
    alpha = getattr(args, "contamination", None)
    if alpha is None:
        return None
    other = "--study" if args.study else "--ablation" if args.ablation else "--reproduce"
    if args.study or args.ablation or args.reproduce:
        return (
            f"--contamination is for the main run; {other} sets its own training data"
            " (--study contamination runs several ALPHAs)"
        )
    return check_contamination(alpha, args.protocol)


def check_device(device: str) -> str | None:
    """``cpu``, ``auto``, ``cuda`` or ``cuda:N``, and a GPU for the last two.

    Checked once before any cell runs: a missing GPU is one error at the start, not a
    failure discovered cell by cell hours into a run.
    """
    if device in ("cpu", "auto"):
        return None
    m = re.fullmatch(r"cuda(?::(\d+))?", device)
    if m is None:
        return f"--device {device!r} is not a device; use cpu, cuda, cuda:N or auto"
    import torch

    if not torch.cuda.is_available():
        build = torch.version.cuda or "none (a CPU-only build)"
        return (
            f"--device {device}: PyTorch sees no CUDA GPU on this machine (torch"
            f" {torch.__version__}, CUDA {build}); use --device cpu or --device auto"
        )
    if m.group(1) is not None and int(m.group(1)) >= torch.cuda.device_count():
        n = torch.cuda.device_count()
        return f"--device {device}: this machine has {n} GPU(s), cuda:0 to cuda:{n - 1}"
    return None


#: Dask's default scheduler port, for an address given without one.
DASK_PORT = 8786


def check_cluster(args: argparse.Namespace) -> str | None:
    """``--backend``, ``--scheduler``, ``--local-workers``, and a scheduler that answers.

    The scheduler is only probed (a TCP connection, closed at once), so an address
    mistyped or a cluster not started yet costs one line, not a run that waits.
    """
    error = check_backend(args.backend, args.scheduler, args.local_workers, args.timeout)
    if error or args.backend != "dask":
        return error
    study = "--study" if args.study else "--ablation" if args.ablation else "--reproduce"
    if args.study or args.ablation or args.reproduce:
        return f"--backend dask runs the main benchmark only; run {study} with --backend local"
    if args.n_jobs != 1:
        return (
            "--n-jobs is for --backend local; with --backend dask every worker computes one"
            " cell at a time (start more workers, or give --local-workers N)"
        )
    return _probe_scheduler(args.scheduler) if args.scheduler else None


def _probe_scheduler(address: str) -> str | None:
    """Whether a TCP scheduler address answers; other protocols are left to Dask."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp", "tls"):
        return None
    host, colon, port = rest.rpartition(":")
    if not colon or "]" in port:  # no port, or an IPv6 address without one
        host, port = rest, str(DASK_PORT)
    host = host.strip("[]")
    if not host or not port.isdigit():
        return f"--scheduler {address!r} is not an address; use tcp://HOST:PORT"
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return f"--scheduler {address}: no Dask scheduler answers there ({why})"
    return None


def _first_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path) -> str | None:
    """Create and remove a temporary file in ``folder``; why it failed, if it did.

    A real write rather than ``os.access``: it also catches read-only file systems, and
    it means something when the suite runs as root.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    os.unlink(tmp)
    return None


def check_output_dir(path: Path, flag: str = "--output") -> str | None:
    """A folder that exists and is writable, or that can be created: else why not.

    Creates nothing (the probe file is removed at once), so a refused run leaves no
    empty folder behind.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"{flag} {path}: exists and is not a folder"
    base = _first_existing(path)
    if not base.is_dir():
        return f"{flag} {path}: {base} is a file, not a folder"
    why = _probe(base)
    if why is not None:
        where = "the folder" if base == Path(os.path.abspath(path)) else f"{base}"
        return f"{flag} {path}: cannot write in {where} ({why})"
    return None


def check_output_file(path: Path, flag: str = "--output") -> str | None:
    """A file path whose folder is (or can be made) writable, and that is not a folder."""
    path = Path(path)
    if path.is_dir():
        return f"{flag} {path}: is a folder; give a file name such as {path / 'dagmm.md'}"
    return check_output_dir(path.parent, flag)
