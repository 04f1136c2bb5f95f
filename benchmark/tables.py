"""The paper's Table 1 from the long results: mean ± std over folds, per data set.

Columns: pass acc., non-pass acc., acc., F1 (normal positive, the paper's), F1 (anomaly
positive) under ``train-quantile`` ("raw train") and under ``oracle-f1`` ("fine tune",
an **oracle** that looks at test labels), then AUROC and AUPRC. A detector whose folds
failed shows ``failed``; one with some failed folds shows how many folds the mean uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

from benchmark.atomic import atomic_write_text

__all__ = ["aggregate", "table1", "write_table1", "fmt_mean_std"]

THRESHOLD_METRICS = {
    "pass_acc": "pass acc.",
    "non_pass_acc": "non-pass acc.",
    "acc": "acc.",
    "f1_normal": "F1 (normal)",
    "f1_anomaly": "F1 (anomaly)",
}
TABLE1_POLICIES = {"train-quantile": "raw train", "oracle-f1": "fine tune [ORACLE]"}
RANKING_METRICS = {"auroc": "AUROC", "auprc": "AUPRC"}


def fmt_mean_std(values: pd.Series, n_expected: int | None = None, digits: int = 3) -> str:
    """``mean ± std`` over the finite values; notes missing folds; ``failed`` if none."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return "n/a" if len(v) else "failed"
    std = finite.std(ddof=1) if finite.size > 1 else 0.0
    text = f"{finite.mean():.{digits}f} ± {std:.{digits}f}"
    if n_expected is not None and finite.size < n_expected:
        text += f" ({finite.size}/{n_expected})"
    return text


def aggregate(frame: pd.DataFrame, policy: str, metrics: list[str]) -> pd.DataFrame:
    """Mean, std and fold count of ``metrics`` per (data set, detector) under ``policy``."""
    sub = frame[(frame["policy"] == policy) & (frame["status"] == "ok")]
    grouped = sub.groupby(["dataset", "detector"], sort=False)[metrics]
    stats = grouped.agg(["mean", "std", "count"])
    return stats


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as formatted strings: rows (data set, detector), two-level columns."""
    if frame.empty:
        return pd.DataFrame()
    n_folds = frame.groupby(["dataset", "detector"], sort=False)["fold"].nunique()
    rows = {}
    for (dataset, detector), cell_rows in frame.groupby(["dataset", "detector"], sort=False):
        ok = cell_rows[cell_rows["status"] == "ok"]
        n = int(n_folds[(dataset, detector)])
        row = {}
        for policy, plabel in TABLE1_POLICIES.items():
            pol = ok[ok["policy"] == policy]
            for metric, mlabel in THRESHOLD_METRICS.items():
                row[(plabel, mlabel)] = fmt_mean_std(pol[metric], n) if len(pol) else "failed"
        pol = ok[ok["policy"] == "train-quantile"]
        for metric, mlabel in RANKING_METRICS.items():
            row[("", mlabel)] = fmt_mean_std(pol[metric], n) if len(pol) else "failed"
        rows[(dataset, detector)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["dataset", "detector"])
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def _flat(table: pd.DataFrame) -> list[str]:
    return [f"{a} {b}".strip() if a else b for a, b in table.columns]


def write_table1(frame: pd.DataFrame, output: Path) -> list[Path]:
    """Write Table 1 as markdown, CSV and LaTeX under ``output``; returns the paths."""
    output = Path(output)
    table = table1(frame)
    if table.empty:
        return []
    headers = ["detector", *_flat(table)]
    md = [
        "# Table 1",
        "",
        "Mean ± std over folds. *raw train*: threshold at the 99.5 % quantile of the training",
        "scores. *fine tune [ORACLE]*: the threshold that maximises F1 on the **test labels**,",
        "as the paper tuned its baselines; it is an oracle, not an achievable result.",
        "F1 (normal) takes the normal class as positive (the paper's F1 column).",
        "",
    ]
    tex = [
        "% Table 1: mean ± std over folds;"
        " 'fine tune' is an ORACLE (threshold tuned on test labels)"
    ]
    for dataset, sub in table.groupby(level="dataset", sort=False):
        body = [[det, *vals] for (_, det), vals in zip(sub.index, sub.to_numpy().tolist())]
        md += [f"## {dataset}", "", tabulate(body, headers=headers, tablefmt="github"), ""]
        tex += [
            f"% {dataset}",
            tabulate(body, headers=headers, tablefmt="latex_booktabs").replace("±", r"$\pm$"),
        ]
    flat = table.copy()
    flat.columns = _flat(table)
    paths = [output / "table1.md", output / "table1.csv", output / "table1.tex"]
    atomic_write_text(paths[0], "\n".join(md))
    atomic_write_text(paths[1], flat.reset_index().to_csv(index=False))
    atomic_write_text(paths[2], "\n".join(tex) + "\n")
    return paths
