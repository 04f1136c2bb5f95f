"""Per data set: each MMOC-GAN variant against every other detector, paired over the same
folds x repetitions (issue 22, item 3).

Two detectors' cells of one (data set, repetition, fold) share the split, so their metric
difference is paired. The differences of the J folds x repetitions are tested with the
corrected resampled t of Nadeau and Bengio (2003, :func:`~benchmark.report.pairwise.
corrected_resampled_t`): the folds share training rows, and the plain paired t-test over
them rejects far too often (Dietterich, 1998; Bouckaert and Frank, 2004). Holm's
correction (statsmodels) runs over the comparisons of one data set: every (variant, other
detector) pair on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.report.document import Document
from benchmark.report.pairwise import ALPHA, SUBJECT_PREFIX, corrected_resampled_t, holm
from benchmark.report.stats import split_ratio
from benchmark.report.text_table import Table, write_table
from benchmark.store.results import cell_keys

__all__ = ["paired_fold_table", "paired_fold_tests", "paired_section"]


COLUMNS = ["dataset", "subject", "other", "n", "mean_diff", "ci_low", "ci_high", "t", "p"]


def paired_fold_tests(
    results: pd.DataFrame, metric: str = "auroc", policy: str = "train-quantile"
) -> pd.DataFrame:
    """One row per (data set, MMOC-GAN variant, other detector): the mean paired difference
    (variant - other) over their common successful folds x repetitions, its 95 % interval,
    t, p and ``p_holm`` (Holm over the rows of the data set).

    Each variant meets the variants listed after it once (cat vs mix, not also mix vs cat).
    Fewer than two common folds give NaN p, left out of the correction.
    """
    frame = results[(results["policy"] == policy) & (results["status"] == "ok")]
    keys = cell_keys(frame)
    detectors = list(dict.fromkeys(frame["detector"]))
    subjects = [d for d in detectors if d.startswith(SUBJECT_PREFIX)]
    rows = []
    for ds, sub in frame.groupby("dataset", sort=False):
        by_det = {det: cells.set_index(keys) for det, cells in sub.groupby("detector")}
        for i, subject in enumerate(subjects):
            if subject not in by_det:
                continue
            for other in [d for d in detectors if d != subject and d not in subjects[:i]]:
                if other not in by_det:
                    continue
                a, b = by_det[subject], by_det[other]
                common = a.index.intersection(b.index)
                diff = pd.to_numeric(a.loc[common, metric], errors="coerce") - pd.to_numeric(
                    b.loc[common, metric], errors="coerce"
                )
                both = pd.concat([a.loc[common], b.loc[common]])
                r = corrected_resampled_t(diff.to_numpy(dtype=float), split_ratio(both))
                rows.append([ds, subject, other, r.n, r.mean, r.low, r.high, r.t, r.p])
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["p_holm"] = np.nan
    for _, idx in out.groupby("dataset", sort=False).groups.items():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p"])
    return out


def paired_fold_table(tests: pd.DataFrame, subject: str, metric: str = "auroc") -> Table:
    """Data sets x other detectors for one variant: ``+0.032 (p 0.041)``, the Holm p; bold
    where the Holm-adjusted p is below :data:`ALPHA`."""
    mine = tests[tests["subject"] == subject]
    others = list(dict.fromkeys(mine["other"]))
    datasets = list(dict.fromkeys(mine["dataset"]))
    rows, bold = [], []
    for ds in datasets:
        row, marks = [str(ds)], [False]
        for other in others:
            hit = mine[(mine["dataset"] == ds) & (mine["other"] == other)]
            if hit.empty or not np.isfinite(hit["p_holm"].iloc[0]):
                row.append("—")
                marks.append(False)
                continue
            r = hit.iloc[0]
            row.append(f"{r['mean_diff']:+.3f} (p {r['p_holm']:.2g})")
            marks.append(bool(r["p_holm"] < ALPHA))
        rows.append(row)
        bold.append(marks)
    note = (
        f"{metric.upper()} of {subject} minus the column's detector, mean over the folds x"
        " repetitions both have (paired: same split); p: corrected resampled t-test of"
        " Nadeau and Bengio (2003) on those paired differences, Holm-adjusted over every"
        f" comparison of the data set (statsmodels). Bold: p < {ALPHA}. `—`: fewer than two"
        " common folds. The CSV holds every comparison with its interval, t and unadjusted p."
    )
    return Table(
        f"Per data set: {subject} against each detector ({metric.upper()} difference)",
        ["dataset", *others],
        rows,
        bold,
        note=note,
        frame=mine.reset_index(drop=True),
    )


def paired_section(doc: Document, results: pd.DataFrame, tables_dir: Path) -> None:
    """The report's per-data-set section: one table per MMOC-GAN variant (AUROC)."""
    tests = paired_fold_tests(results)
    if tests.empty:
        return
    doc.heading("MMOC-GAN per data set: paired over folds", 2)
    n = int(tests["n"].max())
    doc.para(
        f"Each MMOC-GAN variant against every other detector on each data set, paired over"
        f" the same folds x repetitions (up to {n} per data set). With so few correlated"
        " folds, only large and consistent differences reach p < 0.05 after the correction;"
        " the Verdict above pools the data sets."
    )
    for subject in dict.fromkeys(tests["subject"]):
        table = paired_fold_table(tests, subject)
        doc.table(table, write_table(table, tables_dir, f"paired_{subject}"))
