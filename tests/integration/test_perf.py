"""The performance benchmark's plumbing: a case runs, its figure is printed with its target
and written to perf.json (timings themselves are never asserted)."""

from __future__ import annotations

import json

from benchmark.perf import Figure
from benchmark.perf.__main__ import main


def test_a_fold_batching_case_writes_its_figure_with_the_exactness_it_measured(tmp_path, capsys):
    out = tmp_path / "perf.json"
    argv = ["--cases", "fold-batching-ocan-d6", "--fold-steps", "5", "--output", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "fold-batching-ocan-d6:" in printed and "target >= 1.7 x" in printed
    record = json.loads(out.read_text())
    figure = record["figures"]["fold-batching-ocan-d6"]
    # exact by construction: a grouped fold runs the lone fit's kernels on the same operands
    assert figure["details"]["max_abs_diff"] == 0.0
    assert figure["met"] == (figure["value"] >= 1.7)
    assert {"machine", "measured", "versions", "command"} <= set(record)
    assert figure["measured"] == record["measured"] and figure["load_average_1min"] >= 0


def test_a_rgan_group_in_the_perf_case_also_equals_the_lone_fits(tmp_path):
    out = tmp_path / "perf.json"
    argv = ["--cases", "fold-batching-rgan-d6", "--fold-steps", "12", "--output", str(out)]
    assert main(argv) == 0
    figure = json.loads(out.read_text())["figures"]["fold-batching-rgan-d6"]
    # exact by construction (as above); 12 steps: short last batches included
    assert figure["details"]["max_abs_diff"] == 0.0


def test_a_figure_says_whether_its_target_is_met_in_either_direction():
    fast = Figure("a", "x", value=2.0, unit="x", target=1.7)
    small = Figure("b", "y", value=60.0, unit="ms/cell", target=50.0, higher_is_better=False)
    assert fast.met is True and "met)" in fast.line()
    assert small.met is False and "NOT met" in small.line()
    assert Figure("c", "z", value=float("nan"), unit="MB", target=1.0).met is None


def test_the_dagmm_case_measures_its_group_against_the_lone_fits_exactly(tmp_path):
    out = tmp_path / "perf.json"
    argv = ["--cases", "fold-batching-dagmm-d274", "--fold-steps", "5", "--output", str(out)]
    assert main(argv) == 0
    figure = json.loads(out.read_text())["figures"]["fold-batching-dagmm-d274"]
    # exact by construction: a lone DAGMM fit is a group of one (detectors/dagmm.py)
    assert figure["details"]["max_abs_diff"] == 0.0 and figure["target"] == 1.7
