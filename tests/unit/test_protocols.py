"""Split sizes and invariants of the three protocols, and split persistence."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.data.dataset import DataError, Dataset
from benchmark.evaluation.protocols import make_splits
from benchmark.evaluation.splits import get_splits
from benchmark.registry import get_dataset


@pytest.fixture(scope="module")
def thyroid():
    return get_dataset("thyroid").load()


def test_half_normal_on_thyroid_matches_goad_sizes(thyroid):
    splits = make_splits(thyroid.y, "half-normal", 3, seed=0)
    for train, test in splits:
        assert len(train) == 1839
        assert (thyroid.y[test] == 0).sum() == 1840
        assert (thyroid.y[test] == 1).sum() == 93
        assert (thyroid.y[train] == 0).all()
        assert not set(train) & set(test)


def test_kfold_normal_holds_out_each_normal_once(thyroid):
    splits = make_splits(thyroid.y, "kfold-normal", 5, seed=1)
    held_out = np.concatenate([te[thyroid.y[te] == 0] for _, te in splits])
    assert sorted(held_out) == sorted(np.flatnonzero(thyroid.y == 0))
    for train, test in splits:
        assert (thyroid.y[train] == 0).all()
        assert (thyroid.y[test] == 1).sum() == 93  # every anomaly in every test fold
        assert len(train) in (2943, 2944)  # 4/5 of 3679 normals


def test_dagmm_protocol_uses_half_of_all_rows():
    ds = get_dataset("arrhythmia").load()
    for train, test in make_splits(ds.y, "dagmm", 4, seed=0):
        assert len(test) == 452 - 226
        assert (ds.y[train] == 0).all()
        assert len(train) + (ds.y[test] == 0).sum() + (ds.y[test] == 1).sum() <= 452
        assert not set(train) & set(test)


def test_splits_depend_on_seed_only(thyroid):
    a = make_splits(thyroid.y, "kfold-normal", 5, seed=3)
    b = make_splits(thyroid.y, "kfold-normal", 5, seed=3)
    c = make_splits(thyroid.y, "kfold-normal", 5, seed=4)
    assert all((x[0] == y[0]).all() for x, y in zip(a, b))
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_fewer_normal_rows_than_folds_is_a_clear_error():
    y = np.array([0, 0, 0, 1, 1])
    with pytest.raises(DataError, match="3 normal row.*5 that protocol 'kfold-normal'"):
        make_splits(y, "kfold-normal", 5, seed=0, where="tiny.csv")


def test_saved_splits_are_reused_and_checked(tmp_path, thyroid):
    first = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path)
    mtime = first.path.stat().st_mtime_ns
    again = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path)
    assert again.path.stat().st_mtime_ns == mtime  # reused, not rewritten
    assert again.hashes == first.hashes
    # Other content under the same name: the saved file is not used.
    other = Dataset(name="thyroid", X=thyroid.X[::-1].copy(), y=thyroid.y[::-1].copy())
    redone = get_splits(other, "kfold-normal", 5, 0, tmp_path)
    assert redone.data_hash == other.content_hash() != first.data_hash
    # A corrupt file is recomputed, not used.
    first.path.write_bytes(b"garbage")
    fixed = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path)
    assert fixed.hashes == first.hashes
