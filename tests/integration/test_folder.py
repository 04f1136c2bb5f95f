"""A run folder is a store of cells: every derived file covers all of its finished cells."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from helpers import blobs, run_config

from benchmark.cli.main import main
from benchmark.engine.harness import RunConfig, run


def _config(tmp_path, datasets, detectors, **kw) -> RunConfig:
    extra = {name: blobs(name, i) for i, name in enumerate(["a", "b", "c"])}
    return run_config(
        tmp_path,
        datasets=datasets,
        detectors=detectors,
        isolate=False,
        extra_datasets={k: v for k, v in extra.items() if k in datasets},
        **kw,
    )


@pytest.fixture
def two_runs(tmp_path):
    """A 'big' run (a, b x gmm, ocnn-neighbor), then a small one (c x gmm) into its folder."""
    big = run(_config(tmp_path, ["a", "b"], ["gmm", "ocnn-neighbor"]), progress=False)
    small = run(_config(tmp_path, ["c"], ["gmm"]), progress=False)
    return tmp_path / "run", big, small


def test_second_run_adds_its_cells_to_every_derived_file(two_runs):
    out, big, small = two_runs
    assert big.n_computed == 8 and small.n_computed == 2
    results = pd.read_csv(out / "results.csv")
    cells = set(zip(results["dataset"], results["detector"], results["fold"]))
    assert len(cells) == 10 and len(results) == 10 * 5  # 5 threshold policies per cell
    table1 = (out / "table1.md").read_text()
    assert all(f"## {ds}" in table1 for ds in "abc")
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["cells"] == 10 and manifest["ok"] == 10
    assert manifest["datasets"] == ["a", "b", "c"]
    assert manifest["detectors"] == ["gmm", "ocnn-neighbor"]
    assert sorted(c["cell"] for c in manifest["cell_list"]) == sorted(
        f"{d}/{det}/fold{k}" for d, det, k in cells
    )
    history = manifest["invocations"]
    assert [h["config"]["datasets"] for h in history] == [["a", "b"], ["c"]]
    assert [(h["computed"], h["reused"], h["outcome"]) for h in history] == [
        (8, 0, "complete"),
        (2, 0, "complete"),
    ]


def test_report_rebuilds_every_file_over_all_cells(two_runs, capsys):
    out, _, _ = two_runs
    for name in ("results.csv", "results.parquet", "table1.md", "table1.tex"):
        (out / name).unlink()
    manifest = json.loads((out / "run.json").read_text())
    assert main(["--report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "results.csv" in printed and "report.md" in printed
    assert len(pd.read_csv(out / "results.csv")) == 50
    assert "## c" in (out / "table1.md").read_text() and (out / "table1.tex").is_file()
    again = json.loads((out / "run.json").read_text())
    assert again["invocations"] == manifest["invocations"]  # --report is no new run
    report = (out / "report.md").read_text()
    assert re.search(r"\| cells +\| 10 finished \(10 ok, 0 failed\) +\|", report)
    assert "Invocations that wrote into this folder" in report


def test_a_damaged_cell_is_left_out_of_the_files_and_named(two_runs, caplog):
    out, _, _ = two_runs
    npz = out / "cells" / "c" / "gmm" / "fold1.npz"
    npz.write_bytes(npz.read_bytes()[:-10])
    assert main(["--report", str(out)]) == 0
    assert "score file does not match its record" in caplog.text
    assert str(npz.with_suffix(".json")) in caplog.text
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 45 and not ((results.dataset == "c") & (results.fold == 1)).any()


def test_a_folder_without_its_cells_keeps_its_files(two_runs, capsys):
    """A results folder copied or committed without cells/ is not rebuilt empty: --report
    and a run into it refuse to rewrite, name the missing cells and keep every file."""
    out, _, _ = two_runs
    for path in (out / "cells" / "b").rglob("*"):
        if path.is_file():
            path.unlink()
    before = {name: (out / name).read_bytes() for name in ("results.csv", "run.json", "table1.md")}
    assert main(["--report", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "lists 4 of its 10 cells" in err and "b/gmm/fold0" in err and "nothing was rewritten" in err
    )
    summary = run(_config(out.parent, ["a"], ["gmm"]), progress=False)
    assert summary.n_skipped == 2 and "lists 4 of its 10 cells" in (summary.write_error or "")
    assert {name: (out / name).read_bytes() for name in before} == before
    run(_config(out.parent, ["b"], ["gmm", "ocnn-neighbor"]), progress=False)  # recomputed
    assert len(pd.read_csv(out / "results.csv")) == 50


def test_the_python_api_writes_what_the_cli_writes_except_the_report(tmp_path):
    run(_config(tmp_path, ["a"], ["gmm"]), progress=False)
    out = tmp_path / "run"
    for name in ("results.csv", "table1.md", "table1.csv", "table1.tex", "run.json"):
        assert (out / name).is_file(), name
    assert not (out / "report.md").exists()
    assert json.loads((out / "run.json").read_text())["invocations"][0]["argv"] == []
