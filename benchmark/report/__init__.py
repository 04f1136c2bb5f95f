"""Publishable reports of a run folder: its derived files, tables, statistics, figures,
markdown and HTML.

``write_report(run_dir)`` regenerates the report from the run folder's saved results;
``refresh.refresh_folder`` rebuilds ``results.csv``, Table 1 and ``run.json``. The
report's modules are imported on first use, so the engine (which rebuilds a folder's
files after every run) does not load matplotlib.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_report"]


def __getattr__(name: str) -> Any:
    if name == "write_report":
        from benchmark.report.render import write_report

        return write_report
    raise AttributeError(f"module 'benchmark.report' has no attribute {name!r}")
