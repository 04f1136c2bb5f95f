"""Small things a user meets first: help, --list, --data-file errors, bar, dry run, n/a."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from helpers import run_config

from benchmark.cli.main import build_parser, main
from benchmark.data import DataError, load_user_file
from benchmark.engine.harness import RunConfig, run
from benchmark.registry import datasets


def _frame(n_normal: int = 40, n_anomalies: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = n_normal + n_anomalies
    return pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "y": [0] * n_normal + [1] * n_anomalies}
    )


def test_a_folder_as_data_file_is_named_as_a_folder(tmp_path, capsys):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    assert main(["--data-file", str(folder), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {folder}: is a folder; --data-file takes a .csv, .parquet or .npz file"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_csv_are_detected(tmp_path, sep):
    path = tmp_path / "semi.csv"
    _frame().to_csv(path, sep=sep, index=False)
    ds = load_user_file(path)
    assert ds.X.shape == (44, 2) and int(ds.y.sum()) == 4


def test_other_separators_get_a_hint_and_sep_reads_them(tmp_path):
    path = tmp_path / "pipes.csv"
    _frame().to_csv(path, sep="|", index=False)
    with pytest.raises(DataError, match="the columns did not split: give the separator with --sep"):
        load_user_file(path)
    assert load_user_file(path, sep="|").X.shape == (44, 2)


def test_help_states_the_defaults(capsys):
    helps = {a.option_strings[-1]: a.help for a in build_parser()._actions if a.option_strings}
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    for flag, default in [
        ("--label-column", "(default: y)"),
        ("--folds", "(default: 5)"),
        ("--seed", "(default: 0)"),
        ("--protocol", "(default: kfold-normal)"),
        ("--preset", "(default: quick)"),
        ("--device", "(default: cpu)"),
        ("--n-jobs", "(default: 1)"),
        ("--detectors", "(default: all)"),
        ("--output", "(default: results/<preset>-<protocol>-seed<seed>)"),
    ]:
        assert helps[flag].endswith(default) and " ".join(helps[flag].split()) in text, flag


def test_list_never_cuts_a_source_mid_word(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, spec in datasets().items():
        line = next(line for line in lines if line.startswith(name + " "))
        shown = re.split(r"\s{2,}", line.strip())[-1]
        if shown != spec.source:
            assert shown.endswith(" …"), shown
            kept = shown[: -len(" …")]
            assert spec.source.startswith(kept) and spec.source[len(kept)] == " ", shown


def _config(tmp_path, **kw) -> RunConfig:
    return run_config(tmp_path, detectors=["ocnn-neighbor"], isolate=False, **kw)


def test_no_progress_bar_when_every_cell_is_reused(tmp_path, capsys):
    run(_config(tmp_path), progress=True)
    assert "2/2" in capsys.readouterr().err  # a bar while cells are computed
    again = run(_config(tmp_path), progress=True)
    assert again.n_skipped == 2 and "cell" not in capsys.readouterr().err


def test_dry_run_says_done_once(tmp_path, capsys):
    run(_config(tmp_path), progress=False)
    argv = ["--datasets", "vowels", "--detectors", "ocnn-neighbor,gmm", "--folds", "2"]
    out = ["--output", str(tmp_path / "run"), "--splits-dir", str(tmp_path / "splits")]
    assert main([*argv, *out, "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "done     vowels/ocnn-neighbor/fold0" in lines
    assert "pending  vowels/gmm/fold0  (missing)" in lines
    assert "4 cells: 2 done, 2 to compute (dry run: nothing computed)" in lines
    assert lines[-1].split()[:3] == ["total", "2", "cells"]  # the cost of the two to compute


def test_f1_of_the_anomaly_class_is_na_without_anomalies(tmp_path, capsys):
    path = tmp_path / "clean.csv"
    _frame(n_anomalies=0).to_csv(path, index=False)
    out = tmp_path / "o"
    argv = ["--data-file", str(path), "--detectors", "gmm", "--folds", "2", "--quiet"]
    assert main([*argv, "--output", str(out)]) == 0
    table = pd.read_csv(out / "table1.csv", keep_default_na=False)
    assert (table["raw train F1 (anomaly)"] == "n/a").all()
    assert (table["raw train F1 (normal)"] != "n/a").all()
