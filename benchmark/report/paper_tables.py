"""The paper's tables, each defined once: Table 1 (detectors) and Table 2 (MMOC-GAN's modes).

Every writer uses these definitions: the run folder's ``table1.md``/``.csv``/``.tex``
(:func:`write_table1`), the report (``benchmark.report``) and the ablation's
``table2.md`` (:mod:`benchmark.studies.ablation`). Cells read ``mean ± std`` over folds
(:func:`benchmark.report.text_table.mean_std_of_values`); the best mean of each column is bold.

Table 1 reports the paper's four thresholded columns (plus F1 with the anomaly class
positive) under the three threshold policies the paper uses: ``native`` (the detector's
own rule, how MMOC-GAN was evaluated), ``train-quantile`` ("raw train") and
``oracle-f1`` ("fine tune", an **oracle** that looks at the test labels, how the paper
tuned its baselines), then AUROC and AUPRC. Table 2 reports MMOC-GAN over the number of
modes m under its native rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.base import TRAIN_QUANTILE
from benchmark.report.text_table import Table, bold_best, mean_std_of_values
from benchmark.store.results import n_cells

__all__ = [
    "METRIC_LABELS",
    "TABLE1_COLUMNS",
    "TABLE1_POLICIES",
    "TABLE1_NOTE",
    "TABLE2_METRICS",
    "TABLE2_POLICY",
    "ModesVariant",
    "parse_label",
    "table1",
    "write_table1",
    "table2_rows",
    "modes_numeric",
    "modes_table",
    "table2",
]

#: Column labels of the metrics, shared by both tables. F1 (normal) takes the normal class
#: as positive (the paper's F1 column); F1 (anomaly) the anomaly class (the usual one).
METRIC_LABELS: dict[str, str] = {
    "pass_acc": "pass acc.",
    "non_pass_acc": "non-pass acc.",
    "acc": "acc.",
    "f1_normal": "F1 (normal)",
    "f1_anomaly": "F1 (anomaly)",
    "auroc": "AUROC",
    "auprc": "AUPRC",
}
#: Table 1's threshold policies and their labels (the paper's "raw train" and "fine tune").
TABLE1_POLICIES: dict[str, str] = {
    "native": "native",
    "train-quantile": "raw train",
    "oracle-f1": "fine tune (ORACLE)",
}
_THRESHOLDED = ("pass_acc", "non_pass_acc", "acc", "f1_normal", "f1_anomaly")
#: (policy, metric, header) of Table 1's columns; AUROC and AUPRC need no threshold.
TABLE1_COLUMNS: list[tuple[str, str, str]] = [
    (policy, metric, f"{label} {METRIC_LABELS[metric]}")
    for policy, label in TABLE1_POLICIES.items()
    for metric in _THRESHOLDED
] + [("train-quantile", m, METRIC_LABELS[m]) for m in ("auroc", "auprc")]
TABLE1_NOTE = (
    "Mean ± std over folds. *native*: the detector's own rule (train-quantile when it has"
    f" none); *raw train*: threshold at the {100 * TRAIN_QUANTILE:g} % quantile of the"
    " training scores; **fine tune (ORACLE)**: the threshold maximising F1 on the **test"
    " labels**, as the paper tuned its baselines: an oracle, not an achievable result."
    " F1 (normal) takes the normal class as positive (the paper's F1 column), F1 (anomaly)"
    " the anomaly class. Best value per column in bold; `(k/n)` marks a mean over k of n"
    " folds, `failed` a detector whose every fold failed."
)

#: Table 2's threshold policy: the discriminator's own P(real) < 0.5 rule, as the paper.
TABLE2_POLICY = "native"
#: Table 2's columns (its F1 is the paper's, F1 (normal); F1 (anomaly) added).
TABLE2_METRICS: dict[str, str] = {
    m: METRIC_LABELS[m] for m in ("pass_acc", "non_pass_acc", "f1_normal", "f1_anomaly", "auroc")
}
_TABLE2_COLUMNS = [(TABLE2_POLICY, m, label) for m, label in TABLE2_METRICS.items()]
_TABLE2_NOTE = (
    "Native threshold (P(real) < 0.5); F1 (normal) takes the normal class as positive."
    " The paired test of m = 10 against m = 1 is in the ablation's table2.md."
)
_LABEL = re.compile(r"^mmoc-gan-(cat|mix)-m(\d+)(-nomi)?$")


def _cells(
    rows: pd.DataFrame, columns: list[tuple[str, str, str]], n_expected: int | None
) -> tuple[list[str], list[float]]:
    """One table row from the long results of one row key: text cells and their means.

    A column with no successful fold reads ``failed`` (its mean is NaN, never bold).
    """
    ok = rows[rows["status"] == "ok"]
    texts, means = [], []
    for policy, metric, _ in columns:
        values = ok.loc[ok["policy"] == policy, metric]
        texts.append(mean_std_of_values(values, n_expected) if len(values) else "failed")
        numeric = pd.to_numeric(values, errors="coerce")
        means.append(float(numeric.mean()) if len(values) else np.nan)
    return texts, means


def _bold(means: list[list[float]]) -> list[list[bool]]:
    """Bold mask of a table whose first column is the row name: best mean per column."""
    return [[False, *row] for row in bold_best(np.array(means, dtype=float)).tolist()]


def table1(
    results: pd.DataFrame,
    datasets: list[str] | None = None,
    detectors: list[str] | None = None,
) -> dict[str, Table]:
    """Table 1 of each data set that has results, keyed by the data set's name.

    Rows are the detectors in ``detectors`` order (default: as they appear); ``(k/n)``
    counts the folds of the data set, so a fold not computed yet shows as missing.
    """
    if results.empty:
        return {}
    datasets = datasets or list(dict.fromkeys(results["dataset"]))
    detectors = detectors or list(dict.fromkeys(results["detector"]))
    headers = ["detector", *(header for _, _, header in TABLE1_COLUMNS)]
    out = {}
    for ds in datasets:
        sub = results[results["dataset"] == ds]
        dets = [d for d in detectors if d in set(sub["detector"])]
        if not dets:
            continue
        n_folds = n_cells(sub)  # every (repetition, fold): a missing one shows as (k/n)
        rows, means, notes = [], [], []
        for det in dets:
            texts, vals = _cells(sub[sub["detector"] == det], TABLE1_COLUMNS, n_folds)
            note = capped_note(sub[sub["detector"] == det])
            rows.append([f"{det} {CAPPED_MARK}" if note else det, *texts])
            means.append(vals)
            notes += [f"{CAPPED_MARK} {det}: {note}"] if note else []
        out[ds] = Table(f"Table 1: {ds}", headers, rows, _bold(means), note="; ".join(notes))
    return out


#: Marks a detector whose folds were fitted on a seeded subsample (see the table's note).
CAPPED_MARK = "†"


def capped_note(rows: pd.DataFrame) -> str:
    """ "trained on a seeded subsample of N rows (of M)" for one detector's rows of one
    data set whose training cap bound; "" when every fold used all its training rows."""
    if "train_cap" not in rows:
        return ""
    capped = rows[(rows["status"] == "ok") & pd.to_numeric(rows["train_cap"]).notna()]
    if capped.empty:
        return ""
    caps = sorted({int(c) for c in capped["train_cap"]})
    folds = sorted({int(n) for n in capped["n_train"]})
    span = f"{folds[0]}" if len(folds) == 1 else f"{folds[0]}-{folds[-1]}"
    return (
        f"trained on a seeded subsample of {'/'.join(map(str, caps))} rows"
        f" (of {span} training rows per fold)"
    )


def write_table1(
    results: pd.DataFrame,
    output: Path,
    datasets: list[str] | None = None,
    detectors: list[str] | None = None,
) -> list[Path]:
    """Write :func:`table1` as ``table1.md``, ``.csv`` and ``.tex`` under ``output``.

    The report shows the same tables. Returns the paths written (none without results).
    """
    tables = table1(results, datasets, detectors)
    if not tables:
        return []
    output = Path(output)
    md = ["# Table 1", "", TABLE1_NOTE, ""]
    tex = [
        "% Table 1: mean ± std over folds;"
        " 'fine tune' is an ORACLE (threshold tuned on test labels)"
    ]
    frames = []
    for ds, table in tables.items():
        md += [f"## {ds}", "", table.to_markdown(), ""] + ([table.note, ""] if table.note else [])
        tex.append(table.to_latex())
        frames.append(table.to_frame().assign(dataset=ds))
    flat = pd.concat(frames, ignore_index=True)
    flat = flat[["dataset", *(c for c in flat.columns if c != "dataset")]]
    paths = [output / "table1.md", output / "table1.csv", output / "table1.tex"]
    atomic_write_text(paths[0], "\n".join(md))
    atomic_write_text(paths[1], flat.to_csv(index=False))
    atomic_write_text(paths[2], "\n".join(tex) + "\n")
    return paths


@dataclass(frozen=True)
class ModesVariant:
    """One row of Table 2: a latent (``cat``/``mix``), m, and whether the MI term is on."""

    latent: str
    m: int
    mi: bool = True

    @property
    def detector(self) -> str:
        return f"mmoc-gan-{self.latent}"

    @property
    def label(self) -> str:
        return f"{self.detector}-m{self.m}" + ("" if self.mi else "-nomi")

    @property
    def row(self) -> str:
        if self.m == 1:
            return "m = 1 (no MI: the term is 0 with one mode)"
        return f"m = {self.m}" + ("" if self.mi else ", no MI")

    def params(self) -> dict:
        return {"n_modes": self.m} | ({} if self.mi else {"mi_weight": 0.0})


def parse_label(label: str) -> ModesVariant | None:
    """The variant a table label names (``mmoc-gan-cat-m5``), or None for any other label."""
    match = _LABEL.match(label)
    if match is None:
        return None
    return ModesVariant(match[1], int(match[2]), match[3] is None)


def table2_rows(results: pd.DataFrame) -> pd.DataFrame:
    """Native-policy rows of Table 2 labels, with their variant in a ``variant`` column."""
    if results.empty:
        return results
    sub = results[results["policy"] == TABLE2_POLICY].copy()
    parsed = sub["detector"].map(parse_label)
    sub = sub[parsed.notna()].copy()
    sub["variant"] = parsed[parsed.notna()]
    return sub


def modes_numeric(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and fold count per (dataset, variant): the machine-readable Table 2."""
    sub = table2_rows(results)
    if sub.empty:
        return pd.DataFrame()
    sub = sub[sub["status"] == "ok"]
    rows = []
    for (dataset, label), g in sub.groupby(["dataset", "detector"], sort=False):
        v = parse_label(label)
        row = {"dataset": dataset, "detector": v.detector, "m": v.m, "mi": v.mi, "label": label}
        for metric in TABLE2_METRICS:
            vals = pd.to_numeric(g[metric], errors="coerce")
            row |= {
                f"{metric}_mean": vals.mean(),
                f"{metric}_std": vals.std(ddof=1),
                f"{metric}_count": int(vals.notna().sum()),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _table2_entries(
    results: pd.DataFrame, folds: int | None
) -> list[tuple[tuple[str, str, str], list[str], list[float]]]:
    """((dataset, detector, row name), texts, means) of every Table 2 row, in table order."""
    sub = table2_rows(results)
    if sub.empty:
        return []
    order = sorted(
        set(sub["detector"]),
        key=lambda lbl: (parse_label(lbl).latent, not parse_label(lbl).mi, parse_label(lbl).m),
    )
    out = []
    for dataset in dict.fromkeys(sub["dataset"]):
        for label in order:
            g = sub[(sub["dataset"] == dataset) & (sub["detector"] == label)]
            if g.empty:
                continue
            v = parse_label(label)
            expected = folds if folds is not None else n_cells(g)
            texts, means = _cells(g, _TABLE2_COLUMNS, expected)
            out.append(((dataset, v.detector, v.row), texts, means))
    return out


def modes_table(results: pd.DataFrame, *, folds: int | None = None) -> pd.DataFrame:
    """Table 2 as text: rows (dataset, detector, row name), mean ± std per column.

    A failed fold is left out of the mean and noted (``(4/5)``, against ``folds`` or the
    variant's folds); a variant whose every fold failed reads ``failed``. Rows follow the
    latent, then MI on before off, then m.
    """
    rows = _table2_entries(results, folds)
    columns = list(TABLE2_METRICS.values())
    table = pd.DataFrame([texts for _, texts, _ in rows], columns=columns)
    if rows:
        table.index = pd.MultiIndex.from_tuples(
            [key for key, _, _ in rows], names=["dataset", "detector", "row"]
        )
    return table


def table2(results: pd.DataFrame) -> list[Table]:
    """Table 2 of each (data set, MMOC-GAN latent) with two or more variants, best in bold."""
    groups: dict[tuple[str, str], list] = {}
    for (dataset, detector, row), texts, means in _table2_entries(results, None):
        groups.setdefault((dataset, detector), []).append((row, texts, means))
    headers = ["variant", *TABLE2_METRICS.values()]
    return [
        Table(
            f"Table 2: {detector} on {dataset}",
            headers,
            [[row, *texts] for row, texts, _ in rows],
            _bold([means for _, _, means in rows]),
            _TABLE2_NOTE,
        )
        for (dataset, detector), rows in groups.items()
        if len(rows) >= 2
    ]
