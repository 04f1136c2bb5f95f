"""Per-data-set paired tests and the Wilcoxon-Holm diagram matrix, recomputed from a
committed results.csv (``results/quick-r3``: 13 sets, 3 repetitions x 5 folds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from scipy import stats
from statsmodels.stats.multitest import multipletests

from benchmark.report.paired_folds import paired_fold_table, paired_fold_tests
from benchmark.report.pairwise import pairwise_wilcoxon, wilcoxon_matrix
from benchmark.report.verdict import dataset_means


@pytest.fixture(scope="module")
def quick():
    return pd.read_csv(ROOT / "results" / "quick-r3" / "results.csv")


@pytest.fixture(scope="module")
def tests_(quick):
    return paired_fold_tests(quick)


def test_one_comparison_recomputed_by_hand(quick, tests_):
    """cardio, mmoc-gan-cat vs ocan: differences paired on (repetition, fold), then the
    Nadeau-Bengio variance (1/J + n_test/n_train) s^2 and a t with J - 1 df (scipy)."""
    rows = quick[(quick.policy == "train-quantile") & (quick.status == "ok")]
    rows = rows[rows.dataset == "cardio"]
    a = rows[rows.detector == "mmoc-gan-cat"].set_index(["repeat", "fold"])
    b = rows[rows.detector == "ocan"].set_index(["repeat", "fold"])
    diff = (a["auroc"] - b.loc[a.index, "auroc"]).to_numpy()
    assert diff.size == 15
    both = pd.concat([a, b])
    ratio = both["n_test"].mean() / both["n_train"].mean()
    t = diff.mean() / np.sqrt((1 / 15 + ratio) * diff.var(ddof=1))
    p = 2 * stats.t.sf(abs(t), 14)
    got = tests_[(tests_.dataset == "cardio") & (tests_.subject == "mmoc-gan-cat")]
    got = got.set_index("other")
    assert got.loc["ocan", "t"] == pytest.approx(t, rel=1e-9)
    assert got.loc["ocan", "p"] == pytest.approx(p, rel=1e-9)
    # Holm over every comparison of the data set (statsmodels, called directly)
    on_cardio = tests_[tests_.dataset == "cardio"]
    holm = multipletests(on_cardio["p"].to_numpy(), method="holm")[1]
    assert on_cardio["p_holm"].to_numpy() == pytest.approx(holm)


def test_every_variant_meets_every_detector_once_per_data_set(quick, tests_):
    detectors = set(quick.detector)
    per = tests_.groupby("dataset").size()
    # cat: 10 others; mix: the 9 others that are not cat (cat vs mix is counted once)
    assert set(per) == {2 * (len(detectors) - 1) - 1}
    assert len(per) == quick.dataset.nunique()
    table = paired_fold_table(tests_, "mmoc-gan-mix")
    assert "mmoc-gan-cat" not in table.headers and len(table.rows) == len(per)
    assert all(cell.startswith(("+", "-", "—")) for row in table.rows for cell in row[1:])


def test_a_paired_test_is_wider_than_the_naive_one(tests_, quick):
    """The correction can only raise p over the plain paired t-test on the same folds."""
    rows = quick[(quick.policy == "train-quantile") & (quick.status == "ok")]
    rows = rows[rows.dataset == "thyroid"]
    a = rows[rows.detector == "mmoc-gan-cat"].set_index(["repeat", "fold"])["auroc"]
    b = rows[rows.detector == "gmm"].set_index(["repeat", "fold"])["auroc"].loc[a.index]
    naive = stats.ttest_rel(a, b).pvalue
    got = tests_[(tests_.dataset == "thyroid") & (tests_.subject == "mmoc-gan-cat")]
    assert got.set_index("other").loc["gmm", "p"] >= naive


def test_wilcoxon_matrix_is_the_symmetric_holm_p(quick):
    means = dataset_means(quick)
    matrix = wilcoxon_matrix(means)
    pairs = pairwise_wilcoxon(means)
    assert (np.diag(matrix) == 1).all()
    assert np.array_equal(matrix.to_numpy(), matrix.to_numpy().T)  # filled from one value
    for r in pairs.itertuples():
        assert matrix.loc[r.a, r.b] == r.p_holm
