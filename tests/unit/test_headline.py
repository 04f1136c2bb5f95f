"""The README's headline and verdict blocks are written from a run folder's report tables,
and the committed README still matches the committed paper run."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import ROOT

from benchmark.registry import datasets
from benchmark.report import headline
from benchmark.report.headline import HeadlineError, headline_block, rewrite, verdict_block


def test_the_readme_blocks_match_the_committed_paper_run():
    # If this fails, the README cites numbers results/paper no longer holds: rerun
    # `python -m benchmark.report.headline results/paper --readme README.md`.
    assert (
        headline.main(
            [str(ROOT / "results" / "paper"), "--readme", str(ROOT / "README.md"), "--check"]
        )
        == 0
    )


def _folder(tmp_path, names=("a", "b", "c"), failed=()):
    """A run folder with the report tables the blocks read (values chosen by hand)."""
    (tmp_path / "tables").mkdir(parents=True)
    manifest = {
        "datasets": list(names),
        "cells": 45,
        "failed_cells": list(failed),
        "config": {"preset": "quick", "folds": 5, "seed": 7},
    }
    (tmp_path / "run.json").write_text(json.dumps(manifest))
    pd.DataFrame(
        {
            "detector": ["knn", "mmoc-gan-cat", "ocsvm"],
            "avg. rank auroc": [2.0, 1.5, 2.5],
            "avg. rank auprc": [1.0, 2.5, 2.5],
            "wins auroc": [1, 2, 0],
            "wins auprc": [2, 1, 0],
        }
    ).to_csv(tmp_path / "tables" / "ranks.csv", index=False)
    # per-set AUROC ranks: three patterns, repeated for longer lists of names
    patterns = [(2, 1, 3), (1, 2, 3), (3, 1.5, 1.5)]
    per_set = [(name, *patterns[i % 3]) for i, name in enumerate(names)]
    pd.DataFrame(per_set, columns=["dataset", "knn", "mmoc-gan-cat", "ocsvm"]).to_csv(
        tmp_path / "tables" / "ranks_auroc.csv", index=False
    )
    rows = [
        # subject, other, n, W, T, L, p_holm, better, equivalent, worse
        ("mmoc-gan-cat", "knn", 8, 7, 0, 1, 0.01, 0.99, 0.0, 0.01),
        ("mmoc-gan-cat", "ocsvm", 8, 2, 1, 5, 0.5, 0.01, 0.02, 0.97),
        ("mmoc-gan-cat", "gmm", 8, 4, 0, 4, 0.9, 0.5, 0.0, 0.5),
        ("mmoc-gan-mix", "knn", 5, 5, 0, 0, 0.3, 0.99, 0.0, 0.01),
    ]
    columns = ["subject", "other", "n", "wins", "ties", "losses", "p_holm"]
    columns += ["better", "equivalent", "worse"]
    pd.DataFrame(rows, columns=columns).to_csv(tmp_path / "tables" / "verdict.csv", index=False)
    return tmp_path


def test_headline_sorts_by_auroc_rank_and_bolds_the_best_of_each_column(tmp_path):
    text = headline_block(_folder(tmp_path, failed=["a/knn/fold0"]), tmp_path)
    table = [line for line in text.splitlines() if line.startswith("| `")]
    assert table == [
        "| `mmoc-gan-cat` | **1.50** | 2.50 | **2** |",
        "| `knn` | 2.00 | **1.00** | 1 |",
        "| `ocsvm` | 2.50 | 2.50 | 0 |",
    ]
    assert text.startswith("Quick preset (capped budgets) on 3 data sets (a, b and c), 5 folds")
    assert "seed 7: 45 cells, 1 failed." in text
    assert "[`./`](./README.md)" in text  # links relative to the README's folder
    # Friedman by hand over the per-set ranks (rank sums 6, 4.5, 7.5; N = 3, k = 3):
    # 12 / 36 * 112.5 - 36 = 1.5, over the tie correction 1 - 6 / 72 -> 1.64; with 2
    # degrees of freedom p = exp(-1.64 / 2) = 0.44
    assert "Friedman test over the 3 sets: AUROC chi² = 1.6, p = 0.44." in text


def test_headline_names_all_bundled_sets_as_such(tmp_path):
    bundled = sorted(n for n, s in datasets().items() if s.bundled)
    text = headline_block(_folder(tmp_path, names=bundled), tmp_path)
    assert f"on all {len(bundled)} bundled data sets, 5 folds each" in text


def test_verdict_groups_each_variants_calls_by_kind(tmp_path):
    text = verdict_block(_folder(tmp_path), tmp_path)
    assert "**Verdict** over the 8 data sets of this run" in text
    assert (
        "- `mmoc-gan-cat`: better than (Wilcoxon-Holm) `knn`; probably worse than `ocsvm`"
        " (0.97); no verdict against `gmm`." in text
    )
    assert "- `mmoc-gan-mix`: too few data sets against `knn`." in text


def test_rewrite_replaces_only_between_the_markers_and_check_sees_a_difference(tmp_path):
    folder = _folder(tmp_path / "run")
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- headline:start -->\nold\n<!-- headline:end -->\nmiddle\n"
        "<!-- verdict:start -->\n<!-- verdict:end -->\nend\n"
    )
    args = [str(folder), "--readme", str(readme)]
    assert headline.main([*args, "--check"]) == 1
    assert "old" in readme.read_text()  # --check changes nothing
    assert headline.main(args) == 0
    text = readme.read_text()
    assert text.startswith("intro\n<!-- headline:start -->\nQuick preset")
    assert "\n<!-- headline:end -->\nmiddle\n<!-- verdict:start -->\n**Verdict**" in text
    assert text.endswith("<!-- verdict:end -->\nend\n")
    assert "[report](run/report.md)" in text
    assert headline.main([*args, "--check"]) == 0


def test_a_missing_marker_or_table_is_an_error_naming_it(tmp_path, capsys):
    with pytest.raises(HeadlineError, match="NOTES has no <!-- verdict:start -->"):
        rewrite("<!-- headline:start -->\n<!-- headline:end -->", {"verdict": "x"}, "NOTES")
    folder = _folder(tmp_path)
    ranks = pd.read_csv(folder / "tables" / "ranks.csv")
    ranks.drop(columns="wins auroc").to_csv(folder / "tables" / "ranks.csv", index=False)
    assert headline.main([str(folder)]) == 2
    assert "ranks.csv lacks column(s) wins auroc: rebuild the report" in capsys.readouterr().err
    ranks.to_csv(folder / "tables" / "ranks.csv", index=False)
    (folder / "tables" / "verdict.csv").unlink()
    assert headline.main([str(folder)]) == 2
    assert "verdict.csv is missing: rebuild the report" in capsys.readouterr().err
