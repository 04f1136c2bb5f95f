"""``--data-dir`` loading (one line per unusable file, clear name rules) and the exact
duplicate-row counts the report shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.data.dataset import DataError
from benchmark.data.duplicates import copies_in_training, row_ids
from benchmark.data.folder import load_data_dir


def _npz(path, n=40, anomalies=4, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, X=rng.normal(size=(n, 3)), y=(np.arange(n) < anomalies).astype(int))


def test_each_unusable_file_gets_one_line_and_the_others_load(tmp_path):
    _npz(tmp_path / "4_breastw.npz")
    _npz(tmp_path / "a.npz")
    pd.DataFrame({"f": [1.0, 2.0, 3.0], "y": [0, 0, 1]}).to_csv(tmp_path / "a.csv", index=False)
    _npz(tmp_path / "cardio.npz")  # a bundled set's name
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    pd.DataFrame({"f": ["x", "y"], "y": [0, 1]}).to_csv(tmp_path / "text.csv", index=False)
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "._4_breastw.npz").write_bytes(b"macOS metadata, hidden")
    folder = load_data_dir(tmp_path, taken=["cardio"])
    assert list(folder.datasets) == ["4_breastw"]
    assert folder.ignored == ["notes.txt"]
    lines = sorted(folder.problems)
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    assert lines[0].startswith(f"{tmp_path / 'a.csv'}: its data set name 'a' is also that of a.npz")
    assert lines[1].startswith(f"{tmp_path / 'a.npz'}: its data set name 'a' is also that of a.csv")
    assert lines[2] == f"{tmp_path / 'broken.npz'}: not a readable .npz archive (no zip header)"
    assert lines[3].startswith(f"{tmp_path / 'cardio.npz'}: its data set name 'cardio' is already")
    assert lines[4].startswith(f"{tmp_path / 'text.csv'}: non-numeric feature column(s) ['f']")


def test_a_check_refusal_is_one_line_too(tmp_path):
    _npz(tmp_path / "ok.npz")
    _npz(tmp_path / "few.npz", n=5, anomalies=3)

    def check(ds):
        if ds.n_normal < 3:
            raise DataError(f"{ds.source}: 2 normal row(s) is fewer than the 3 needed")

    folder = load_data_dir(tmp_path, check=check)
    assert list(folder.datasets) == ["ok"]
    assert folder.problems == [
        f"{tmp_path / 'few.npz'}: 2 normal row(s) is fewer than the 3 needed"
    ]


def test_a_missing_or_empty_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_data_dir(tmp_path / "nope")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(DataError, match=r"no \.csv, \.parquet, \.npz file in it \(1 other"):
        load_data_dir(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        load_data_dir(tmp_path / "x.txt")


def test_row_ids_are_exact_with_signed_zero_and_missing_values_normalised():
    X = np.array(
        [
            [0.0, 1.0],
            [-0.0, 1.0],  # same as row 0
            [np.nan, 1.0],
            [np.nan, 1.0],  # same as row 2: the same gap
            [0.0, 1.0 + 1e-15],  # differs in the last bits: not a copy
        ]
    )
    ids = row_ids(X)
    assert ids[0] == ids[1] and ids[2] == ids[3]
    assert len({ids[0], ids[2], ids[4]}) == 3


def test_copies_in_training_counts_test_rows_with_a_training_twin():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 2.0]])
    y = np.array([0, 0, 0, 1, 0, 1])
    ids = row_ids(X)
    # training rows 0 and 1; test rows 2 (copy of 0), 3 (anomaly, copy of 1), 4, 5 (anomaly)
    assert copies_in_training(ids, y, np.array([0, 1]), np.array([2, 3, 4, 5])) == (3, 2)
    assert copies_in_training(ids, y, np.array([4]), np.array([0, 1, 2, 3, 5])) == (0, 0)
