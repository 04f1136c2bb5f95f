"""The pairwise statistics: Nadeau-Bengio's corrected t against a worked example, and
Wilcoxon-Holm and the Bayesian signed-rank test recomputed with the libraries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from benchmark.report.pairwise import (
    bayesian_signed_rank,
    corrected_resampled_t,
    holm,
    pairwise_wilcoxon,
)


def test_corrected_resampled_t_matches_a_worked_example():
    # Worked by hand: J = 5 paired differences, n_test / n_train = 20 / 80.
    # mean = 0.02; s^2 = (0.01^2 + 0 + 0.01^2 + 0.02^2 + 0.02^2) / 4 = 0.00025;
    # corrected variance = (1/5 + 0.25) * 0.00025 = 0.0001125; se = 0.0106066;
    # t = 0.02 / 0.0106066 = 1.885618; with 4 df the two-sided p has a closed form,
    # 1 - x (3 - x^2) / 2 with x = t / sqrt(t^2 + 4) = 0.686 ...: p = 0.132419;
    # t_0.975(4) = 2.776445, so the 95 % interval is 0.02 -/+ 0.029449.
    r = corrected_resampled_t(np.array([0.01, 0.02, 0.03, 0.00, 0.04]), 20 / 80)
    assert r.mean == pytest.approx(0.02)
    assert r.t == pytest.approx(1.885618, rel=1e-6)
    assert r.p == pytest.approx(0.132419, rel=1e-5)
    assert (r.low, r.high) == pytest.approx((0.02 - 0.029449, 0.02 + 0.029449), abs=1e-6)
    naive = stats.ttest_1samp([0.01, 0.02, 0.03, 0.00, 0.04], 0.0)
    assert r.p > naive.pvalue  # the correction widens: correlated folds are not independent


def test_corrected_t_degenerate_inputs():
    assert math.isnan(corrected_resampled_t(np.array([0.3]), 0.25).p)
    same = corrected_resampled_t(np.array([0.0, 0.0, 0.0]), 0.25)
    assert (same.p, same.low, same.high) == (1.0, 0.0, 0.0)
    nan_dropped = corrected_resampled_t(np.array([0.01, np.nan, 0.03]), 0.25)
    assert nan_dropped.n == 2 and nan_dropped.mean == pytest.approx(0.02)


def _means(seed: int = 0, n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.6, 0.95, n)
    return pd.DataFrame(
        {
            "a": base + rng.normal(0.03, 0.01, n),
            "b": base,
            "c": base + rng.normal(0.0, 0.02, n),
        },
        index=[f"set{i}" for i in range(n)],
    )


def test_pairwise_wilcoxon_is_scipy_then_holm():
    means = _means()
    frame = pairwise_wilcoxon(means).set_index(["a", "b"])
    raw = [stats.wilcoxon(means[x], means[y], zero_method="zsplit").pvalue
           for x, y in [("a", "b"), ("a", "c"), ("b", "c")]]  # fmt: skip
    assert frame["p"].tolist() == pytest.approx(raw)
    assert frame["p_holm"].tolist() == pytest.approx(multipletests(raw, method="holm")[1])
    assert frame.loc[("a", "b"), "p_holm"] < 0.05  # a is better on every set


def test_adding_a_detector_changes_no_unadjusted_pairwise_p():
    # Unlike a mean-rank post-hoc test, a pair's Wilcoxon p depends on that pair only.
    means = _means()
    before = pairwise_wilcoxon(means).set_index(["a", "b"])["p"]
    more = means.assign(d=means["b"] - 0.2, e=means["c"] + 0.05)
    after = pairwise_wilcoxon(more).set_index(["a", "b"])["p"]
    assert after[before.index].tolist() == before.tolist()
    assert holm(pd.Series([0.01, np.nan, 0.04])).isna().tolist() == [False, True, False]


def test_bayesian_signed_rank_is_baycomps_and_reproducible():
    from baycomp import SignedRankTest

    means = _means()
    r = bayesian_signed_rank(means["a"], means["b"], rope=0.01)
    direct = SignedRankTest.probs(
        means["a"].to_numpy(), means["b"].to_numpy(), rope=0.01, nsamples=50_000, random_state=0
    )
    assert (r.better, r.equivalent, r.worse) == pytest.approx(direct)
    assert r.better > 0.9 and r == bayesian_signed_rank(means["a"], means["b"], rope=0.01)
    assert sum((r.better, r.equivalent, r.worse)) == pytest.approx(1.0)
