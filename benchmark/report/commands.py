"""The command-line actions behind ``--report RUN_DIR`` and ``--update-reference``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

__all__ = ["report_command", "update_reference_command"]


def report_command(run_dir: Path) -> int:
    """Write the report of ``run_dir`` and print its paths; 0 on success, 2 if impossible.

    A report that cannot be written never hides the run's own outcome: the error is one
    line on stderr and the results stay where they are.
    """
    from benchmark.report import write_report

    t0 = time.perf_counter()
    try:
        md = write_report(Path(run_dir))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a broken figure must not turn a finished run into a crash
        print(f"error: report for {run_dir} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote report {md} and {md.with_suffix('.html')} ({time.perf_counter() - t0:.0f} s)")
    return 0


def update_reference_command() -> int:
    """Rerun the smoke configuration and rewrite the committed reference table."""
    from benchmark.regression import REFERENCE, update_reference

    table = update_reference(REFERENCE)
    print("review the change with `git diff results/reference/` before committing it")
    return 0 if table["value"].notna().all() else 1
