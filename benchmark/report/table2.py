"""Table 2: MMOC-GAN (cat) over the number of modes m (the paper's m in {1, 5, 10, 20}).

Built from cell results, wherever the ablation put them: the run folder itself or a run
folder beneath it (e.g. ``RUN_DIR/ablation``). A cell belongs to Table 2 when its
registered detector is ``mmoc-gan-cat``; its m is the ``n_modes`` parameter it ran with
(the class default when the parameter was not given). With fewer than two values of m
found, the report says so instead of showing a one-row table.
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd

from benchmark.registry import detectors
from benchmark.report.load import RunData, load_run
from benchmark.report.tables import Table, bold_best
from benchmark.tables import fmt_mean_std

__all__ = ["ABLATION_DETECTOR", "TABLE2_COLUMNS", "ablation_results", "table2_tables"]

ABLATION_DETECTOR = "mmoc-gan-cat"
POLICY = "native"  # MMOC-GAN's own rule, P(real) < 0.5, as the paper reports Table 2


def _metrics() -> dict[str, str]:
    """Table 2's columns: those of :mod:`benchmark.ablation` when it is present."""
    try:
        from benchmark.ablation import TABLE2_METRICS

        return dict(TABLE2_METRICS)
    except ImportError:
        return {
            "pass_acc": "P acc.",
            "non_pass_acc": "NP acc.",
            "f1_normal": "F1",
            "auroc": "AUROC",
        }


#: (policy, metric, header) of each Table 2 column.
TABLE2_COLUMNS = [(POLICY, metric, header) for metric, header in _metrics().items()]


def _default_modes() -> int | None:
    spec = detectors().get(ABLATION_DETECTOR)
    if spec is None:
        return None
    param = inspect.signature(spec.cls.__init__).parameters.get("n_modes")
    return None if param is None else param.default


def _candidate_runs(run: RunData) -> list[pd.DataFrame]:
    frames = [run.results]
    for sub in sorted(p.parent for p in run.root.glob("*/run.json")):
        try:
            frames.append(load_run(sub).results)
        except (OSError, ValueError, json.JSONDecodeError):
            continue
    return [f for f in frames if not f.empty]


def ablation_results(run: RunData) -> pd.DataFrame:
    """Rows of ``mmoc-gan-cat`` cells (any label) with their m in column ``n_modes``."""
    default = _default_modes()
    parts = []
    for frame in _candidate_runs(run):
        sub = frame[frame["registered_name"] == ABLATION_DETECTOR].copy()
        if sub.empty:
            continue
        sub["n_modes"] = [json.loads(c).get("n_modes", default) for c in sub["config"]]
        parts.append(sub)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    # The ablation's own cells (labels such as mmoc-gan-cat-m10) win over a plain
    # mmoc-gan-cat cell of the main run with the same m.
    out = out.sort_values("detector", key=lambda d: d == ABLATION_DETECTOR, kind="stable")
    keys = ["dataset", "n_modes", "fold", "policy"]
    return out.drop_duplicates(subset=keys, keep="first")


def table2_tables(run: RunData) -> list[Table] | str:
    """One Table 2 per data set with >= 2 values of m, or a note saying why there is none."""
    if ABLATION_DETECTOR not in detectors():
        return f"Table 2 skipped: {ABLATION_DETECTOR} is not registered."
    frame = ablation_results(run)
    if frame.empty or frame["n_modes"].nunique() < 2:
        found = sorted(frame["n_modes"].dropna().unique().tolist()) if not frame.empty else []
        return (
            f"Table 2 skipped: no ablation over m in this run folder (m found: {found or 'none'})."
            " Run `run_benchmark.py --ablation modes` (its output goes to <run>/ablation),"
            " then regenerate the report."
        )
    tables = []
    for ds, sub in frame.groupby("dataset", sort=False):
        ms = sorted(sub["n_modes"].dropna().unique())
        if len(ms) < 2:
            continue
        n_folds = int(sub["fold"].nunique())
        rows, means = [], []
        for m in ms:
            cells = sub[(sub["n_modes"] == m) & (sub["status"] == "ok")]
            row, mrow = [str(int(m))], []
            for policy, metric, _ in TABLE2_COLUMNS:
                v = cells[cells["policy"] == policy][metric]
                row.append(fmt_mean_std(v, n_folds) if len(v) else "failed")
                mrow.append(float(v.mean()) if len(v) else np.nan)
            rows.append(row)
            means.append(mrow)
        mask = bold_best(np.array(means))
        bold = [[False, *r] for r in mask.tolist()]
        headers = ["m", *[h for _, _, h in TABLE2_COLUMNS]]
        note = "Native threshold (P(real) < 0.5); F1 with the normal class positive."
        tables.append(Table(f"Table 2: {ABLATION_DETECTOR} on {ds}", headers, rows, bold, note))
    return tables or "Table 2 skipped: no data set has results for two or more values of m."
