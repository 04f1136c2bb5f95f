"""The report's own tables: metric matrices, ranks, wins and runtimes (best in bold).

The paper's Table 1 and Table 2 are defined in :mod:`benchmark.tables`; the rendering
(:class:`~benchmark.tabular.Table`) and the ``mean ± std`` formatter are
:mod:`benchmark.tabular`'s, shared with every other table of the suite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.report.stats import MetricMatrix
from benchmark.tabular import Table, bold_best, format_mean_std

__all__ = [
    "matrix_table",
    "rank_table",
    "per_dataset_rank_table",
    "runtime_table",
]


def matrix_table(mm: MetricMatrix, title: str) -> Table:
    """Data sets x detectors, ``mean ± std`` over folds; best per data set (row) in bold."""
    rows, bold = [], []
    for ds in mm.mean.index:
        row = [str(ds)]
        for det in mm.mean.columns:
            n_ok, n_tot = int(mm.n_ok.loc[ds, det]), int(mm.n_total.loc[ds, det])
            if n_tot == 0:
                row.append("not run")
            elif n_ok == 0:
                row.append("failed")
            else:
                mean, std = mm.mean.loc[ds, det], mm.std.loc[ds, det]
                row.append(format_mean_std(mean, std, n_ok, n_tot))
        rows.append(row)
        best = bold_best(mm.mean.loc[[ds]].to_numpy(dtype=float).T).ravel()
        bold.append([False, *best.tolist()])
    return Table(title, ["dataset", *map(str, mm.mean.columns)], rows, bold)


def rank_table(avg_rank: dict[str, pd.Series], wins: dict[str, pd.Series]) -> Table:
    """Average rank (lower is better) and wins per detector, for each metric."""
    metrics = list(avg_rank)
    dets = list(next(iter(avg_rank.values())).index) if metrics else []
    headers = ["detector"] + [f"avg. rank {m}" for m in metrics] + [f"wins {m}" for m in metrics]
    rows, marks = [], []
    for det in dets:
        rows.append(
            [det]
            + [f"{avg_rank[m][det]:.2f}" for m in metrics]
            + [str(int(wins[m][det])) for m in metrics]
        )
        marks.append([avg_rank[m][det] for m in metrics] + [wins[m][det] for m in metrics])
    values = np.array(marks, dtype=float).reshape(len(dets), 2 * len(metrics))
    k = len(metrics)
    mask = np.hstack([bold_best(values[:, :k], False), bold_best(values[:, k:], True)])
    return Table("Average rank and wins", headers, rows, [[False, *r] for r in mask.tolist()])


def runtime_table(results: pd.DataFrame, datasets: list[str], detectors: list[str]) -> Table:
    """Fit + score seconds per data set and detector (mean over successful folds), and the
    total over all cells per detector: read from the cells, so a resumed run is right."""
    frame = results[(results["policy"] == "train-quantile") & (results["status"] == "ok")]
    rows = []
    for ds in datasets:
        sub = frame[frame["dataset"] == ds]
        row = [str(ds)]
        for det in detectors:
            cells = sub[sub["detector"] == det]
            if cells.empty:
                row.append("—")
            else:
                row.append(
                    f"{cells['fit_seconds'].mean():.2f} + {cells['score_seconds'].mean():.2f}"
                )
        rows.append(row)
    totals = ["total, all cells"]
    for det in detectors:
        cells = frame[frame["detector"] == det]
        total = cells["fit_seconds"].sum() + cells["score_seconds"].sum()
        totals.append(f"{total:.1f}" if len(cells) else "—")
    rows.append(totals)
    return Table(
        "Runtime: fit + score seconds per cell (mean over successful folds)",
        ["dataset", *detectors],
        rows,
        note="One math thread per cell; `—`: no successful cell. The last row sums fit and"
        " score seconds over every successful cell of the detector.",
    )


def per_dataset_rank_table(ranks: pd.DataFrame, failed: pd.DataFrame, metric: str) -> Table:
    """Each ranked detector's rank on each ranked data set (1 = best; best in bold)."""
    rows, bold = [], []
    for ds in ranks.index:
        row = [str(ds)]
        for det in ranks.columns:
            text = f"{ranks.loc[ds, det]:g}"
            row.append(text + " (failed)" if bool(failed.loc[ds, det]) else text)
        rows.append(row)
        values = ranks.loc[[ds]].to_numpy(dtype=float).T
        bold.append([False, *bold_best(values, higher_is_better=False).ravel().tolist()])
    return Table(
        f"Rank per data set, {metric.upper()} (1 = best; a failed detector takes the worst rank)",
        ["dataset", *map(str, ranks.columns)],
        rows,
        bold,
    )
