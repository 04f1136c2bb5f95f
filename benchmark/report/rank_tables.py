"""The report's own tables: metric matrices, ranks, wins and runtimes (best in bold).

The paper's Table 1 and Table 2 are defined in :mod:`benchmark.report.paper_tables`; the rendering
(:class:`~benchmark.report.text_table.Table`) and the ``mean ± std`` formatter are
:mod:`benchmark.report.text_table`'s, shared with every other table of the suite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.report.stats import CHANCE, CI_NOTE, MetricMatrix
from benchmark.report.text_table import Table, below_chance_mark, bold_best, format_mean_std

__all__ = [
    "below_chance_note",
    "matrix_table",
    "nemenyi_table",
    "rank_table",
    "per_dataset_rank_table",
    "runtime_table",
]


def below_chance_note(metric: str, chance: float, n_pairs: int, n_marked: int) -> str:
    """The note under a matrix whose cells mark folds below ``chance`` (AUROC's 0.5)."""
    name = metric.upper()
    return (
        f"`(k < {chance:g})`: k folds scored an {name} below {chance:g}, i.e. ranked that"
        " fold's anomalies below its normals: the detector's score is inverted or collapsed"
        " on those folds, and the mean over folds hides it. Nothing is added when no fold"
        f" is below {chance:g}; here {n_marked} of {n_pairs} (data set, detector) pairs"
        f" have such folds. The CSV form keeps the count in its own column,"
        f" `<detector> {metric}_folds_below_half`."
    )


def _cell_text(mm: MetricMatrix, ds: str, det: str) -> str:
    n_ok, n_tot = int(mm.n_ok.loc[ds, det]), int(mm.n_total.loc[ds, det])
    if n_tot == 0:
        return "not run"
    if n_ok == 0:
        return "failed"
    return format_mean_std(mm.mean.loc[ds, det], mm.std.loc[ds, det], n_ok, n_tot)


def _interval_text(mm: MetricMatrix, ds: str, det: str) -> str:
    """`` [low, high]`` after a cell with a finite 95 % interval; nothing otherwise."""
    if mm.ci_low is None or mm.ci_high is None:
        return ""
    low, high = float(mm.ci_low.loc[ds, det]), float(mm.ci_high.loc[ds, det])
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return f" [{low:.3f}, {high:.3f}]"


def matrix_table(mm: MetricMatrix, title: str) -> Table:
    """Data sets x detectors, ``mean ± std [95 % interval]`` over folds (x repetitions);
    best mean per data set (row) in bold.

    The interval is the corrected resampled t's (:data:`~benchmark.report.stats.CI_NOTE`).
    For a metric with a chance level (AUROC: 0.5, :data:`~benchmark.report.stats.CHANCE`)
    a cell with folds below it reads ``0.610 ± 0.300 [...] (2 < 0.5)``. The table's CSV
    form keeps the ``mean ± std`` text and adds numeric columns per detector,
    ``<detector> <metric>_ci_low`` / ``_ci_high`` and, with a chance level,
    ``<detector> <metric>_folds_below_half``, so the numbers stay machine-readable.
    """
    below, dets = mm.n_below_chance, list(mm.mean.columns)
    rows, bold, plain = [], [], []
    for ds in mm.mean.index:
        texts = [_cell_text(mm, ds, det) for det in dets]
        shown = [t + _interval_text(mm, ds, det) for t, det in zip(texts, dets)]
        lows = [int(below.loc[ds, det]) for det in dets] if below is not None else []
        if below is not None:
            chance = CHANCE[mm.metric]
            shown = [t + below_chance_mark(n, chance) for t, n in zip(shown, lows)]
        rows.append([str(ds), *shown])
        ci = []
        for det in dets:
            for bound in (mm.ci_low, mm.ci_high):
                ci.append(float(bound.loc[ds, det]) if bound is not None else np.nan)
        plain.append([str(ds), *texts, *ci, *lows])
        best = bold_best(mm.mean.loc[[ds]].to_numpy(dtype=float).T).ravel()
        bold.append([False, *best.tolist()])
    headers = ["dataset", *map(str, dets)]
    extra = [f"{det} {mm.metric}_ci_{end}" for det in dets for end in ("low", "high")]
    notes = [CI_NOTE]
    if below is not None:
        extra += [f"{det} {mm.metric}_folds_below_half" for det in dets]
        marked = int((below.to_numpy() > 0).sum())
        ran = int((mm.n_ok > 0).to_numpy().sum())
        notes.append(below_chance_note(mm.metric, CHANCE[mm.metric], ran, marked))
    frame = pd.DataFrame(plain, columns=headers + extra)
    return Table(title, headers, rows, bold, note=" ".join(notes), frame=frame)


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
    rows.append(["CPU time, all cells", *[_cpu_total(frame, det) for det in detectors]])
    return Table(
        "Runtime: fit + score seconds per cell (mean over successful folds)",
        ["dataset", *detectors],
        rows,
        note='One math thread per cell; `—`: no successful cell. "total, all cells" sums'
        " the wall-clock fit and score seconds over every successful cell of the detector;"
        ' "CPU time" sums their process CPU seconds (the part of a busy machine\'s wall'
        ' clock that was the cell\'s own work), over the cells that record it ("k of n"'
        " when older cells do not).",
    )


def _cpu_total(frame: pd.DataFrame, det: str) -> str:
    """The detector's fit + score CPU seconds over its cells that record them."""
    cells = frame[frame["detector"] == det]
    if "fit_cpu_seconds" not in cells.columns or "score_cpu_seconds" not in cells.columns:
        return "—"
    fit = pd.to_numeric(cells["fit_cpu_seconds"], errors="coerce")
    score = pd.to_numeric(cells["score_cpu_seconds"], errors="coerce")
    timed = fit.notna() & score.notna()
    if not timed.any():
        return "—"
    total = f"{float(fit[timed].sum() + score[timed].sum()):.1f}"
    return total if timed.all() else f"{total} ({int(timed.sum())} of {len(cells)})"


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


def nemenyi_table(pvalues: pd.DataFrame | None, metric: str) -> Table:
    """Nemenyi post-hoc p-values, detectors x detectors (secondary; p < 0.05 in bold)."""
    names = [] if pvalues is None else list(pvalues.columns)
    rows, bold = [], []
    for a in names:
        rows.append([a, *(("—" if a == b else f"{pvalues.loc[a, b]:.3g}") for b in names)])
        bold.append([False, *(a != b and bool(pvalues.loc[a, b] < 0.05) for b in names)])
    return Table(
        f"Secondary: Nemenyi post-hoc p-values after Friedman, {metric.upper()}"
        " (depend on the pool of detectors)",
        ["", *names],
        rows,
        bold,
    )
