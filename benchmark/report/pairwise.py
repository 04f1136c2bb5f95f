"""Pairwise statistics that survive review: confidence intervals and paired tests over the
folds of a data set, and pairwise tests over data sets.

- Within a data set, the folds (x repetitions) of cross-validation share training rows, so
  their scores are correlated and a plain t interval is too narrow. The corrected resampled
  t of Nadeau and Bengio ("Inference for the generalization error", Machine Learning 52,
  2003) inflates the variance by ``1/J + n_test/n_train`` over J resamples. No maintained
  library has it, so it is written here once (:func:`corrected_resampled_t`) and tested
  against a worked example.
- Across data sets, every pair of detectors gets a Wilcoxon signed-rank test on the data
  sets' means (:mod:`scipy.stats`), Holm-corrected over the pairs (:mod:`statsmodels`), as
  Benavoli, Corani and Mangili recommend ("Should we really use post-hoc tests based on
  mean-ranks?", JMLR 17, 2016): a pair's unadjusted p depends on those two detectors
  only, unlike a mean-rank test. The Bayesian signed-rank test with a region of practical
  equivalence (Benavoli et al., "Time for a change", JMLR 18, 2017) comes from ``baycomp``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

__all__ = [
    "ALPHA",
    "ROPE",
    "SUBJECT_PREFIX",
    "BayesResult",
    "TTestResult",
    "bayesian_signed_rank",
    "corrected_resampled_t",
    "holm",
    "pairwise_wilcoxon",
    "wilcoxon_matrix",
]

#: The region of practical equivalence of the Bayesian test: 0.01 of AUROC (issue 22; the
#: smallest difference the suite treats as real between two detectors on a data set).
ROPE = 0.01

#: The significance level of every frequentist mark in the report (the Verdict's sentence,
#: the paired-fold tests' bold).
ALPHA = 0.05

#: The detectors a report is about, each against every other detector of the folder: the
#: Verdict, the paired-fold tests and the hierarchical test compare these names' holders.
SUBJECT_PREFIX = "mmoc-gan"

#: Samples of baycomp's posterior and their seed (the probabilities are Monte Carlo
#: estimates: a fixed seed makes a report reproducible; 50,000 is baycomp's default).
BAYES_SAMPLES = 50_000
BAYES_SEED = 0


@dataclass(frozen=True)
class TTestResult:
    """The corrected resampled t over J values: their mean, its 95 % interval, t and p."""

    mean: float
    low: float
    high: float
    t: float
    p: float
    n: int


def corrected_resampled_t(
    values: np.ndarray, test_to_train: float, confidence: float = 0.95
) -> TTestResult:
    """Nadeau and Bengio's corrected resampled t over ``values`` (J folds x repetitions).

    ``values`` are one detector's scores (an interval for its mean) or paired differences
    of two detectors on the same folds (a test of "no difference": ``p``).
    ``test_to_train`` is n_test / n_train of the folds. The variance of the mean is
    ``(1/J + n_test/n_train) * s^2`` instead of ``s^2 / J``; t has J - 1 degrees of freedom.
    Fewer than two finite values give NaN bounds and p.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    mean = float(v.mean()) if n else float("nan")
    if n < 2:
        return TTestResult(mean, float("nan"), float("nan"), float("nan"), float("nan"), n)
    var = (1.0 / n + float(test_to_train)) * float(v.var(ddof=1))
    se = float(np.sqrt(var))
    crit = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    if se == 0.0:  # every value equal: no spread, the mean is exact
        p = 1.0 if mean == 0.0 else 0.0
        return TTestResult(mean, mean, mean, float("inf") if mean else 0.0, p, n)
    t = mean / se
    p = float(2 * stats.t.sf(abs(t), n - 1))
    return TTestResult(mean, mean - crit * se, mean + crit * se, float(t), p, n)


def holm(pvalues: pd.Series) -> pd.Series:
    """Holm's step-down correction of ``pvalues`` (NaN entries are left out and stay NaN)."""
    out = pd.Series(np.nan, index=pvalues.index, dtype=float)
    finite = pvalues.dropna()
    if len(finite):
        out[finite.index] = multipletests(finite.to_numpy(), method="holm")[1]
    return out


def pairwise_wilcoxon(means: pd.DataFrame) -> pd.DataFrame:
    """Every pair of detectors (columns) over the data sets (rows) of ``means``: the
    two-sided Wilcoxon signed-rank p, unadjusted and Holm-adjusted over all pairs.

    A data set where either detector has no value is left out of that pair only. Returns
    one row per pair: ``a``, ``b``, ``n`` (data sets), ``p`` and ``p_holm``.
    """
    rows = []
    for a, b in itertools.combinations(means.columns, 2):
        pair = means[[a, b]].dropna()
        diff = (pair[a] - pair[b]).to_numpy()
        if len(pair) < 2 or np.all(diff == 0):
            p = 1.0 if len(pair) >= 2 else float("nan")
        else:
            p = float(stats.wilcoxon(pair[a], pair[b], zero_method="zsplit").pvalue)
        rows.append({"a": a, "b": b, "n": len(pair), "p": p})
    frame = pd.DataFrame(rows, columns=["a", "b", "n", "p"])
    frame["p_holm"] = holm(frame["p"]) if len(frame) else []
    return frame


def wilcoxon_matrix(means: pd.DataFrame) -> pd.DataFrame:
    """Detectors x detectors: the Holm-adjusted Wilcoxon p of :func:`pairwise_wilcoxon`
    (1 on the diagonal), the ``sig_matrix`` a critical-difference diagram joins by."""
    names = list(means.columns)
    out = pd.DataFrame(1.0, index=names, columns=names)
    for r in pairwise_wilcoxon(means).itertuples():
        p = float(r.p_holm) if np.isfinite(r.p_holm) else 1.0  # no data: not separated
        out.loc[r.a, r.b] = out.loc[r.b, r.a] = p
    return out


@dataclass(frozen=True)
class BayesResult:
    """Posterior probabilities that ``a`` is better, practically equivalent, or worse."""

    better: float
    equivalent: float
    worse: float


def bayesian_signed_rank(a: np.ndarray, b: np.ndarray, rope: float = ROPE) -> BayesResult:
    """baycomp's Bayesian signed-rank test of ``a`` against ``b`` (one value per data set)
    with a region of practical equivalence ``rope``; seeded, so reproducible."""
    from baycomp import SignedRankTest

    left, middle, right = SignedRankTest.probs(
        np.asarray(a, dtype=float),
        np.asarray(b, dtype=float),
        rope=rope,
        nsamples=BAYES_SAMPLES,
        random_state=BAYES_SEED,
    )
    return BayesResult(float(left), float(middle), float(right))
