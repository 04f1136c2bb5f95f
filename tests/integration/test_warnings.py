"""A detector's warnings go into its cell's record and the report, not over the progress bar."""

from __future__ import annotations

import json

from helpers import run_config

from benchmark.engine.harness import run
from benchmark.report import write_report


def test_convergence_warnings_are_recorded_per_cell_and_reported(tmp_path, capfd):
    out = tmp_path / "run"
    config = run_config(
        tmp_path,
        detectors=["gmm", "ocnn-neighbor"],
        detector_params={"gmm": {"max_iter": 1}},  # EM cannot converge in one step
        isolate=False,  # the same capture as in a cell's child process, without its start-up
    )
    summary = run(config, progress=False)
    assert summary.complete
    assert "ConvergenceWarning" not in capfd.readouterr().err  # nothing printed
    for fold in (0, 1):
        record = json.loads((out / f"cells/vowels/gmm/fold{fold}.json").read_text())
        (warning,) = record["warnings"]
        assert warning["category"] == "ConvergenceWarning" and warning["count"] >= 1
        assert "did not converge" in warning["message"]
        clean = json.loads((out / f"cells/vowels/ocnn-neighbor/fold{fold}.json").read_text())
        assert "warnings" not in clean
    report = write_report(out, tsne=False).read_text(encoding="utf-8")
    section = report.split("### Warnings")[1].split("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| gmm "))
    assert "ConvergenceWarning: Best performing initialization did not converge" in row
    assert [c.strip() for c in row.split("|")[3:4]] == ["2"]  # two cells
