"""--stop-after: no unit of work starts that would not finish in time; the rest is left,
untouched, for a later run of the same command."""

from __future__ import annotations

import json

import pytest
from helpers import run_config

from benchmark.cli.main import main
from benchmark.cli.parser import parse_duration
from benchmark.engine.harness import plan, run


def test_durations_parse_to_seconds_and_bad_ones_say_why():
    assert parse_duration("90m") == 5400
    assert parse_duration("2h") == 7200
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_duration("1.5h") == 5400
    for bad in ("", "2x", "m", "30m1h", "0m", "-5m"):
        with pytest.raises(Exception, match="duration"):
            parse_duration(bad)


def test_units_that_do_not_fit_are_left_and_a_rerun_computes_them(tmp_path):
    """gmm's cells (well under a second, estimated) fit in 60 s; DAGMM's paper-budget cells
    on thyroid (about 2.5 min each, estimated) do not, so they are not started."""
    config = run_config(
        tmp_path, datasets=["thyroid"], detectors=["gmm", "dagmm"], preset="paper", stop_after=60
    )
    summary = run(config, progress=False)
    assert summary.n_deferred == 2 and summary.n_failed == 0 and not summary.complete
    assert summary.n_computed == 2 and summary.n_ok == 2  # both gmm folds
    reasons = {p.cell.name: p.reason for p in plan(config, dry=True)}
    assert reasons == {
        "thyroid/gmm/fold0": "done",
        "thyroid/gmm/fold1": "done",
        "thyroid/dagmm/fold0": "missing",
        "thyroid/dagmm/fold1": "missing",
    }
    run_json = json.loads((tmp_path / "run" / "run.json").read_text())
    outcome = run_json["invocations"][-1]["outcome"]
    assert outcome == "stopped after --stop-after: 2 cells left for a later run"


def test_a_run_with_no_time_left_starts_nothing_and_the_cli_says_so(cwd, capsys):
    argv = ["--datasets", "vowels", "--detectors", "gmm", "--folds", "2", "--quiet"]
    assert main([*argv, "--stop-after", "0.001s"]) == 1
    out = capsys.readouterr().out
    assert "2 cells: 0 ok, 0 failed, 0 reused" in out
    assert "--stop-after: 2 cells not started" in out
    assert main(argv) == 0  # the same command without it computes them
    assert "2 cells: 2 ok, 0 failed, 0 reused" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--study", "contamination"], "--stop-after is for the main run"),
        (["--backend", "dask", "--local-workers", "1"], "--stop-after is for --backend local"),
    ],
)
def test_stop_after_outside_a_local_main_run_is_one_line(cwd, capsys, extra, message):
    assert main(["--datasets", "vowels", "--stop-after", "1h", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
