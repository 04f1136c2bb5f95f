"""The hierarchical test's inputs and its cache (Stan itself is an optional extra, so the
sampling is not run here; `python -m benchmark.report.hierarchical` runs it)."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ROOT

from benchmark.report.hierarchical import CSV_NAME, _digest, fold_scores, load_cached
from benchmark.report.text_table import Table


@pytest.fixture(scope="module")
def quick():
    return pd.read_csv(ROOT / "results" / "quick-r3" / "results.csv")


def test_fold_scores_pair_the_same_cells_on_every_data_set(quick):
    x, y, kept, left = fold_scores(quick, "mmoc-gan-cat", "ocan")
    assert x.shape == y.shape == (13, 15) and left == []  # 13 sets x (3 repetitions x 5 folds)
    rows = quick[(quick.policy == "train-quantile") & (quick.dataset == kept[0])]
    cat = rows[rows.detector == "mmoc-gan-cat"].sort_values(["repeat", "fold"])
    assert x[0].tolist() == cat["auroc"].tolist()  # copied values, in (repeat, fold) order


def test_a_data_set_with_fewer_common_cells_is_left_out(quick):
    drop = (quick.dataset == "musk") & (quick.detector == "ocan") & (quick.fold == 0)
    x, _, kept, left = fold_scores(quick[~drop], "mmoc-gan-cat", "ocan")
    assert left == ["musk"] and len(kept) == 12 and x.shape == (12, 15)


def test_the_cache_is_shown_only_while_the_results_are_the_same(tmp_path, quick):
    assert load_cached(tmp_path, quick) is None
    (tmp_path / "tables").mkdir()
    frame = pd.DataFrame(
        [dict(subject="mmoc-gan-cat", other="ocan", datasets=13, cells_per_dataset=15,
              left_out="", better=0.97, equivalent=0.02, worse=0.01, digest=_digest(quick))]
    )  # fmt: skip
    frame.to_csv(tmp_path / "tables" / CSV_NAME, index=False)
    table = load_cached(tmp_path, quick)
    assert isinstance(table, Table) and table.rows[0][3] == "0.97" and table.bold[0][3]
    changed = quick.copy()
    fold = changed.index[(changed.policy == "train-quantile") & (changed.status == "ok")][0]
    changed.loc[fold, "auroc"] += 0.001  # a resumed run changed one fold
    note = load_cached(tmp_path, changed)
    assert isinstance(note, str) and "rerun" in note
