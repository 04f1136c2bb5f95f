"""Data loading: bundled integrity, the synthetic set, and every bad user input."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from benchmark.data import load_bundled, load_user_file, production_line
from benchmark.data.bundled import DATA_DIR, manifest
from benchmark.data.dataset import DataError


def test_every_bundled_set_matches_its_manifest():
    rows = manifest()
    assert len(rows) == 12
    for name, row in rows.items():
        ds = load_bundled(name)
        assert (ds.n, ds.d, ds.n_anomalies) == (
            int(row["n"]),
            int(row["d"]),
            int(row["n_anomalies"]),
        )


def test_sha256_mismatch_is_detected(tmp_path):
    shutil.copy(DATA_DIR / "MANIFEST.tsv", tmp_path / "MANIFEST.tsv")
    raw = bytearray((DATA_DIR / "vowels.npz").read_bytes())
    raw[-100] ^= 0xFF
    (tmp_path / "vowels.npz").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"vowels\.npz: sha256 .* does not match the MANIFEST"):
        load_bundled("vowels", tmp_path)


def test_corrupt_or_incomplete_npz(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(DataError, match=r"bad\.npz: not a readable \.npz"):
        load_user_file(bad)
    partial = tmp_path / "partial.npz"
    np.savez(partial, X=np.ones((4, 2)))
    with pytest.raises(DataError, match=r"partial\.npz: missing array\(s\) \['y'\]"):
        load_user_file(partial)


def test_production_line_is_deterministic_and_shaped_like_the_paper():
    a, b, c = production_line(seed=0), production_line(seed=0), production_line(seed=1)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert (a.n_normal, a.n_anomalies, a.d) == (3936, 22, 10)
    assert len(np.unique(a.modes[a.y == 0])) >= 5
    # Anomalies lie just outside the modes: farther from their nearest normal than a
    # typical normal is, but not absurdly far.
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=2).fit(a.X[a.y == 0])
    d_norm = nn.kneighbors(a.X[a.y == 0])[0][:, 1]
    d_anom = nn.kneighbors(a.X[a.y == 1])[0][:, 0]
    assert np.median(d_anom) > 1.5 * np.median(d_norm)
    assert np.median(d_anom) < 10 * np.median(d_norm)


def _csv(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_user_csv_with_explicit_normal_label(tmp_path):
    frame = pd.DataFrame(
        {"a": [1.0, 2, 3, 4], "b": [0.5, np.nan, 1, 2], "y": ["ok", "ok", "bad", "ok"]}
    )
    ds = load_user_file(_csv(tmp_path, frame), "y", normal_label="ok")
    assert ds.y.tolist() == [0, 0, 1, 0]
    assert np.isnan(ds.X[1, 1])  # missing values are kept for per-fold imputation


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (
            pd.DataFrame({"a": ["x", "y"], "y": [0, 1]}),
            {},
            r"non-numeric feature column\(s\) \['a'\]",
        ),
        (pd.DataFrame({"a": [1, 2]}), {}, r"no label column 'y'"),
        (pd.DataFrame({"a": [1, 2, 3], "y": [0, 1, 2]}), {}, "not binary: 3 distinct values"),
        (pd.DataFrame({"a": [1, 2], "y": ["p", "q"]}), {}, "pass --normal-label"),
        (pd.DataFrame({"a": [1, 2], "y": ["p", "q"]}), {"normal_label": "r"}, "does not occur"),
        (
            pd.DataFrame({"a": [1.0, np.inf], "y": [0, 1]}),
            {},
            r"inf value\(s\) in column\(s\) \['a'\]",
        ),
        (pd.DataFrame({"a": [1.0, 2.0], "y": [0, None]}), {}, "missing value"),
        (pd.DataFrame({"y": [0, 1]}), {}, "no feature columns"),
    ],
)
def test_bad_csv_gets_one_clear_error_naming_the_file(tmp_path, frame, kwargs, message):
    path = _csv(tmp_path, frame)
    with pytest.raises(DataError, match=message) as info:
        load_user_file(path, "y", **kwargs)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_malformed_csv_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        load_user_file(empty)
    dup = tmp_path / "dup.csv"
    dup.write_text("a,a,y\n1,2,0\n")
    with pytest.raises(DataError, match="duplicated column"):
        load_user_file(dup)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("a,y\n1,0\n\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_user_file(latin)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,y\n1,0\n1,2,3,4\n")
    with pytest.raises(DataError, match="malformed CSV"):
        load_user_file(ragged)
    with pytest.raises(DataError, match="unsupported file type"):
        load_user_file(tmp_path / "data.xlsx")
    with pytest.raises(DataError, match="no such file"):
        load_user_file(tmp_path / "missing.csv")


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1.0, 2, 3], "label": [1, 0, 0]})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    ds = load_user_file(path, "label")
    assert ds.y.tolist() == [1, 0, 0] and ds.d == 1
