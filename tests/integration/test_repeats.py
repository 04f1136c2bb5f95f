"""--repeats R: R repetitions of the protocol, each with its own splits and cell seeds;
repetition 0 is the single run, cell for cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, run_config

from benchmark.cli.main import main
from benchmark.engine.harness import RunConfig, plan, run
from benchmark.evaluation.cell import repeat_seed
from benchmark.report.stats import metric_matrix


def test_repetition_zero_keeps_the_identity_of_the_committed_paper_cells(tmp_path):
    # The committed paper run's kNN cells (a detector whose code has not changed) must keep
    # their configuration hashes, so folders computed before --repeats are reused.
    res = pd.read_csv(ROOT / "results" / "paper" / "results.csv")
    knn = res[(res.detector == "ocnn-neighbor") & (res.dataset == "vowels")]
    want = dict(zip(knn.fold, knn.config_hash))
    config = RunConfig(
        datasets=["vowels"],
        detectors=["ocnn-neighbor"],
        preset="paper",
        output=tmp_path / "run",
        splits_dir=tmp_path / "splits",
    )
    got = {p.cell.fold: p.cell.config_hash() for p in plan(config, dry=True)}
    assert got == want and len(got) == 5


def test_repeats_add_independent_repetitions_that_resume_and_reach_the_results(tmp_path):
    single = run(run_config(tmp_path, "one"), progress=False)
    config = run_config(tmp_path, "three", repeats=3)
    planned = plan(config, dry=True)
    assert len(planned) == 3 * 2
    assert {p.cell.repeat for p in planned} == {0, 1, 2}
    assert len({p.cell.split_hash for p in planned}) == 6  # every repetition splits anew
    assert len({p.cell.seed for p in planned}) == 6
    assert repeat_seed(0, 0) == 0 and len({repeat_seed(0, r) for r in range(3)}) == 3
    summary = run(config, progress=False)
    assert summary.complete and summary.n_computed == 6
    names = sorted(p.name for p in (tmp_path / "three" / "cells" / "vowels" / "gmm").glob("*.json"))
    assert names == ["fold0-r1.json", "fold0-r2.json", "fold0.json", "fold1-r1.json",
                     "fold1-r2.json", "fold1.json"]  # fmt: skip
    frame = summary.results
    assert sorted(frame["repeat"].unique()) == [0, 1, 2]
    # the matrices count every (repetition, fold): one missing is marked (5/6)
    gone = (frame["repeat"] == 1) & (frame["fold"] == 0)
    lost = frame.assign(status=frame["status"].where(~gone, "failed"))
    mm = metric_matrix(lost, "auroc")
    assert (mm.n_ok.loc["vowels", "gmm"], mm.n_total.loc["vowels", "gmm"]) == (5, 6)
    # repetition 0 is the single run, number for number: exact by construction (the same
    # cells, same code, kernels and shapes on this machine; only the folder differs)
    rep0 = frame[frame["repeat"] == 0].sort_values(["fold", "policy"]).reset_index(drop=True)
    one = single.results.sort_values(["fold", "policy"]).reset_index(drop=True)
    pd.testing.assert_series_equal(rep0["auroc"], one["auroc"])
    assert (rep0["config_hash"] == one["config_hash"]).all()
    again = run(config, progress=False)  # resumes: nothing left to compute
    assert again.n_computed == 0 and again.n_skipped == 6


def test_the_command_line_takes_repeats_and_refuses_a_bad_count(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["--datasets", "vowels", "--detectors", "gmm", "--folds", "2", "--output", str(out)]
    assert main([*args, "--repeats", "2", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "4 cells: 0 done, 4 to compute" in dry and "vowels/gmm/fold1-r1  (missing)" in dry
    assert main([*args, "--repeats", "0"]) == 2
    assert "--repeats must be a positive integer, got 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="repeats must be a whole number"):
        RunConfig(datasets=["vowels"], detectors=["gmm"], repeats=0, output=Path(tmp_path))


def test_the_ablation_plans_repetitions_and_the_other_studies_refuse_them(tmp_path, capsys):
    out = str(tmp_path / "abl")
    common = ["--datasets", "vowels", "--folds", "2", "--preset", "smoke", "--dry-run"]
    assert main(["--ablation", "modes", *common, "--repeats", "2", "--output", out]) == 0
    dry = capsys.readouterr().out
    # 2 latents x (4 m + 1 without MI) variants x 2 folds x 2 repetitions
    assert "40 cells: 0 done, 40 to compute" in dry and "fold1-r1" in dry
    assert main(["--study", "mmoc-design", *common, "--repeats", "2"]) == 2
    assert "takes no --repeats" in capsys.readouterr().err
    assert main(["--reproduce", "dagmm", "--repeats", "2", "--dry-run"]) == 2
    assert "repeats through --seeds" in capsys.readouterr().err
