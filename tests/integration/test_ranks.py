"""Ranks and tests use only data sets where every ranked detector ran; not run is not failed."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from helpers import blobs

from benchmark.engine.harness import RunConfig, run
from benchmark.report import figures, write_report
from benchmark.report.stats import complete_block


def _counts(datasets, detectors, missing=()) -> pd.DataFrame:
    frame = pd.DataFrame(5, index=datasets, columns=detectors)
    for ds, det in missing:
        frame.loc[ds, det] = 0
    return frame


def test_an_extra_data_set_run_with_two_detectors_is_left_out():
    dets = [f"d{i}" for i in range(11)]
    counts = _counts([f"s{i}" for i in range(13)] + ["mine"], dets)
    counts.loc["mine", dets[2:]] = 0
    block = complete_block(counts)
    assert block.datasets == [f"s{i}" for i in range(13)] and block.detectors == dets
    assert block.left_out == [f"data set mine (not run with {', '.join(dets[2:])})"]


def test_an_extra_detector_run_on_one_data_set_is_left_out():
    counts = _counts(["a", "b", "c"], ["x", "y", "new"], [("b", "new"), ("c", "new")])
    block = complete_block(counts)
    assert block.datasets == ["a", "b", "c"] and block.detectors == ["x", "y"]
    assert block.left_out == ["detector new (not run on b, c)"]


def test_failed_cells_count_as_run():
    counts = _counts(["a", "b"], ["x", "y"])  # n_total counts failed cells too
    assert complete_block(counts).left_out == []


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Three detectors on a and b (one fails on b); a user data set c with gmm only."""
    root = tmp_path_factory.mktemp("ranks")
    sets = {n: blobs(n, i, n_anomalies=8, shift=4) for i, n in enumerate("abc")}
    common = dict(folds=2, output=root / "run", splits_dir=root / "splits", isolate=False)
    run(
        RunConfig(
            datasets=["a", "b"],
            detectors=["gmm", "ocnn-neighbor", "ocsvm"],
            extra_datasets={"a": sets["a"], "b": sets["b"]},
            detector_params={"ocsvm": {"nu": 0.5}},
            **common,
        ),
        progress=False,
    )
    broken = RunConfig(
        datasets=["b"],
        detectors=["ocsvm"],
        extra_datasets={"b": sets["b"]},
        detector_params={"ocsvm": {"kernel": "no-such-kernel"}},
        **common,
    )
    assert run(broken, progress=False).n_failed == 2
    run(
        RunConfig(datasets=["c"], detectors=["gmm"], extra_datasets={"c": sets["c"]}, **common),
        progress=False,
    )
    labels = {}
    save = figures.save_figure

    def spy(fig, folder, stem):
        if stem == "auroc_boxplots":
            labels.update({ax.get_title(): [t.get_text() for t in ax.get_xticklabels()]
                           for ax in fig.axes if ax.get_visible()})  # fmt: skip
        return save(fig, folder, stem)

    mp = pytest.MonkeyPatch()
    mp.setattr(figures, "save_figure", spy)
    md = write_report(root / "run", tsne=False)
    mp.undo()
    return md.read_text(encoding="utf-8"), labels


def test_friedman_and_ranks_use_only_fully_run_data_sets(report):
    text, _ = report
    assert re.search(r"\(AUROC\): Friedman chi² = [0-9.]+, p = \S+ \(N = 2 data sets, k = 3", text)
    assert "data set c (not run with ocnn-neighbor, ocsvm)" in text
    ranks = text.split("**Rank per data set, AUROC")[1].split("\n\n")[1]
    rows = [line for line in ranks.splitlines() if line.startswith("| ")][1:]
    assert [r.split("|")[1].strip() for r in rows] == ["a", "b"]
    assert "3 (failed)" in rows[1]  # ocsvm failed on b: the worst of 3 ranks
    assert "worst rank" in text  # the rule is stated


def test_never_run_is_not_run_and_failed_is_failed(report):
    text, labels = report
    matrix = text.split("**AUROC (mean ± std [95 % interval] over folds)**")[1].split("\n\n")[1]
    c_row = next(line for line in matrix.splitlines() if line.startswith("| c "))
    assert c_row.count("not run") == 2 and "failed" not in c_row
    assert labels["c"] == ["gmm", "ocnn-neighbor (not run)", "ocsvm (not run)"]
    assert labels["b"] == ["gmm", "ocnn-neighbor", "ocsvm (failed)"]


def test_run_section_agrees_with_the_tables(report):
    """Failed cells, counts and versions come from the cells, as the tables do."""
    text, _ = report
    assert re.search(r"\| cells +\| 14 finished \(12 ok, 2 failed\) +\|", text)
    assert "No cell failed" not in text and "2 cell(s) failed" in text
    assert "b/ocsvm/fold0" in text.split("### Failed cells")[1].split("###")[0]
    versions = text.split("**Versions**")[1].split("\n\n")[1]
    assert re.search(r"\| scikit-learn +\| \d+\.\d+", versions)
