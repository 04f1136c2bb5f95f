"""The command line: help, listing, and one clear line for every bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.cli.main import build_parser, main
from benchmark.registry import DEFAULT_PRESET, PRESETS


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for flag in (
        "--datasets",
        "--detectors",
        "--protocol",
        "--folds",
        "--seed",
        "--n-jobs",
        "--preset",
        "--output",
        "--timeout",
        "--force",
        "--dry-run",
        "--list",
        "--data-file",
        "--label-column",
        "--normal-label",
    ):
        assert flag in text


def test_preset_choices_are_the_registry_presets(capsys):
    (action,) = [a for a in build_parser()._actions if "--preset" in a.option_strings]
    assert list(action.choices) == list(PRESETS) and action.default == DEFAULT_PRESET
    with pytest.raises(SystemExit) as exit_info:
        main(["--preset", "fast"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'fast' (choose from 'quick', 'paper', 'smoke')" in err


def test_list_shows_key_facts(capsys):
    assert main(["--list"]) == 0
    text = capsys.readouterr().out
    assert "thyroid" in text and "3772" in text and "2.47" in text
    assert "production-line" in text and "ocsvm" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--datasets", "thyroyd"], "unknown data set 'thyroyd'; did you mean thyroid"),
        (["--datasets", "thyroid", "--detectors", "ocsmv"], "did you mean ocsvm"),
    ],
)
def test_unknown_names(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_user_file_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "few.csv"
    pd.DataFrame({"a": [1.0, 2, 3, 4], "y": [0, 0, 1, 1]}).to_csv(path, index=False)
    assert (
        main(["--data-file", str(path), "--detectors", "gmm", "--output", str(tmp_path / "o")]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert str(path) in err and "fewer than the 5" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()  # no empty output folder left behind


def test_user_file_without_anomalies_runs_and_warns(tmp_path, capsys):
    path = tmp_path / "clean.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "y": 0}).to_csv(
        path, index=False
    )
    out = tmp_path / "o"
    code = main(
        [
            "--data-file",
            str(path),
            "--detectors",
            "gmm",
            "--folds",
            "2",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "no anomalies" in captured.err and "undefined" in captured.err
    table = (out / "table1.md").read_text()
    assert "## clean" in table and "n/a" in table
