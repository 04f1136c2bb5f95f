"""Table 2 in the report: the cells of ``--ablation modes`` found in or beneath the run folder.

The table is :func:`benchmark.report.paper_tables.table2`, the definition ``table2.md`` uses too, so
the report and the ablation's file cannot disagree. The cells are read from files only:
the run folder itself or a run folder beneath it (``RUN_DIR/ablation`` by default).
"""

from __future__ import annotations

import json

import pandas as pd

from benchmark.report.load import RunData, load_run
from benchmark.report.paper_tables import parse_label, table2
from benchmark.report.text_table import Table

__all__ = ["ablation_results", "table2_tables"]

_HOW = (
    "Run `python run_benchmark.py --ablation modes` (it writes into `RUN_DIR/ablation`),"
    " then regenerate the report with `--report RUN_DIR`."
)


def _candidate_runs(run: RunData) -> list[pd.DataFrame]:
    frames = [run.results]
    for sub in sorted(p.parent for p in run.root.glob("*/run.json")):
        try:
            frames.append(load_run(sub).results)
        except (OSError, ValueError, json.JSONDecodeError):
            continue
    return [f for f in frames if not f.empty]


def ablation_results(run: RunData) -> pd.DataFrame:
    """The long result rows of every Table 2 variant found in or beneath the run folder."""
    parts = [
        f[f["detector"].map(lambda lbl: parse_label(lbl) is not None)] for f in _candidate_runs(run)
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates(subset=["dataset", "detector", "fold", "policy"], keep="first")


def table2_tables(run: RunData) -> list[Table] | str:
    """One Table 2 per (data set, MMOC-GAN variant), or a note saying why there is none."""
    frame = ablation_results(run)
    if frame.empty:
        return f"Table 2 skipped: no `--ablation modes` cells in this run folder. {_HOW}"
    return table2(frame) or f"Table 2 skipped: no data set has two or more variants. {_HOW}"
