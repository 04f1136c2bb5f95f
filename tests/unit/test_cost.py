"""The cost model: budgets as the detectors count them, the calibration's fit, --dry-run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_config

from benchmark.engine import cost_calibration
from benchmark.engine.cost import (
    CALIBRATION_FILE,
    Calibration,
    estimate_lines,
    load_calibration,
    model_terms,
    progress_weights,
    training_budget,
)
from benchmark.engine.harness import RunConfig, plan
from benchmark.registry import detector_groups, detectors
from detectors.dagmm import DAGMM
from detectors.rda import RDA


def test_budgets_follow_each_detectors_own_rules():
    # n_epochs of batch_size, capped by max_steps
    assert training_budget({"n_epochs": 3, "batch_size": 100}, 250, 6) == (9, 100)
    assert training_budget({"n_epochs": 3, "batch_size": 100, "max_steps": 5}, 250, 6) == (5, 100)
    # DAGMM: the paper's per-data-set budget by width (thyroid: 20000 epochs of 1024 rows)
    assert DAGMM.planned_budget({"architecture": "auto"}, 3000, 6) == (60000, 1024)
    assert DAGMM.planned_budget({"architecture": "auto", "max_steps": 200}, 3000, 6) == (
        200,
        1024,
    )
    # RDA: n_outer rounds of n_inner epochs; max_steps is shared out over the rounds
    assert RDA.planned_budget({"n_outer": 2, "n_inner": 3, "batch_size": 100}, 250, 6) == (18, 100)
    params = {"n_outer": 5, "n_inner": 10, "batch_size": 133, "max_steps": 300}
    assert RDA.planned_budget(params, 5000, 6) == (300, 133)


def test_every_builtin_detector_has_a_model_and_a_calibration():
    calibration = load_calibration(CALIBRATION_FILE)  # the shipped one, whatever is in results/
    for name in sorted(detectors()):  # the paper group and the baseline pack
        assert detectors()[name].cost is not None, name  # declared where it registers
        coef = calibration.coefficients.get(name)
        assert coef is not None and len(coef) == len(
            model_terms(name, detectors()[name].cls, detectors()[name].params("paper"), 100, 50, 6)
        ), name
        assert min(coef) >= 0, name
    assert set(detector_groups()["extended"]) <= set(calibration.coefficients)


def test_the_calibration_recovers_known_coefficients(monkeypatch):
    true = {"ocan": [0.05, 2e-3, 1e-6, 3e-8, 1e-7], "ocnn-neighbor": [0.01, 2e-8, 1e-10]}

    def fake_time(name, point):
        spec = detectors()[name]
        params = spec.params("paper") | point["over"]
        terms = model_terms(name, spec.cls, params, point["n"], point["m"], point["d"])
        return terms, float(np.dot(terms, true[name]))

    monkeypatch.setattr(cost_calibration, "_time_point", fake_time)
    record = cost_calibration.calibrate(list(true), progress=False)
    for name, coef in true.items():
        fitted = Calibration(record["coefficients"])
        for point in cost_calibration.calibration_points(name):
            spec = detectors()[name]
            params = spec.params("paper") | point["over"]
            terms = model_terms(name, spec.cls, params, point["n"], point["m"], point["d"])
            assert fitted.seconds(name, terms) == pytest.approx(np.dot(terms, coef), rel=1e-6)
        assert record["quality"][name]["worst_relative_error"] < 1e-6


def _config(tmp_path, preset: str) -> RunConfig:
    dets = ["ocan", "gmm", "dagmm"]
    return run_config(tmp_path, preset, datasets=["thyroid"], detectors=dets, preset=preset)


def _hours(line: str) -> float:
    """The time of one line of the estimate ("  dagmm  2 cells  3 min", or the total's)."""
    text = line.split("cells")[1].split("CPU")[0].strip()
    value, unit = text.split()[:2]
    return float(value) * {"s": 1 / 3600, "min": 1 / 60, "h": 1.0}[unit]


def _total_hours(lines: list[str]) -> float:
    return _hours(lines[-1])


def test_the_paper_preset_is_estimated_far_dearer_than_the_quick_one(tmp_path):
    quick = estimate_lines(plan(_config(tmp_path, "quick"), dry=True), 2)
    paper = estimate_lines(plan(_config(tmp_path, "paper"), dry=True), 2)
    assert quick[0].startswith("expected CPU time of the 6 cells")
    assert "benchmark/engine/cost_calibration.json" in quick[0]
    assert [line.split()[0] for line in paper[1:]] == ["dagmm", "gmm", "ocan", "total"]
    assert "with 2 cells at a time" in paper[-1]
    # thyroid's DAGMM is 20000 epochs of 2 batches a fold at the paper's budget, 1000
    # steps in quick (40x the steps; 2026-12-05 calibration: 3 min against 4 s), OCAN
    # 1000 epochs of 19 batches against 300 steps (63x; 74 s against 5 s: its set-up and
    # scoring do not grow)
    assert _hours(paper[1]) > 20 * _hours(quick[1])  # the dagmm lines
    assert _total_hours(paper) > 10 * _total_hours(quick)


def test_a_detector_without_a_model_is_said_so_and_weighs_as_the_median_cell(tmp_path):
    planned = plan(_config(tmp_path, "quick"), dry=True)
    lines = estimate_lines(planned, None, Calibration({"gmm": [1.0, 0, 0, 0]}))
    assert any(line.split()[0] == "ocan" and "no cost model" in line for line in lines)
    assert "divide by the number of workers" in lines[-1]
    assert progress_weights([None, 2.0, 4.0, None, 8.0]) == [4.0, 2.0, 4.0, 4.0, 8.0]
    assert progress_weights([None, None]) == [1.0, 1.0]


def test_dry_run_prints_the_estimate(tmp_path, monkeypatch, capsys):
    from benchmark.cli.main import main

    monkeypatch.chdir(tmp_path)  # the default output and splits folders land here

    code = main(["--datasets", "thyroid", "--detectors", "ocan,gmm", "--folds", "2", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "4 cells: 0 done, 4 to compute" in out
    assert "expected CPU time of the 4 cells to compute" in out
    assert out.strip().splitlines()[-1].split()[:3] == ["total", "4", "cells"]


def test_fold_batching_speeds_up_the_training_steps_only():
    """A grouped fold's training steps cost 1 / GROUP_SPEEDUP of a lone fit's; AnoGAN's
    latent search, and every detector's set-up and scoring terms, are not divided."""
    from benchmark.engine.cost import GROUP_SPEEDUP, cell_cost
    from benchmark.registry import get_detector

    # every term priced (the shipped calibration may leave some at 0)
    cal = Calibration(
        {"anogan": [0.1, 1e-3, 1e-6, 1e-8, 1e-5, 1e-7], "ocan": [0.1, 1e-3, 1e-6, 1e-8, 1e-7]}
    )
    for name, params in [("anogan", {"search_steps": 500}), ("ocan", {})]:
        spec = get_detector(name)
        full = {**spec.presets["paper"], **params}
        alone = cell_cost(cal, name, spec.cls, full, 1000, 500, 12)
        grouped = cell_cost(cal, name, spec.cls, full, 1000, 500, 12, group_speedup=GROUP_SPEEDUP)
        no_steps = {**full, "max_steps": 1}
        untouched = cell_cost(cal, name, spec.cls, no_steps, 1000, 500, 12)
        assert alone / GROUP_SPEEDUP < grouped < alone
        # what is not training is not divided: grouped >= the cost of a 1-step fit
        assert grouped >= untouched * 0.99


def test_a_users_calibration_is_written_beside_the_results_and_then_used(tmp_path, monkeypatch):
    # Calibrating never rewrites the installed package: the user's coefficients go to
    # results/cost_calibration.json, which runs from that directory then prefer.
    shipped = CALIBRATION_FILE.read_bytes()
    monkeypatch.chdir(tmp_path)
    fake = {"coefficients": {"gmm": [1.0, 0.0, 0.0, 0.0]}, "quality": {}}
    monkeypatch.setattr(cost_calibration, "calibrate", lambda names: dict(fake))
    assert load_calibration().coefficients == load_calibration(CALIBRATION_FILE).coefficients
    assert cost_calibration.main(["--detectors", "gmm"]) == 0
    assert (tmp_path / "results" / "cost_calibration.json").is_file()
    assert load_calibration().coefficients == fake["coefficients"]
    assert CALIBRATION_FILE.read_bytes() == shipped


def test_cost_check_compares_each_detector_with_its_recorded_cells(tmp_path, capsys):
    """A small run, then the check: one row per detector, the recorded seconds summed from
    the cells and the estimate from the calibration the run used."""
    from benchmark.engine.cost_check import compare, main
    from benchmark.engine.harness import run

    config = run_config(
        tmp_path, datasets=["vowels", "thyroid"], detectors=["gmm", "ocnn-neighbor"]
    )
    summary = run(config, progress=False)
    table = compare(tmp_path / "run", datasets=["vowels"])
    assert list(table.index) == ["gmm", "ocnn-neighbor"] and (table["cells"] == 2).all()
    both = compare(tmp_path / "run")
    assert (both["cells"] == 4).all() and (both["measured_s"] > table["measured_s"]).all()
    assert main([str(tmp_path / "run"), "--datasets", "vowels,musk"]) == 2
    assert "no cells of musk" in capsys.readouterr().err  # names it, and the run's sets
    ok = summary.results[summary.results["policy"] == "train-quantile"]
    gmm = ok[(ok["detector"] == "gmm") & (ok["dataset"] == "vowels")]
    # each cell records CPU time beside the wall clock, and the check reads the CPU time
    assert (gmm["fit_cpu_seconds"] > 0).all() and (gmm["score_cpu_seconds"] >= 0).all()
    recorded = float((gmm["fit_cpu_seconds"] + gmm["score_cpu_seconds"]).sum())
    assert table.loc["gmm", "measured_s"] == pytest.approx(recorded)
    assert (table["cpu_timed"] == 2).all()
    assert (table["estimated_s"] > 0).all()
    assert main([str(tmp_path / "run")]) == 0 and "estimate/measured" in capsys.readouterr().out
    assert main([str(tmp_path)]) == 2  # not a run folder: one line
    assert "not a run folder" in capsys.readouterr().err
    # a cell saved before CPU timing: counted at its wall clock, or left out on request
    path = next((tmp_path / "run" / "cells" / "vowels" / "gmm").glob("fold0.json"))
    record = json.loads(path.read_text())
    del record["fit_cpu_seconds"], record["score_cpu_seconds"]
    path.write_text(json.dumps(record))
    assert compare(tmp_path / "run", datasets=["vowels"]).loc["gmm", "cpu_timed"] == 1
    assert compare(tmp_path / "run", cpu_timed=True).loc["gmm", "cells"] == 3
    for path in (tmp_path / "run" / "cells").rglob("fold*.json"):
        record = json.loads(path.read_text())
        record.pop("fit_cpu_seconds", None)
        path.write_text(json.dumps(record))
    assert main([str(tmp_path / "run"), "--cpu-timed"]) == 1
    assert "no finished cell with a cost model" in capsys.readouterr().err


def test_calibrating_from_recorded_runs_recovers_known_coefficients(tmp_path, monkeypatch):
    """--from-runs fits each detector on the cells finished runs recorded, on seconds (the
    long cells weigh most), and names the runs it used; a folder without cells/ is refused."""
    from benchmark.engine.cost_records import RecordedCell

    true = {"gmm": [0.05, 2e-7, 1e-8, 3e-9], "lof": [0.02, 1e-6, 3e-9, 2e-9]}
    rng = np.random.default_rng(0)
    cells = []
    for name, coef in true.items():
        spec = detectors()[name]
        for _ in range(40):
            n, m, d = (
                int(rng.integers(100, 20000)),
                int(rng.integers(50, 5000)),
                int(rng.integers(2, 300)),
            )
            terms = model_terms(name, spec.cls, spec.params("paper"), n, m, d)
            cells.append(RecordedCell(name, name, "x", terms, float(np.dot(terms, coef))))
    monkeypatch.setattr(cost_calibration, "recorded_cells", lambda dirs: iter(cells))
    record = cost_calibration.calibrate_from_runs(["gmm", "lof", "ocan"], [tmp_path], False)
    assert set(record["coefficients"]) == {"gmm", "lof"}  # no recorded ocan cell: left out
    for name in true:
        assert record["quality"][name]["total_relative_error"] < 1e-6
        assert record["quality"][name]["runs"] == [str(tmp_path)]
        fitted = Calibration(record["coefficients"])
        for cell in cells:
            if cell.detector == name:
                assert fitted.seconds(name, cell.terms) == pytest.approx(cell.seconds, rel=1e-6)
    monkeypatch.chdir(tmp_path)
    assert cost_calibration.main(["--from-runs", str(tmp_path / "nowhere")]) == 2


def test_a_record_without_cpu_time_is_read_at_its_wall_clock():
    """Cells saved before CPU timing existed keep counting, at their wall-clock seconds."""
    from benchmark.engine.cost_records import recorded_seconds

    old = {"fit_seconds": 2.0, "score_seconds": 0.5}
    assert recorded_seconds(old) == (2.5, False)
    new = old | {"fit_cpu_seconds": 1.5, "score_cpu_seconds": 0.25}
    assert recorded_seconds(new) == (1.75, True)


def test_calibrating_from_runs_prefers_cells_that_recorded_cpu_time(tmp_path, monkeypatch):
    """With enough CPU-timed cells a detector is fitted on those alone (older wall-clock
    cells of a busy machine read 2x here and are left out); with too few, on every cell."""
    from benchmark.engine.cost_calibration import CPU_CELLS_PER_TERM
    from benchmark.engine.cost_records import RecordedCell

    true = [0.05, 2e-7, 1e-8, 3e-9]
    spec, rng = detectors()["gmm"], np.random.default_rng(1)

    def cells(count: int, cpu: bool, slower: float) -> list:
        out = []
        for _ in range(count):
            n, m, d = (int(rng.integers(a, b)) for a, b in ((100, 20000), (50, 5000), (2, 300)))
            terms = model_terms("gmm", spec.cls, spec.params("paper"), n, m, d)
            out.append(RecordedCell("gmm", "gmm", "x", terms, slower * np.dot(terms, true), cpu))
        return out

    enough = CPU_CELLS_PER_TERM * len(true)
    for n_cpu, expect_cpu in ((enough, True), (enough - 1, False)):
        recorded = cells(40, False, 2.0) + cells(n_cpu, True, 1.0)
        monkeypatch.setattr(cost_calibration, "recorded_cells", lambda dirs, r=recorded: iter(r))
        record = cost_calibration.calibrate_from_runs(["gmm"], [tmp_path], False)
        assert record["quality"]["gmm"]["cpu_timed"] is expect_cpu
        assert record["quality"]["gmm"]["points"] == (n_cpu if expect_cpu else 40 + n_cpu)
        if expect_cpu:  # the true coefficients, not the busy machine's
            assert record["coefficients"]["gmm"] == pytest.approx(true, rel=1e-6)
