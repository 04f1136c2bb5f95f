"""Table 2 in the report: :mod:`benchmark.ablation`'s table, rendered for the report.

The cells are found wherever ``--ablation modes`` put them: the run folder itself or a
run folder beneath it (``RUN_DIR/ablation`` by default). The rows, columns and labels
are :mod:`benchmark.ablation`'s, so the report and ``table2.md`` cannot disagree.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from benchmark.ablation import TABLE2_METRICS, modes_numeric, modes_table, parse_label
from benchmark.report.load import RunData, load_run
from benchmark.report.tables import Table, bold_best

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
    table = modes_table(frame)
    numeric = modes_numeric(frame)
    tables = []
    for (dataset, detector), sub in table.groupby(level=["dataset", "detector"], sort=False):
        if len(sub) < 2:
            continue
        rows = [[row, *vals] for (_, _, row), vals in zip(sub.index, sub.to_numpy().tolist())]
        means = []
        for _, _, row in sub.index:
            hit = numeric[
                (numeric["dataset"] == dataset)
                & (numeric["detector"] == detector)
                & (numeric["label"].map(lambda lbl: parse_label(lbl).row) == row)
            ]
            means.append(
                [float(hit[f"{m}_mean"].iloc[0]) if len(hit) else np.nan for m in TABLE2_METRICS]
            )
        bold = [[False, *r] for r in bold_best(np.array(means)).tolist()]
        note = (
            "Native threshold (P(real) < 0.5); F1 (normal) takes the normal class as positive."
            " The paired test of m = 10 against m = 1 is in the ablation's table2.md."
        )
        headers = ["variant", *TABLE2_METRICS.values()]
        tables.append(Table(f"Table 2: {detector} on {dataset}", headers, rows, bold, note))
    return tables or f"Table 2 skipped: no data set has two or more variants. {_HOW}"
