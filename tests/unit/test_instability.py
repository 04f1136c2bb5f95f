"""The AUROC matrix shows how many folds fell below 0.5, and the report says what it means.

The fold values are real: AUROC per fold (train-quantile rows) of the paper run committed
before the 2026-12-04 fixes (``results/paper/results.csv`` at commit 9a27fcd), for four
(data set, detector) pairs; OC-NN's network collapsed on musk then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmark.report.document import Document
from benchmark.report.load import RunData
from benchmark.report.rank_tables import matrix_table
from benchmark.report.render import _across_section
from benchmark.report.stats import metric_matrix
from benchmark.report.text_table import below_chance_mark, write_table

#: (AUROC, AUPRC) of folds 0-4 in that results.csv (train-quantile rows).
PAPER_FOLDS = {
    ("musk", "ocnn-network"): (
        [0.397446, 0.512865, 1.0, 0.032388, 0.157082],  # 3 folds below 0.5
        [0.108086, 0.136497, 1.0, 0.075897, 0.08241],
    ),
    ("musk", "gmm"): ([1.0] * 5, [1.0] * 5),
    ("cardio", "ocnn-network"): (
        [0.638252, 0.925064, 0.828421, 0.662146, 0.938393],  # spread out, none below 0.5
        [0.513147, 0.903271, 0.764339, 0.549187, 0.925754],
    ),
    ("cardio", "gmm"): (
        [0.860323, 0.835742, 0.855998, 0.882896, 0.868786],
        [0.84992, 0.811655, 0.844109, 0.856348, 0.845433],
    ),
    ("arrhythmia", "ocnn-network"): (
        [0.328671, 0.58658, 0.204447, 0.393939, 0.307851],  # 4 folds below 0.5
        [0.443764, 0.65656, 0.37031, 0.45945, 0.418481],  # AUPRC: no chance mark at all
    ),
    ("arrhythmia", "gmm"): (
        [0.747669, 0.824675, 0.726092, 0.837072, 0.781976],
        [0.698284, 0.820062, 0.676113, 0.791415, 0.7472],
    ),
}


def _results(failed: tuple[str, str, int] | None = None) -> pd.DataFrame:
    """Long results rows of PAPER_FOLDS (train-quantile policy); ``failed`` marks one fold
    failed (its AUROC gone), as the harness records it."""
    rows = []
    for (ds, det), (aurocs, auprcs) in PAPER_FOLDS.items():
        for fold, (auroc, auprc) in enumerate(zip(aurocs, auprcs)):
            bad = failed == (ds, det, fold)
            rows.append(
                {
                    "dataset": ds,
                    "detector": det,
                    "fold": fold,
                    "policy": "train-quantile",
                    "status": "failed" if bad else "ok",
                    "auroc": np.nan if bad else auroc,
                    "auprc": np.nan if bad else auprc,
                    "fit_seconds": 1.0,
                    "score_seconds": 0.1,
                }
            )
    return pd.DataFrame(rows)


def _cell(table, ds: str, det: str) -> str:
    return table.rows[[r[0] for r in table.rows].index(ds)][table.headers.index(det)]


def test_cells_with_folds_below_half_say_how_many():
    mm = metric_matrix(_results(), "auroc")
    assert mm.n_below_chance.loc["musk", "ocnn-network"] == 3
    assert mm.n_below_chance.loc["arrhythmia", "ocnn-network"] == 4
    table = matrix_table(mm, "AUROC")
    # the interval (clipped to [0, 1]) comes before the mark
    assert _cell(table, "musk", "ocnn-network") == "0.420 ± 0.376 [0.000, 1.000] (3 < 0.5)"
    assert _cell(table, "arrhythmia", "ocnn-network") == "0.364 ± 0.142 [0.100, 0.628] (4 < 0.5)"
    # no fold below 0.5 (cardio's ocnn-network has a 0.638 fold): no mark
    assert _cell(table, "cardio", "ocnn-network") == "0.798 ± 0.142 [0.534, 1.000]"
    assert _cell(table, "musk", "gmm") == "1.000 ± 0.000 [1.000, 1.000]"
    assert _cell(table, "arrhythmia", "gmm") == "0.783 ± 0.048 [0.694, 0.873]"
    assert "(3 < 0.5)" in table.to_markdown() and "(3 &lt; 0.5)" in table.to_html()
    assert "[0.000, 1.000] (3 $<$ 0.5)" in table.to_latex()  # < in LaTeX text is ¡
    assert "2 of 6 (data set, detector) pairs" in table.note


def test_a_failed_fold_is_not_counted_and_the_marks_combine():
    mm = metric_matrix(_results(failed=("musk", "ocnn-network", 3)), "auroc")
    assert mm.n_below_chance.loc["musk", "ocnn-network"] == 2
    table = matrix_table(mm, "AUROC")
    assert _cell(table, "musk", "ocnn-network").endswith(" (4/5) [0.000, 1.000] (2 < 0.5)")


def test_csv_keeps_the_text_columns_and_adds_integer_counts(tmp_path):
    table = matrix_table(metric_matrix(_results(), "auroc"), "AUROC")
    paths = write_table(table, tmp_path, "matrix_auroc")
    csv = pd.read_csv(paths["csv"])
    dets = ["ocnn-network", "gmm"]
    ci = [f"{d} auroc_ci_{end}" for d in dets for end in ("low", "high")]
    below = [f"{d} auroc_folds_below_half" for d in dets]
    assert list(csv.columns) == ["dataset", *dets, *ci, *below]
    musk = csv[csv["dataset"] == "musk"].iloc[0]
    assert musk["ocnn-network"] == "0.420 ± 0.376"  # the text column as before: no suffix
    assert musk["ocnn-network auroc_folds_below_half"] == 3
    assert csv["gmm auroc_folds_below_half"].tolist() == [0, 0, 0]
    assert pd.api.types.is_integer_dtype(csv["ocnn-network auroc_folds_below_half"])
    assert "(3 < 0.5)" in paths["md"].read_text(encoding="utf-8")


def test_auprc_has_no_chance_mark():
    mm = metric_matrix(_results(), "auprc")
    assert mm.n_below_chance is None
    table = matrix_table(mm, "AUPRC")
    assert "folds_below_half" not in " ".join(table.frame.columns)
    assert "below its normals" not in table.note
    assert not any("<" in cell for row in table.rows for cell in row)


def test_mark_is_empty_without_low_folds():
    assert below_chance_mark(0) == ""
    assert below_chance_mark(2) == " (2 < 0.5)"


def test_report_explains_the_mark(tmp_path):
    run = RunData(tmp_path, {}, [], _results(), ["musk", "cardio", "arrhythmia"])
    run.detectors = ["ocnn-network", "gmm"]
    doc = Document(tmp_path)
    (tmp_path / "tables").mkdir()
    _across_section(doc, run, tmp_path / "tables", tmp_path / "figures")
    text = doc.markdown()
    auroc = text.split("**AUROC (mean ± std [95 % interval] over folds)**")[1].split("**AUPRC")[0]
    assert "0.420 ± 0.376 [0.000, 1.000] (3 < 0.5)" in auroc
    assert "corrected resampled t of Nadeau and Bengio" in auroc
    assert "ranked that fold's anomalies below its normals" in auroc
    assert "inverted or collapsed" in auroc and "the mean over folds hides it" in auroc
    assert "< 0.5" not in text.split("**AUPRC")[1].split("Rank per data set")[0]


def test_interval_is_the_corrected_resampled_t_of_the_folds():
    """arrhythmia/gmm: no n_test/n_train in these rows, so the k-fold ratio 1/(5-1) is used;
    the bounds are recomputed here from scipy's t quantile (same formula, same floats)."""
    mm = metric_matrix(_results(), "auroc")
    v = np.array(PAPER_FOLDS[("arrhythmia", "gmm")][0])
    half = stats.t.ppf(0.975, 4) * np.sqrt((1 / 5 + 1 / 4) * v.var(ddof=1))
    assert mm.ci_low.loc["arrhythmia", "gmm"] == pytest.approx(v.mean() - half, rel=1e-12)
    assert mm.ci_high.loc["arrhythmia", "gmm"] == pytest.approx(v.mean() + half, rel=1e-12)
    # wider than the plain t interval of the same folds, which ignores their correlation
    plain = stats.t.interval(0.95, 4, loc=v.mean(), scale=stats.sem(v))
    assert mm.ci_low.loc["arrhythmia", "gmm"] < plain[0]


def test_interval_uses_the_recorded_row_counts():
    rows = _results()
    rows["n_train"], rows["n_test"] = 1000, 500  # ratio 0.5 instead of the k-fold 0.25
    mm = metric_matrix(rows, "auroc")
    v = np.array(PAPER_FOLDS[("cardio", "gmm")][0])
    half = stats.t.ppf(0.975, 4) * np.sqrt((1 / 5 + 0.5) * v.var(ddof=1))
    assert mm.ci_high.loc["cardio", "gmm"] == pytest.approx(v.mean() + half, rel=1e-12)
