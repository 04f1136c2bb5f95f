"""Publishable reports of a finished run: tables, statistics, figures, markdown and HTML.

``write_report(run_dir)`` regenerates everything from the run folder's saved results.
"""

from benchmark.report.render import write_report

__all__ = ["write_report"]
