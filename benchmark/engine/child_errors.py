"""What to tell the user when a cell's child ends without a result (timeout, signal, exit).

Kept apart from :mod:`benchmark.engine.workers`, which runs the child: these only word the
error a failed cell records.
"""

from __future__ import annotations

import signal

from benchmark.evaluation.cell import Cell

__all__ = ["describe_exit", "timeout_error"]


def timeout_error(cell: Cell, inputs, timeout: float, elapsed: float) -> str:
    """The error of a cell killed at ``--timeout``: what it was doing and which knob to turn.

    Names the detector, the training rows (and the cap that applied), the test rows and
    the time it ran, and suggests ``--train-cap`` (the rows it fits on) or ``--timeout``.
    """
    n_train, n_test = getattr(inputs, "n_train", None), getattr(inputs, "n_test", None)
    cap = cell.extra.get("train_cap")
    fitted = f" (fitted on a seeded subsample of {cap})" if cap else ""
    rows = f"{n_train} training rows{fitted} and {n_test} test rows" if n_train else "its rows"
    fewer = max(2, min(cap or n_train or 20_000, 100_000) // 2)
    return (
        f"TimeoutError: {cell.detector} exceeded --timeout of {timeout:g} s (stopped after"
        f" {elapsed:.0f} s) on {rows}; fit on fewer rows with --train-cap"
        f" {cell.label}={fewer} or raise --timeout"
    )


def describe_exit(code: int | None) -> str:
    """Why a cell's child ended without a result: the signal that killed it, or its code."""
    if code is not None and code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = " (killed: out of memory?)" if sig == signal.SIGKILL else ""
        return f"worker died from signal {name}{hint}"
    return f"worker exited with code {code} without writing a result"
