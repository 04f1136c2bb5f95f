"""The Verdict's numbers are the libraries' numbers, recomputed from a results.csv."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from scipy import stats
from statsmodels.stats.multitest import multipletests

from benchmark.report.verdict import dataset_means, power_note, verdict_rows, verdict_table


@pytest.fixture(scope="module")
def paper():
    return pd.read_csv(ROOT / "results" / "paper" / "results.csv")


@pytest.fixture(scope="module")
def rows(paper):
    return verdict_rows(dataset_means(paper))  # ~10 s: 19 seeded baycomp posteriors


def test_a_wilcoxon_holm_p_and_a_bayesian_probability_recomputed_from_results_csv(paper, rows):
    from baycomp import SignedRankTest

    row = {(r.subject, r.other): r for r in rows}[("mmoc-gan-cat", "ocan")]
    # straight from results.csv: one policy's rows, mean AUROC per (data set, detector)
    native = paper[(paper.policy == "native") & (paper.status == "ok")]
    means = native.pivot_table(index="dataset", columns="detector", values="auroc", aggfunc="mean")
    raw = {
        (a, b): stats.wilcoxon(means[a], means[b], zero_method="zsplit").pvalue
        for a, b in itertools.combinations(means.columns, 2)
    }
    adjusted = dict(zip(raw, multipletests(list(raw.values()), method="holm")[1]))
    assert row.p_holm == pytest.approx(adjusted[("mmoc-gan-cat", "ocan")])
    left, rope, right = SignedRankTest.probs(
        means["mmoc-gan-cat"].to_numpy(), means["ocan"].to_numpy(), rope=0.01, random_state=0
    )
    assert (row.better, row.equivalent, row.worse) == pytest.approx((left, rope, right))
    diff = means["mmoc-gan-cat"] - means["ocan"]
    assert (row.wins, row.ties, row.losses) == (
        int((diff > 0.01).sum()),
        int((diff.abs() <= 0.01).sum()),
        int((diff < -0.01).sum()),
    )


def test_the_table_covers_each_variant_against_every_other_detector_once(rows):
    pairs = [(r.subject, r.other) for r in rows]
    assert len(pairs) == 10 + 9  # cat against the 10 others, mix against the 9 left
    assert ("mmoc-gan-mix", "mmoc-gan-cat") not in pairs
    table = verdict_table(rows)
    assert len(table.rows) == len(rows) and table.rows[0][0] == "mmoc-gan-cat"
    assert all(r.sentence() for r in rows)
    assert "2 / 2^7 = 0.016" in power_note(7, 11) and "55 pairs" in power_note(7, 11)


def test_too_few_data_sets_give_no_sentence():
    means = pd.DataFrame(
        {"mmoc-gan-cat": [0.9, 0.8], "ocan": [0.7, 0.6]}, index=["a", "b"], dtype=float
    )
    (row,) = verdict_rows(means)
    assert row.wins == 2 and row.sentence() == "Too few data sets (2) for a verdict."
    assert not np.isnan(row.better)
