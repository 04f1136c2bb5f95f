"""The command-line action behind ``--report RUN_DIR`` (and the report after each run)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

__all__ = ["report_command"]


def report_command(run_dir: Path, refresh: bool = True) -> int:
    """Write the report of ``run_dir`` and print its paths; 0 on success, 2 if impossible.

    With ``refresh`` (``--report``) results.csv, Table 1 and run.json are rebuilt first,
    over every finished cell of the folder. A report that cannot be written never hides
    the run's own outcome: the error is one line on stderr and the results stay.
    """
    from benchmark.report import write_report
    from benchmark.report.refresh import refresh_folder
    from benchmark.store.folder import IncompleteFolderError

    t0 = time.perf_counter()
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").is_file() and not (run_dir / "cells").is_dir():
        print(f"error: {run_dir}: not a run folder (no run.json and no cells/)", file=sys.stderr)
        return 2
    try:
        if refresh:
            for path in refresh_folder(run_dir):
                print(f"wrote {path}")
        md = write_report(run_dir)
    except (FileNotFoundError, IncompleteFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a broken figure must not turn a finished run into a crash
        print(f"error: report for {run_dir} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote report {md} and {md.with_suffix('.html')} ({time.perf_counter() - t0:.0f} s)")
    return 0
