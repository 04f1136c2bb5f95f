"""Where a run's cells are computed: the names of the backends and the checks of a choice.

``local`` runs each cell in a child process of this machine (:mod:`benchmark.engine.workers`);
``dask`` sends cells to the workers of a Dask cluster and writes their results here
(:mod:`benchmark.engine.dask_backend`). Dask is optional, so this module never imports it: the
checks below tell a missing install, or a choice without a cluster, in one line before
any work starts.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["BACKENDS", "BackendError", "dask_installed", "DASK_MISSING", "check_backend"]

BACKENDS = ("local", "dask")

DASK_MISSING = (
    "--backend dask needs Dask and its distributed scheduler, which are not installed;"
    " install the extra: pip install 'mmoc-bench[dask]'"
)


class BackendError(RuntimeError):
    """The cluster a run was using went away; the cells saved so far stay valid."""


def dask_installed() -> bool:
    """Whether ``dask`` and ``distributed`` can be imported (without importing them)."""
    try:
        return find_spec("dask") is not None and find_spec("distributed") is not None
    except (ImportError, ValueError):  # a broken or half-removed install
        return False


def check_backend(
    backend: str,
    scheduler: str | None = None,
    local_workers: int | None = None,
    timeout: float | None = None,
) -> str | None:
    """``None`` if the backend choice can run, else one line saying what is wrong."""
    if backend not in BACKENDS:
        return f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
    if backend == "local":
        if scheduler is not None or local_workers is not None:
            flag = "--scheduler" if scheduler is not None else "--local-workers"
            return f"{flag} is for --backend dask; add --backend dask or leave {flag} out"
        return None
    if scheduler is not None and local_workers is not None:
        return "--scheduler and --local-workers exclude each other; give one of them"
    if scheduler is None and local_workers is None:
        return (
            "--backend dask needs a cluster: --scheduler ADDRESS (a running Dask scheduler)"
            " or --local-workers N (start N worker processes here)"
        )
    if local_workers is not None and local_workers < 1:
        return f"--local-workers must be a positive integer, got {local_workers}"
    if scheduler is not None and not scheduler.strip():
        return "--scheduler must be an address such as tcp://HOST:8786, got an empty string"
    if timeout is not None:
        return (
            "--timeout is not available with --backend dask (a cell running on a Dask worker"
            " cannot be stopped on its own); leave it out, or use --backend local"
        )
    if not dask_installed():
        return DASK_MISSING
    return None
