"""The command line's ways out: an error (exit 2), and a run stopped by Ctrl-C (130) or
SIGTERM (143) that says how many cells are saved and how to resume."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmark.engine.interrupt import Terminated, interrupted_line

__all__ = ["fail", "interrupted", "stop_code"]


def fail(msg: str) -> int:
    """Print ``error: msg`` on stderr; the exit code of a bad command line (2)."""
    print(f"error: {msg}", file=sys.stderr)
    return 2


def stop_code(exc: BaseException) -> int:
    """The exit code of a run stopped by ``exc``: 143 for SIGTERM, 130 for Ctrl-C."""
    return 143 if isinstance(exc, Terminated) else 130


def interrupted(exc: KeyboardInterrupt, configs: list, where: Path) -> int:
    """Say how many cells of ``configs`` are saved and how to resume; the exit code."""
    from benchmark.engine.harness import plan

    planned = [p for config in configs for p in plan(config)]
    n_done = sum(p.done for p in planned)
    print(interrupted_line(exc, n_done, len(planned), where), file=sys.stderr)
    return stop_code(exc)
