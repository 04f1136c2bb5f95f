"""Run one cell in a child process so a hang, a crash or memory exhaustion kills only it.

Children are forked from a ``forkserver`` that has the suite preloaded: starting one costs
milliseconds, and each starts from a clean state (no thread pools inherited). The child
caps its math threads, computes the cell and writes the result itself; the parent only
waits, and records a failure if the child overruns ``timeout`` or dies.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from pathlib import Path

from benchmark.cells import Cell, CellInputs, compute_cell, failure_record, load_cell, write_cell

__all__ = ["run_cell", "limit_threads"]

_CTX = None


def _context():
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(["benchmark.cells", "benchmark.registry", "detectors"])
    return _CTX


def limit_threads(n: int) -> None:
    """Cap BLAS/OpenMP and torch threads in this process to ``n``."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _child(cell: Cell, inputs: CellInputs, cls: type, output: str, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once
    limit_threads(threads)
    record, arrays = compute_cell(cell, inputs, cls)
    write_cell(Path(output), cell, record, arrays)


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = " (killed: out of memory?)" if sig == signal.SIGKILL else ""
        return f"worker died from signal {name}{hint}"
    return f"worker exited with code {code} without writing a result"


def run_cell(
    cell: Cell,
    inputs: CellInputs,
    cls: type,
    output: Path,
    *,
    timeout: float | None,
    threads: int,
    isolate: bool = True,
) -> dict:
    """Compute ``cell`` (isolated unless ``isolate`` is False) and return its saved record."""
    if not isolate or cls.__module__ == "__main__" or os.name != "posix":
        limit_threads(threads)
        record, arrays = compute_cell(cell, inputs, cls)
        write_cell(output, cell, record, arrays)
        return record
    proc = _context().Process(target=_child, args=(cell, inputs, cls, str(output), threads))
    proc.start()
    try:
        proc.join(timeout)
    except BaseException:  # Ctrl-C in the parent: stop the child, write nothing
        proc.kill()
        proc.join()
        raise
    if proc.is_alive():
        proc.kill()
        proc.join()
        record = failure_record(cell, f"TimeoutError: exceeded --timeout of {timeout:g} s")
        write_cell(output, cell, record, {})
        return record
    record, reason = load_cell(output, cell)
    if record is None:
        record = failure_record(cell, _describe_exit(proc.exitcode))
        write_cell(output, cell, record, {})
    return record
