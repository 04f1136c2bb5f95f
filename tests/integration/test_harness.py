"""The harness: caching, resume after a kill, failures recorded, provenance in every row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import ROOT, run_config

from benchmark.engine.harness import plan, run
from benchmark.faults.detectors import FAULT_DETECTORS
from benchmark.registry import get_detector


def test_a_parameter_the_detector_lacks_is_an_error_before_any_cell(tmp_path):
    config = run_config(tmp_path, detector_params={"gmm": {"n_component": 2}})
    with pytest.raises(ValueError, match="detector 'gmm': 'n_component' is not a parameter of GMM"):
        plan(config, dry=True)
    bad_variant = run_config(tmp_path, detectors=["g2"], variants={"g2": ("gmm", {"k": 2})})
    with pytest.raises(ValueError, match=r"detector 'g2' \(gmm\): 'k' is not a parameter"):
        plan(bad_variant, dry=True)


def test_cells_get_random_state_and_device_only_when_the_class_has_them(tmp_path):
    config = run_config(tmp_path, detectors=["gmm", "ocnn-neighbor", "rgan"], device="cuda:1")
    params = {p.cell.label: p.cell.params for p in plan(config, dry=True) if p.cell.fold == 0}
    assert params["ocnn-neighbor"] == {}
    assert set(params["gmm"]) == {"random_state"}
    assert params["rgan"]["device"] == "cuda:1" and params["rgan"]["random_state"] >= 0
    assert params["rgan"]["max_steps"] == get_detector("rgan").params("quick")["max_steps"]


def test_run_writes_long_results_with_provenance(tmp_path):
    summary = run(run_config(tmp_path, detectors=["gmm", "ocnn-neighbor"]), progress=False)
    assert summary.complete and summary.n_ok == 4
    frame = summary.results
    assert len(frame) == 4 * 5  # one row per cell and threshold policy
    assert set(frame["policy"]) == {"native", "train-quantile", "oracle-f1", "top-k", "top-rho"}
    assert frame.loc[frame["policy"] == "oracle-f1", "oracle"].all()
    for col in ("run_seed", "cell_seed", "split_hash", "config", "versions", "fit_seconds"):
        assert frame[col].notna().all(), col
    assert json.loads(frame["versions"].iloc[0])["scikit-learn"]
    assert (frame["auroc"] > 0.5).all()
    gmm_seeds = frame.loc[frame["detector"] == "gmm"].groupby("fold")["cell_seed"].first()
    assert gmm_seeds.nunique() == 2  # per-cell seeds derive from the run seed


def test_rerun_skips_finished_cells_and_force_recomputes(tmp_path):
    cfg = run_config(tmp_path)
    first = run(cfg, progress=False)
    assert first.n_computed == 2
    again = run(cfg, progress=False)
    assert again.n_computed == 0 and again.n_skipped == 2
    np.testing.assert_array_equal(first.results["auroc"], again.results["auroc"])
    cfg.force = True
    assert run(cfg, progress=False).n_computed == 2
    # A changed hyper-parameter is a different cell: recomputed, not reused.
    changed = run_config(tmp_path, detector_params={"gmm": {"n_components": 2}})
    assert run(changed, progress=False).n_computed == 2


def test_a_new_code_revision_of_a_detector_recomputes_its_cells(tmp_path, monkeypatch):
    """Numbers the old code computed are not reused after a change meant to move them:
    the detector's ``revision`` is part of each cell's identity; other detectors' cells
    are kept."""
    cfg = run_config(tmp_path, detectors=["gmm", "ocnn-neighbor"])
    assert run(cfg, progress=False).n_computed == 4
    gmm = get_detector("gmm").cls
    monkeypatch.setattr(gmm, "revision", gmm.revision + 1)
    pending = [p for p in plan(cfg, dry=True) if not p.done]
    assert {(p.cell.label, p.reason) for p in pending} == {("gmm", "configuration changed")}
    again = run(cfg, progress=False)
    assert again.n_computed == 2 and again.n_skipped == 2
    record = json.loads(
        next((tmp_path / "run" / "cells" / "vowels" / "gmm").glob("*.json")).read_text()
    )
    assert record["cell"]["revision"] == gmm.revision


def test_failures_are_recorded_and_the_run_goes_on(tmp_path):
    cfg = run_config(
        tmp_path,
        detectors=["fault-raises", "fault-inf", "fault-hang", "gmm"],
        folds=2,
        timeout=8,
        n_jobs=2,
    )
    summary = run(cfg, progress=False)
    assert summary.n_ok == 2 and summary.n_failed == 6 and not summary.complete
    errors = {f["cell"].split("/")[1]: f["error"] for f in summary.failed}
    for name in ("fault-raises", "fault-inf"):
        assert FAULT_DETECTORS[name] in errors[name]
    assert "exceeded --timeout of 8 s" in errors["fault-hang"]
    record = json.loads((tmp_path / "run/cells/vowels/fault-raises/fold0.json").read_text())
    assert record["status"] == "failed" and "Traceback" in record["traceback"]
    # Failed cells are never cached as successes: they are retried on the next run.
    pending = [p.cell.label for p in plan(cfg) if not p.done]
    assert sorted(set(pending)) == ["fault-hang", "fault-inf", "fault-raises"]


def test_no_anomalies_still_runs_with_undefined_ranking_metrics(tmp_path):
    from benchmark.data import Dataset

    rng = np.random.default_rng(0)
    ds = Dataset("clean", rng.normal(size=(50, 3)), np.zeros(50), source="clean.csv")
    cfg = run_config(tmp_path, datasets=["clean"], extra_datasets={"clean": ds})
    summary = run(cfg, progress=False)
    assert summary.complete
    tq = summary.results[summary.results["policy"] == "train-quantile"]
    assert tq["auroc"].isna().all() and tq["pass_acc"].notna().all()


def test_killed_run_resumes_only_unfinished_cells(tmp_path):
    """SIGKILL a real CLI run half-way; the rerun recomputes only what was not finished."""
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        str(ROOT / "run_benchmark.py"),
        "--datasets",
        "vowels,cardio",
        "--detectors",
        "gmm,ocnn-neighbor,ocsvm",
        "--folds",
        "5",
        "--output",
        str(out),
        "--quiet",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("cells/*/*/fold*.json"))) < 8:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*/fold*.json")}
    assert 8 <= len(finished) < 30, len(finished)
    rerun = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"30 cells: 30 ok, 0 failed, {len(finished)} reused" in rerun.stdout
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed"
    assert not list(out.rglob("*.tmp"))  # no half-written file survives
