"""``--data-dir`` through the command line, and the report's duplicate-row table; the
contamination study on a small subset."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from benchmark.cli.main import main
from benchmark.studies.contamination import run_contamination_study


def _folder(path):
    """Two good files (the CSV with a duplicated normal row) and one broken file."""
    path.mkdir()
    rng = np.random.default_rng(0)
    np.savez(path / "1_good.npz", X=rng.normal(size=(120, 4)), y=(np.arange(120) < 12))
    X = rng.normal(size=(100, 3))
    X[50:60] = X[50]  # ten identical normal rows: some fold puts copies on both sides
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = (np.arange(100) < 10).astype(int)
    frame.to_csv(path / "2_good.csv", index=False)
    (path / "3_broken.npz").write_bytes(b"this is not a zip archive")
    return path


def test_data_dir_runs_the_good_files_and_gives_one_line_for_the_broken_one(tmp_path, capsys):
    folder = _folder(tmp_path / "data")
    out = tmp_path / "run"
    argv = ["--data-dir", str(folder), "--detectors", "gmm", "--preset", "smoke", "--folds", "2"]
    argv += ["--output", str(out), "--splits-dir", str(tmp_path / "splits"), "--quiet"]
    argv += ["--train-cap", "gmm=40"]  # a folder's sets follow the training caps
    assert main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    broken = [line for line in err if "3_broken.npz" in line]
    assert broken == [
        f"skipped {folder / '3_broken.npz'}: not a readable .npz archive (no zip header)"
    ]
    results = pd.read_csv(out / "results.csv")
    assert sorted(results["dataset"].unique()) == ["1_good", "2_good"]
    assert (results["status"] == "ok").all()
    assert (results["train_cap"] == 40).all() and (results["n_train_fit"] == 40).all()
    assert "contamination" not in results  # columns only for contaminated runs
    report = (out / "report.md").read_text()
    section = report.split("## Duplicates between training and test rows")[1]
    row = next(line for line in section.splitlines() if line.startswith("| 2_good"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    meta = json.loads(
        str(np.load(tmp_path / "splits" / "2_good__kfold-normal__k2__seed0.npz")["meta"])
    )
    total = sum(n for n, _ in meta["duplicates"])
    assert total > 0  # the ten identical rows fell on both sides of some fold
    assert cells[1].startswith(f"{total} (") and cells[2] == "0" and cells[3] == "split file"


def test_contaminated_run_records_alpha_and_pools(tmp_path, capsys):
    folder = _folder(tmp_path / "data")
    out = tmp_path / "run"
    argv = ["--data-dir", str(folder), "--detectors", "gmm", "--preset", "smoke", "--folds", "2"]
    argv += ["--output", str(out), "--splits-dir", str(tmp_path / "splits"), "--quiet"]
    assert main([*argv, "--contamination", "0.2"]) == 0
    results = pd.read_csv(out / "results.csv")
    assert (results["contamination"] == 0.2).all()
    assert set(results["leak_pool"]) == {6, 5} and set(results["test_pool"]) == {6, 5}
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["contamination"] == 0.2
    # 54 training normals need 14 anomalies for 20 %, 45 need 11: both pools are too small
    assert set(results["train_anomalies"]) == {6, 5}
    notes = [line for line in capsys.readouterr().out.splitlines() if "too small" in line]
    assert len(notes) == 2 and "1_good: its leak pool" in notes[0]
    assert "effective share 10.00% at the lowest" in notes[0]  # 6 of 60 rows


def test_contamination_study_writes_a_paired_report_and_figure(tmp_path):
    md = tmp_path / "contamination.md"
    study = run_contamination_study(
        ["vowels"],
        ["gmm"],
        md,
        preset="smoke",
        folds=2,
        splits_dir=tmp_path / "splits",
        progress=False,
    )
    assert study.complete
    text = md.read_text()
    assert "paired" in text and "| gmm |" in text and study.figure.stat().st_size > 10_000
    assert sorted(study.auroc["alpha"].unique()) == [0.0, 0.01, 0.05, 0.1]
    # the same test rows at every ALPHA: the test pool, identical across the four runs
    assert study.auroc.groupby(["fold"])["alpha"].nunique().eq(4).all()
    runs = [pd.read_csv(s.output / "results.csv") for s in study.summaries]
    pools = {h for r in runs for h in r["pools_hash"]}
    assert len(pools) == 1
    n_test = pd.concat(runs).groupby("fold")["n_test"].nunique()
    assert (n_test == 1).all()  # each fold tests the same rows at every ALPHA
    assert "AUROC drop from ALPHA = 0 % to ALPHA = 10 %" in text
