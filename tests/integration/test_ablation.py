"""Table 2 (MMOC-GAN over the number of modes) from long results, and a real small run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.report.paper_tables import ModesVariant, modes_table, parse_label
from benchmark.studies.ablation import modes_variants, paired_modes_test, run_modes_ablation


def _rows(label: str, dataset: str, fold: int, auroc: float, status: str = "ok") -> list[dict]:
    return [
        {
            "dataset": dataset,
            "detector": label,
            "fold": fold,
            "policy": policy,
            "status": status,
            "pass_acc": 0.9 if policy == "native" else 0.1,
            "non_pass_acc": 0.5,
            "f1_normal": 0.8,
            "f1_anomaly": 0.3,
            "auroc": auroc if status == "ok" else np.nan,
        }
        for policy in ("native", "train-quantile")
    ]


def test_variants_cover_both_latents_each_m_and_ten_modes_without_mi():
    labels = [v.label for v in modes_variants()]
    assert labels == [
        "mmoc-gan-cat-m1",
        "mmoc-gan-cat-m5",
        "mmoc-gan-cat-m10",
        "mmoc-gan-cat-m20",
        "mmoc-gan-cat-m10-nomi",
        "mmoc-gan-mix-m1",
        "mmoc-gan-mix-m5",
        "mmoc-gan-mix-m10",
        "mmoc-gan-mix-m20",
        "mmoc-gan-mix-m10-nomi",
    ]
    assert all(parse_label(v.label) == v for v in modes_variants())
    assert ModesVariant("mix", 10, mi=False).params() == {"n_modes": 10, "mi_weight": 0.0}
    assert parse_label("mmoc-gan-cat") is None and parse_label("ocan-m5") is None
    with pytest.raises(ValueError, match="modes"):
        modes_variants((0, 5))
    with pytest.raises(ValueError, match="latents"):
        modes_variants((1, 5), ("gauss",))


def test_modes_table_uses_native_rows_and_reports_mean_std():
    rows = []
    for fold, auroc in enumerate([0.7, 0.9]):
        rows += _rows("mmoc-gan-cat-m1", "a", fold, auroc) + _rows(
            "mmoc-gan-cat-m5", "a", fold, 0.8
        )
    rows += _rows("mmoc-gan-cat-m1", "b", 0, 0.6)
    rows += _rows("mmoc-gan-cat-m1", "b", 1, 0.0, status="failed")
    rows += _rows("ocan", "b", 0, 0.6)  # not a Table 2 label
    table = modes_table(pd.DataFrame(rows), folds=2)
    m1 = "m = 1 (no MI: the term is 0 with one mode)"
    assert list(table.index) == [
        ("a", "mmoc-gan-cat", m1),
        ("a", "mmoc-gan-cat", "m = 5"),
        ("b", "mmoc-gan-cat", m1),
    ]
    assert table.loc[("a", "mmoc-gan-cat", m1), "AUROC"] == "0.800 ± 0.141"
    assert table.loc[("a", "mmoc-gan-cat", "m = 5"), "pass acc."] == "0.900 ± 0.000"  # native
    assert table.loc[("b", "mmoc-gan-cat", m1), "AUROC"] == "0.600 ± 0.000 (1/2)"
    assert list(table.columns) == [
        "pass acc.",
        "non-pass acc.",
        "F1 (normal)",
        "F1 (anomaly)",
        "AUROC",
    ]


def test_paired_test_compares_ten_modes_with_one_fold_by_fold():
    rows = []
    ten = [0.80, 0.85, 0.90, 0.82, 0.88]
    one = [0.70, 0.74, 0.81, 0.69, 0.80]
    for fold, (a, b) in enumerate(zip(ten, one)):
        rows += _rows("mmoc-gan-cat-m10", "a", fold, a) + _rows("mmoc-gan-cat-m1", "a", fold, b)
    (test,) = paired_modes_test(pd.DataFrame(rows)).to_dict("records")
    assert test["folds"] == 5 and test["folds won"] == "5/5"
    assert test["mean AUROC difference"] == pytest.approx(np.mean(ten) - np.mean(one))
    from scipy import stats

    # Nadeau-Bengio: no row counts in these rows, so the k-fold ratio 1/(5-1) is used
    diff = np.subtract(ten, one)
    t = diff.mean() / np.sqrt((1 / 5 + 1 / 4) * diff.var(ddof=1))
    assert test["t"] == pytest.approx(t, rel=1e-12)
    assert test["p (corrected t, two-sided)"] == pytest.approx(2 * stats.t.sf(t, 4), rel=1e-9)
    # more cautious than the plain paired t-test of the same folds
    assert test["p (corrected t, two-sided)"] > stats.ttest_rel(ten, one).pvalue


def test_the_paired_test_pairs_repetitions_and_folds():
    rows = []
    ten = {(0, 0): 0.80, (0, 1): 0.85, (1, 0): 0.90, (1, 1): 0.86}
    one = {(0, 0): 0.70, (0, 1): 0.74, (1, 0): 0.81, (1, 1): 0.83}
    for (rep, fold), a in ten.items():
        for label, v in (("mmoc-gan-cat-m10", a), ("mmoc-gan-cat-m1", one[rep, fold])):
            rows += [dict(r, repeat=rep) for r in _rows(label, "a", fold, v)]
    (test,) = paired_modes_test(pd.DataFrame(rows)).to_dict("records")
    assert test["folds"] == 4 and test["folds won"] == "4/4"
    assert test["mean AUROC difference"] == pytest.approx(np.mean([0.10, 0.11, 0.09, 0.03]))


def test_modes_table_of_nothing_is_empty():
    assert modes_table(pd.DataFrame()).empty
    assert paired_modes_test(pd.DataFrame()).empty


def test_run_modes_ablation_rejects_bad_modes(tmp_path):
    with pytest.raises(ValueError, match="modes"):
        run_modes_ablation(["vowels"], tmp_path, modes=(0, 5))


def test_run_modes_ablation_on_a_small_data_set(tmp_path):
    table = run_modes_ablation(
        ["vowels"],
        tmp_path / "run",
        folds=2,
        modes=(1, 3),
        latents=("cat",),
        progress=False,
        splits_dir=tmp_path / "splits",
        extra_params={"max_steps": 15},
    )
    m1 = "m = 1 (no MI: the term is 0 with one mode)"
    assert [row for _, _, row in table.index] == [m1, "m = 3", "m = 3, no MI"]
    assert not table.isin(["failed"]).any().any()
    text = (tmp_path / "run" / "table2.md").read_text()
    assert text.count("## vowels") == 1 and "Do the modes matter?" in text
    numeric = pd.read_csv(tmp_path / "run" / "table2.csv")
    assert set(numeric["m"]) == {1, 3} and (numeric["auroc_count"] == 2).all()
