"""Across-data-set statistics: metric matrices, ranks, wins, Friedman and Nemenyi tests.

Failed cells are never dropped. How ranks treat them (stated in every report, see
:data:`RANK_RULE`): on each data set the detectors are ranked by their fold-mean metric
(rank 1 = best, ties share the average rank). A detector with no successful fold on a
data set gets the worst rank there (tied with any other failed detector). A detector
with some failed folds is ranked by the mean of its successful folds and flagged in the
matrices. A data set on which no detector has a finite value (e.g. no anomalies in its
test rows, so AUROC is undefined) is left out of the ranking and named in the report.

The tests are taken from maintained libraries: Friedman from :mod:`scipy.stats`, the
Nemenyi post-hoc test and the critical-difference diagram from ``scikit-posthocs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy.stats import friedmanchisquare

from benchmark.report.pairwise import corrected_resampled_t
from benchmark.store.results import cell_keys

__all__ = [
    "CHANCE",
    "CI_NOTE",
    "RANK_RULE",
    "MetricMatrix",
    "RankedBlock",
    "complete_block",
    "metric_matrix",
    "rank_matrix",
    "wins",
    "FriedmanResult",
    "friedman",
    "nemenyi",
]

RANK_RULE = (
    "Ranks: only data sets on which every ranked detector was run enter the ranks, the"
    " Friedman test and the critical-difference diagram (a cell never run is `not run`, not a"
    " failure); when some detectors ran on few data sets, the data set or detector with the"
    " most cells not run is left out, one at a time, and named in a note. Per data set,"
    " detectors are ranked by their fold-mean value (1 = best, ties share the average rank)."
    " A detector whose every fold **failed** on a data set gets the **worst rank** there"
    " (failing is treated as the worst possible result, never dropped); one with some"
    " failed folds is ranked by the mean of its successful folds (marked `(k/n)` in the"
    " matrices). A data set where no detector has a finite value is excluded from the"
    " ranking and named in a note."
)


#: The value of a metric that a score unrelated to the labels reaches: 0.5 for AUROC. A
#: fold below it ranked its anomalies below its normals. AUPRC's chance level is the test
#: anomaly fraction, which differs per fold, so AUPRC has no entry.
CHANCE: dict[str, float] = {"auroc": 0.5}


#: How the matrices' intervals are computed, stated under every matrix and in the docs.
CI_NOTE = (
    "`[low, high]`: 95 % confidence interval of the mean over folds x repetitions by the"
    " corrected resampled t of Nadeau and Bengio (2003): the folds of cross-validation share"
    " training rows, so their values are correlated and the plain t interval (variance s²/J)"
    " is too narrow; the corrected one uses (1/J + n_test/n_train) s², with J - 1 degrees of"
    " freedom; bounds are clipped to [0, 1]. With 5 folds and n_test/n_train = 0.35 its"
    " half-width is 2.1 std (the plain t interval's: 1.2 std)."
)


@dataclass
class MetricMatrix:
    """Data sets x detectors: fold mean, fold std, successful folds and planned folds.

    ``n_below_chance`` counts the successful folds whose value is below the metric's
    :data:`CHANCE` level (None for a metric without one): a mean over folds hides them.
    ``ci_low`` and ``ci_high`` bound the mean's 95 % interval (:data:`CI_NOTE`; NaN with
    fewer than two successful folds).
    """

    metric: str
    mean: pd.DataFrame
    std: pd.DataFrame
    n_ok: pd.DataFrame
    n_total: pd.DataFrame
    n_below_chance: pd.DataFrame | None = None
    ci_low: pd.DataFrame | None = None
    ci_high: pd.DataFrame | None = None

    @property
    def failed(self) -> pd.DataFrame:
        """True where a (data set, detector) has no successful fold."""
        return (self.n_ok == 0) & (self.n_total > 0)


def metric_matrix(
    results: pd.DataFrame,
    metric: str,
    datasets: list[str] | None = None,
    detectors: list[str] | None = None,
    policy: str = "train-quantile",
) -> MetricMatrix:
    """Mean and std over folds of ``metric`` per (data set, detector); failures counted."""
    frame = results[results["policy"] == policy]
    datasets = datasets or list(dict.fromkeys(frame["dataset"]))
    detectors = detectors or list(dict.fromkeys(frame["detector"]))
    ok = frame[frame["status"] == "ok"]
    grouped = ok.groupby(["dataset", "detector"])[metric]
    shape = {"index": datasets, "columns": detectors}

    def table(series: pd.Series, fill: float) -> pd.DataFrame:
        return series.unstack().reindex(**shape).astype(float).fillna(fill)

    mean = grouped.mean().unstack().reindex(**shape).astype(float)
    std = grouped.std(ddof=1).unstack().reindex(**shape).astype(float)
    n_ok = table(grouped.size(), 0).astype(int)
    cells = frame.drop_duplicates(["dataset", "detector", *cell_keys(frame)])  # fold x repetition
    n_total = table(cells.groupby(["dataset", "detector"]).size(), 0).astype(int)
    mean.index.name = std.index.name = "dataset"
    below = None
    if metric in CHANCE:
        values = pd.to_numeric(ok[metric], errors="coerce")
        low = (values < CHANCE[metric]).groupby([ok["dataset"], ok["detector"]]).sum()
        below = table(low, 0).astype(int)
    low, high = _intervals(ok, metric, mean)
    return MetricMatrix(metric, mean, std, n_ok, n_total, below, low, high)


def split_ratio(cells: pd.DataFrame) -> float:
    """n_test / n_train of ``cells`` (the corrected resampled t's correction term); for
    records without row counts, the k-fold value 1 / (k - 1) of their fold count."""
    if {"n_test", "n_train"} <= set(cells.columns):
        n_test = pd.to_numeric(cells["n_test"], errors="coerce").mean()
        n_train = pd.to_numeric(cells["n_train"], errors="coerce").mean()
        if np.isfinite(n_test) and np.isfinite(n_train) and n_train > 0:
            return float(n_test / n_train)
    folds = cells["fold"].nunique() if "fold" in cells.columns else 5
    return 1.0 / max(int(folds) - 1, 1)


def _intervals(ok: pd.DataFrame, metric: str, like: pd.DataFrame):
    """The corrected resampled t interval per (data set, detector), shaped like ``like``."""
    low = pd.DataFrame(np.nan, index=like.index, columns=like.columns)
    high = low.copy()
    for (ds, det), cells in ok.groupby(["dataset", "detector"]):
        if ds not in low.index or det not in low.columns:
            continue
        values = pd.to_numeric(cells[metric], errors="coerce").to_numpy(dtype=float)
        ci = corrected_resampled_t(values, split_ratio(cells))
        # AUROC and AUPRC live in [0, 1]; the t interval does not know it
        low.loc[ds, det], high.loc[ds, det] = max(ci.low, 0.0), min(ci.high, 1.0)
    return low, high


@dataclass
class RankedBlock:
    """The data sets and detectors that enter the ranks, and what was left out and why."""

    datasets: list[str]
    detectors: list[str]
    left_out: list[str]  # one sentence per data set or detector left out


def complete_block(n_total: pd.DataFrame) -> RankedBlock:
    """The largest data set x detector block in which every cell was run (ok or failed).

    ``n_total`` counts the cells run per (data set, detector). While some pair was never
    run, the data set or detector with the largest share of pairs not run is left out
    (a data set on a tie), so one extra data set run with two detectors, or one extra
    detector run on one data set, drops out instead of being ranked as a loser.
    """
    ran = n_total > 0
    left_out = []
    while ran.size and not ran.to_numpy().all():
        row_missing = (~ran).mean(axis=1)
        col_missing = (~ran).mean(axis=0)
        if col_missing.max() > row_missing.max():
            det = col_missing.idxmax()
            missing = list(ran.index[~ran[det]])
            left_out.append(f"detector {det} (not run on {', '.join(map(str, missing))})")
            ran = ran.drop(columns=det)
        else:
            ds = row_missing.idxmax()
            missing = list(ran.columns[~ran.loc[ds]])
            left_out.append(f"data set {ds} (not run with {', '.join(map(str, missing))})")
            ran = ran.drop(index=ds)
    return RankedBlock(list(ran.index), list(ran.columns), left_out)


def rank_matrix(mean: pd.DataFrame, higher_is_better: bool = True) -> tuple[pd.DataFrame, list]:
    """Ranks per data set under :data:`RANK_RULE`; also the data sets left out."""
    finite = mean.apply(lambda col: np.isfinite(col.to_numpy(dtype=float)))
    keep = finite.any(axis=1)
    excluded = list(mean.index[~keep])
    worst = -np.inf if higher_is_better else np.inf
    filled = mean[keep].astype(float).where(finite[keep], worst)
    ranks = filled.rank(axis=1, ascending=not higher_is_better, method="average")
    return ranks, excluded


def wins(ranks: pd.DataFrame) -> pd.Series:
    """Data sets on which each detector is best (a tie for first counts for each)."""
    best = ranks.eq(ranks.min(axis=1), axis=0)
    return best.sum(axis=0).astype(int)


@dataclass
class FriedmanResult:
    """Friedman chi-square over N data sets (blocks) and k detectors, or why it was skipped."""

    statistic: float
    pvalue: float
    n_datasets: int
    n_detectors: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return np.isfinite(self.statistic)


def friedman(ranks: pd.DataFrame) -> FriedmanResult:
    """The Friedman test of equal average ranks (scipy); needs k >= 3 and N >= 2."""
    n, k = ranks.shape
    if k < 3 or n < 2:
        note = f"Friedman test skipped: needs >= 3 detectors and >= 2 data sets (k={k}, N={n})"
        return FriedmanResult(float("nan"), float("nan"), n, k, note)
    # Ranks in, ranks out: the statistic depends on the within-block ranks only.
    stat, p = friedmanchisquare(*[ranks[c].to_numpy(dtype=float) for c in ranks.columns])
    return FriedmanResult(float(stat), float(p), n, k)


def nemenyi(ranks: pd.DataFrame) -> pd.DataFrame | None:
    """Pairwise Nemenyi p-values after Friedman (scikit-posthocs); None if too small."""
    n, k = ranks.shape
    if k < 3 or n < 2:
        return None
    # scikit-posthocs ranks each block itself; negated ranks keep "1 = best" ordering.
    pvals = sp.posthoc_nemenyi_friedman(-ranks.to_numpy(dtype=float))
    pvals.index = pvals.columns = list(ranks.columns)
    return pvals
