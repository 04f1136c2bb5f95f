"""Contaminated training (--contamination): the anomaly pools, the leaked share, the
split files, and that no contamination leaves every existing identity as it was."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.data.dataset import DataError
from benchmark.engine.harness import RunConfig, plan
from benchmark.evaluation.protocols import (
    anomaly_pools,
    check_contamination,
    leak_count,
    make_splits,
)
from benchmark.evaluation.splits import get_splits
from benchmark.registry import get_dataset


@pytest.fixture(scope="module")
def thyroid():
    return get_dataset("thyroid").load()


def test_no_contamination_keeps_the_identity_of_existing_cells(tmp_path):
    # The record results/paper/cells/cardio/gmm/fold0.json (computed before contamination
    # existed) has these hashes. They change legitimately if gmm's revision or its paper
    # parameters change; never because of --contamination.
    config = RunConfig(
        datasets=["cardio"],
        detectors=["gmm"],
        preset="paper",
        output=tmp_path / "run",
        splits_dir=tmp_path / "splits",
    )
    cell = plan(config, dry=True)[0].cell
    assert cell.extra == {}
    assert cell.split_hash == "93e10f55215cca88"
    assert cell.config_hash() == "b373a4ace61e67edffbc"
    plan(config)  # saves the split file, under the name it always had
    assert [p.name for p in (tmp_path / "splits").iterdir()] == [
        "cardio__kfold-normal__k5__seed0.npz"
    ]


@pytest.mark.parametrize("protocol", ["kfold-normal", "half-normal"])
def test_pools_split_the_anomalies_once_and_test_rows_stay_the_same(thyroid, protocol):
    y = thyroid.y
    clean = make_splits(y, protocol, 3, seed=2)
    pools = anomaly_pools(y, seed=2)
    assert not set(pools.leak) & set(pools.test)
    assert sorted(np.r_[pools.leak, pools.test]) == sorted(np.flatnonzero(y == 1))
    assert len(pools.leak) == 46  # half of 93, rounded down
    leaked_before = [set() for _ in clean]
    for alpha in (0.0, 0.005, 0.01):
        splits = make_splits(y, protocol, 3, seed=2, contamination=alpha)
        for k, ((train, test), (c_train, c_test)) in enumerate(zip(splits, clean)):
            # training normals and test normals are the clean protocol's
            assert np.array_equal(train[y[train] == 0], c_train)
            assert np.array_equal(test[y[test] == 0], c_test[y[c_test] == 0])
            assert np.array_equal(test[y[test] == 1], pools.test)  # same test pool
            leaked = set(train[y[train] == 1])
            assert leaked <= set(pools.leak)
            assert leaked_before[k] <= leaked  # a larger ALPHA adds to the smaller's draw
            leaked_before[k] = leaked
            m, n = len(leaked), len(c_train)
            assert m == leak_count(alpha, n)
            if alpha:
                assert abs(m / (n + m) - alpha) <= 1 / (n + m)


def test_a_small_leak_pool_caps_the_draw(thyroid):
    # 10 % of ~2943 training normals needs 327 anomalies; the leak pool holds 46.
    assert leak_count(0.1, 2943) == 327
    for train, _ in make_splits(thyroid.y, "kfold-normal", 5, seed=0, contamination=0.1):
        assert int(thyroid.y[train].sum()) == 46


@pytest.mark.parametrize(
    ("alpha", "protocol", "message"),
    [
        (0.5, "kfold-normal", "at least 0 and below 0.5"),
        (-0.01, "kfold-normal", "at least 0 and below 0.5"),
        (float("nan"), "kfold-normal", "must be a number"),
        (0.05, "dagmm", "for the kfold-normal and half-normal protocols"),
    ],
)
def test_bad_contamination_is_a_clear_error(alpha, protocol, message):
    assert message in check_contamination(alpha, protocol)
    with pytest.raises(ValueError, match=message):
        make_splits(np.r_[np.zeros(20), np.ones(4)], protocol, 2, 0, contamination=alpha)


def test_valid_contamination_passes_and_no_pools_under_dagmm():
    assert check_contamination(None, "dagmm") is None
    assert check_contamination(0.0, "kfold-normal") is None
    assert check_contamination(0.49, "half-normal") is None
    with pytest.raises(ValueError, match="anomaly pools are for"):
        make_splits(np.r_[np.zeros(20), np.ones(4)], "dagmm", 2, 0, contamination=0.0)


def test_an_empty_leak_pool_is_a_clear_error():
    y = np.r_[np.zeros(20, dtype=int), 1]  # one anomaly: it goes to the test pool
    with pytest.raises(DataError, match="tiny.csv: --contamination 0.1 .* leak pool is empty"):
        make_splits(y, "kfold-normal", 2, 0, where="tiny.csv", contamination=0.1)


def test_split_files_record_alpha_and_the_pools(tmp_path, thyroid):
    first = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path, contamination=0.01)
    assert first.path.name == "thyroid__kfold-normal__k5__seed0__c0.01.npz"
    with np.load(first.path) as z:
        assert np.array_equal(z["leak_pool"], first.pools.leak)
        assert np.array_equal(z["test_pool"], first.pools.test)
    again = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path, contamination=0.01)
    assert again.hashes == first.hashes and again.pools.digest == first.pools.digest
    extra = again.cell_extra(0)
    assert extra["contamination"] == 0.01 and extra["leak_pool"] == 46
    assert extra["test_pool"] == 47 and extra["train_anomalies"] == 30
    assert extra["contamination_effective"] == round(30 / len(again.train[0]), 6)
    clean = get_splits(thyroid, "kfold-normal", 5, 0, tmp_path)
    assert clean.cell_extra(0) == {} and clean.hashes != first.hashes


def test_contaminated_cells_carry_alpha_in_their_identity(tmp_path):
    base = dict(datasets=["vowels"], detectors=["gmm"], folds=2, splits_dir=tmp_path)
    clean = plan(RunConfig(output=tmp_path / "a", **base), dry=True)
    pooled = plan(RunConfig(output=tmp_path / "b", contamination=0.0, **base), dry=True)
    dirty = plan(RunConfig(output=tmp_path / "c", contamination=0.01, **base), dry=True)
    hashes = {p.cell.config_hash() for p in clean + pooled + dirty}
    assert len(hashes) == 6  # three configurations x two folds, all distinct
    assert pooled[0].cell.extra["train_anomalies"] == 0
    with pytest.raises(ValueError, match="below 0.5"):
        RunConfig(output=tmp_path / "d", contamination=0.7, **base)
