"""Report tables with the best value per column in bold: Table 1, Table 2, the matrices.

A :class:`Table` keeps text cells and a bold mask apart, so one table renders to
markdown (``**x**``), HTML (``<b>x</b>``), LaTeX (``\\textbf{x}``) and CSV alike.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

from benchmark.atomic import atomic_write_text
from benchmark.report.stats import MetricMatrix
from benchmark.tables import fmt_mean_std

__all__ = [
    "Table",
    "bold_best",
    "latex_escape",
    "table1_tables",
    "matrix_table",
    "rank_table",
    "per_dataset_rank_table",
    "runtime_table",
    "write_table",
]

#: Table 1's columns as the paper shows them: four thresholded metrics per policy.
TABLE1_METRICS = {
    "pass_acc": "pass acc.",
    "non_pass_acc": "non-pass acc.",
    "acc": "acc.",
    "f1_normal": "F1",
}
TABLE1_POLICIES = {
    "native": "native",
    "train-quantile": "raw train",
    "oracle-f1": "fine tune (ORACLE)",
}


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
}


def latex_escape(text: str) -> str:
    r"""``text`` safe inside a LaTeX table cell (``my_data`` -> ``my\_data``, ± -> $\pm$)."""
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


@dataclass
class Table:
    """Rows of text cells, a parallel bold mask, a caption and an optional note."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    bold: list[list[bool]] = field(default_factory=list)
    note: str = ""

    def _cells(self, wrap) -> list[list[str]]:
        bold = self.bold or [[False] * len(r) for r in self.rows]
        return [[wrap(c) if b else c for c, b in zip(r, br)] for r, br in zip(self.rows, bold)]

    def to_markdown(self) -> str:
        return tabulate(
            self._cells(lambda c: f"**{c}**"),
            headers=self.headers,
            tablefmt="github",
            disable_numparse=True,
        )

    def to_html(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.headers)
        bold = self.bold or [[False] * len(r) for r in self.rows]
        body = []
        for row, brow in zip(self.rows, bold):
            tds = [
                f"<td><b>{html.escape(c)}</b></td>" if b else f"<td>{html.escape(c)}</td>"
                for c, b in zip(row, brow)
            ]
            body.append("<tr>" + "".join(tds) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    def to_latex(self) -> str:
        bold = self.bold or [[False] * len(r) for r in self.rows]
        cells = [
            [f"\\textbf{{{latex_escape(c)}}}" if b else latex_escape(c) for c, b in zip(r, br)]
            for r, br in zip(self.rows, bold)
        ]
        headers = [latex_escape(h) for h in self.headers]
        text = tabulate(cells, headers=headers, tablefmt="latex_raw", disable_numparse=True)
        return f"% {self.title}\n" + text

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.headers)


def bold_best(values: np.ndarray, higher_is_better: bool = True, atol: float = 1e-12) -> np.ndarray:
    """Mask of the best finite value(s) in each column of ``values`` (rows x columns)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.zeros_like(v, dtype=bool)
    signed = v if higher_is_better else -v
    with np.errstate(invalid="ignore"):
        best = np.where(np.isfinite(signed), signed, -np.inf).max(axis=0)
    return np.isfinite(signed) & np.isfinite(best) & (np.abs(signed - best) <= atol)


def _mean_std_block(
    frame: pd.DataFrame, detectors: list[str], metric: str, n_folds: int
) -> tuple[list[str], list[float]]:
    texts, means = [], []
    for det in detectors:
        rows = frame[frame["detector"] == det]
        ok = rows[rows["status"] == "ok"][metric]
        texts.append(fmt_mean_std(ok, n_folds) if len(ok) else "failed")
        means.append(float(pd.to_numeric(ok, errors="coerce").mean()) if len(ok) else np.nan)
    return texts, means


def table1_tables(results: pd.DataFrame, datasets: list[str], detectors: list[str]) -> list[Table]:
    """Table 1 per data set: 4 metrics x (native, raw train, fine tune ORACLE), AUROC, AUPRC."""
    out = []
    for ds in datasets:
        sub = results[results["dataset"] == ds]
        dets = [d for d in detectors if d in set(sub["detector"])]
        if not dets:
            continue
        n_folds = int(sub["fold"].nunique())
        headers, columns, means = ["detector"], [], []
        cols = [(p, m) for p in TABLE1_POLICIES for m in TABLE1_METRICS]
        cols += [("train-quantile", "auroc"), ("train-quantile", "auprc")]
        for policy, metric in cols:
            pol = sub[sub["policy"] == policy]
            texts, vals = _mean_std_block(pol, dets, metric, n_folds)
            label = TABLE1_METRICS.get(metric, metric.upper())
            headers.append(
                f"{TABLE1_POLICIES[policy]} {label}" if metric in TABLE1_METRICS else label
            )
            columns.append(texts)
            means.append(vals)
        mask = bold_best(np.array(means).T) if means else np.zeros((len(dets), 0), bool)
        rows = [[det, *[c[i] for c in columns]] for i, det in enumerate(dets)]
        bold = [[False, *mask[i].tolist()] for i in range(len(dets))]
        out.append(Table(f"Table 1: {ds}", headers, rows, bold))
    return out


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
                std = 0.0 if not np.isfinite(std) else std
                text = "n/a" if not np.isfinite(mean) else f"{mean:.3f} ± {std:.3f}"
                row.append(text + (f" ({n_ok}/{n_tot})" if n_ok < n_tot else ""))
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


def write_table(table: Table, folder: Path, stem: str) -> dict[str, Path]:
    """Write ``table`` as ``stem``.md/.csv/.tex under ``folder``; the paths by format."""
    folder = Path(folder)
    paths = {ext: folder / f"{stem}.{ext}" for ext in ("md", "csv", "tex")}
    md = f"# {table.title}\n\n{table.to_markdown()}\n" + (f"\n{table.note}\n" if table.note else "")
    atomic_write_text(paths["md"], md)
    atomic_write_text(paths["csv"], table.to_frame().to_csv(index=False))
    atomic_write_text(paths["tex"], table.to_latex() + "\n")
    return paths
