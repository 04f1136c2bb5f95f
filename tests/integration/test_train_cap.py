"""Training-row caps (declared per detector, applied and recorded by the harness) and the
fold inputs that plan() hands out without copying the data set."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from helpers import run_config

from benchmark.cli.detector_names import canonical_cap_items, resolve_detectors
from benchmark.data.synthetic import gaussian_modes, production_line
from benchmark.engine.child_errors import timeout_error
from benchmark.engine.config import RunConfig, parse_train_caps
from benchmark.engine.harness import plan, run
from benchmark.evaluation import inputs as inputs_mod
from benchmark.evaluation.cell import TRAIN_CAP
from benchmark.evaluation.compute import compute_cell
from benchmark.evaluation.inputs import CellInputs, FoldInputs, RowFile, capped_rows, read_rows
from benchmark.registry import datasets, get_detector
from benchmark.report.paper_tables import CAPPED_MARK, table1
from benchmark.store.records import read_cell
from detectors.ocsvm import OCSVM


def _config(tmp_path, dets, caps=None, **kw) -> RunConfig:
    ds = production_line(n_normal=600, n_anomalies=30, d=4, seed=3)
    ds.name = "line-600"
    return run_config(
        tmp_path,
        datasets=[ds.name],
        detectors=dets,
        folds=3,
        extra_datasets={ds.name: ds},
        isolate=False,
        train_caps=caps or {},
        **kw,
    )


def test_capped_rows_are_a_seeded_sorted_subsample_and_none_when_the_fold_fits():
    a, b = capped_rows(1000, 100, seed=7), capped_rows(1000, 100, seed=7)
    assert np.array_equal(a, b) and len(a) == 100 and len(np.unique(a)) == 100
    assert np.all(np.diff(a) > 0) and a.max() < 1000
    assert not np.array_equal(a, capped_rows(1000, 100, seed=8))
    assert capped_rows(100, 100, seed=7) is None and capped_rows(1000, None, seed=7) is None


def test_the_knn_and_gmm_caps_sit_above_every_bundled_data_set():
    """Those caps never bind on the bundled sets, so their results and references stay."""
    largest = max(spec.n or 0 for spec in datasets().values())
    assert largest == 49_097  # shuttle, all of its rows
    for name in ("ocnn-neighbor", "gmm"):
        for preset in ("quick", "smoke"):
            assert get_detector(name).cap(preset) > largest, (name, preset)
        assert get_detector(name).cap("paper") is None
    caps = {p: get_detector("ocsvm").cap(p) for p in ("quick", "paper", "smoke")}
    assert caps == {"quick": 3000, "paper": None, "smoke": 1000}  # its former max_samples


def test_plan_records_a_cap_only_where_it_binds(tmp_path):
    config = _config(tmp_path, ["ocsvm", "gmm"], caps={"ocsvm": 150})
    planned = plan(config, dry=True)
    for p in planned:
        n_train = p.inputs.n_train
        assert n_train == 400  # 600 normals, 3 folds
        if p.cell.label == "ocsvm":
            assert p.cell.extra == {TRAIN_CAP: 150}
        else:  # gmm's quick cap (50,000) is far above 400 rows: the hash is unchanged
            assert p.cell.extra == {}
    assert isinstance(planned[0].inputs, FoldInputs)
    assert planned[0].inputs.X is planned[1].inputs.X  # the data set is held once


def test_a_capped_cell_fits_the_seeded_subsample_and_records_it(tmp_path):
    config = _config(tmp_path, ["ocsvm", "ocnn-neighbor"], caps={"ocsvm": 150})
    summary = run(config, progress=False)
    assert summary.complete
    res = summary.results
    ocsvm, knn = res[res["detector"] == "ocsvm"], res[res["detector"] == "ocnn-neighbor"]
    assert set(ocsvm["train_cap"]) == {150} and set(ocsvm["n_train_fit"]) == {150}
    assert set(ocsvm["n_train"]) == {400}
    assert knn["train_cap"].isna().all() and set(knn["n_train_fit"]) == {400}
    assert (res["peak_rss_mb"] > 0).all()
    for p in plan(config, dry=True):
        record = read_cell(config.output, p.cell).record
        if p.cell.label == "ocsvm":  # train scores are those of the 150 fitted rows
            with np.load(p.cell.paths(config.output)[1]) as z:
                assert z["train_scores"].shape == (150,)
            # The same cell computed again gives the same scores (the subsample is seeded).
            again, arrays = compute_cell(p.cell, p.inputs, p.cls)
            assert again["ranking"] == record["ranking"]
    md = (config.output / "table1.md").read_text()
    assert f"ocsvm {CAPPED_MARK}" in md and "seeded subsample of 150 rows (of 400" in md
    assert f"ocnn-neighbor {CAPPED_MARK}" not in md
    tables = table1(res)
    assert "ocsvm: trained on a seeded subsample of 150 rows" in tables["line-600"].note


def test_the_harness_cap_fits_the_seeded_subsample_of_the_scaled_rows(tmp_path):
    """A capped cell fits the rows capped_rows(n, cap, cell seed) picks, scaled with the
    statistics of all its training rows (the scaling does not depend on the cap)."""
    config = _config(tmp_path, ["ocsvm"], caps={"ocsvm": 120})
    p = plan(config, dry=True)[0]
    from benchmark.evaluation.compute import fit_cell

    fitted = fit_cell(p.cell, p.inputs, p.cls)
    scaled_all = fitted.preprocessor.transform(p.inputs.materialise().X_train)
    rows = capped_rows(scaled_all.shape[0], 120, p.cell.seed)
    own = OCSVM().fit(scaled_all[rows])
    np.testing.assert_allclose(
        fitted.detector.decision_function(fitted.X_test), own.decision_function(fitted.X_test)
    )


def test_no_cap_override_and_bad_train_cap_options():
    assert parse_train_caps(["gmm=0", "ocsvm=500"], ["gmm", "ocsvm"]) == {"gmm": None, "ocsvm": 500}
    for bad in (["gmm"], ["gmm=x"], ["knn=5"], ["gmm=1"]):
        with pytest.raises(ValueError, match="--train-cap"):
            parse_train_caps(bad, ["gmm", "ocsvm"])


def test_a_pyod_label_with_arguments_takes_a_train_cap():
    # The label's own '=' signs stay in the name, and its arguments may be written in any
    # order or spacing: the cap lands on the label the run's tables use.
    dets, _ = resolve_detectors("gmm,pyod:KNN(p=1, n_neighbors=3)")
    items = canonical_cap_items(["pyod:KNN(n_neighbors=3, p=1)=500", "gmm=0"])
    assert parse_train_caps(items, dets) == {"pyod:KNN(n_neighbors=3,p=1)": 500, "gmm": None}
    with pytest.raises(ValueError, match=r"'pyod:KNN\(n_neighbors=4\)' is not one of this run"):
        parse_train_caps(canonical_cap_items(["pyod:KNN(n_neighbors=4)=500"]), dets)
    with pytest.raises(ValueError, match="expected DETECTOR=ROWS"):
        parse_train_caps(canonical_cap_items(["pyod:KNN(n_neighbors=3,p=1)"]), dets)


def test_fold_inputs_from_a_row_file_match_the_arrays_and_pickle_small(tmp_path, monkeypatch):
    ds = gaussian_modes(n=3000, d=7, seed=1)
    rng = np.random.default_rng(0)
    idx = rng.permutation(3000)[:1700]  # unsorted, spans many read blocks
    monkeypatch.setattr(inputs_mod, "_BLOCK_ROWS", 128)
    rows = RowFile(ds.X)
    assert np.array_equal(read_rows(rows.path, idx), ds.X[idx])
    fold = FoldInputs(rows, ds.y, idx[:1000], idx[1000:])
    blob = pickle.dumps(fold)
    assert len(blob) < ds.X.nbytes / 4  # a path and indices, not the data set
    back = pickle.loads(blob).materialise()
    assert np.array_equal(back.X_train, ds.X[idx[:1000]])
    assert np.array_equal(back.X_test, ds.X[idx[1000:]])
    assert np.array_equal(back.y_test, ds.y[idx[1000:]])
    # A small data set held in memory travels as the fold's rows only.
    small = pickle.loads(pickle.dumps(FoldInputs(ds.X, ds.y, idx[:10], idx[10:20])))
    assert isinstance(small, CellInputs) and small.X_train.shape == (10, 7)
    path = rows.path
    del rows, fold  # the writer's copy is gone: its file is removed
    import gc

    gc.collect()
    assert not __import__("os").path.exists(path)


def test_a_timeout_names_the_detector_the_rows_and_the_knob(tmp_path):
    config = _config(tmp_path, ["ocsvm"], caps={"ocsvm": 150})
    p = plan(config, dry=True)[0]
    text = timeout_error(p.cell, p.inputs, 600, 601.4)
    assert text.startswith("TimeoutError: ocsvm exceeded --timeout of 600 s")
    assert "after 601 s" in text and "400 training rows" in text and "230 test rows" in text
    assert "subsample of 150" in text and "--train-cap ocsvm=75" in text
    assert "raise --timeout" in text


def test_a_cap_is_declared_per_preset_and_checked_at_registration():
    from benchmark.registry import DetectorSpec

    spec = DetectorSpec("test-cap", OCSVM, hidden=True, train_cap={"quick": 10})
    assert (spec.cap("quick"), spec.cap("paper"), spec.cap("smoke")) == (10, None, None)
    assert DetectorSpec("test-cap-all", OCSVM, hidden=True, train_cap=500).cap("paper") == 500
    for bad in ({"fast": 10}, {"quick": 1}, 1):
        with pytest.raises(ValueError, match="train_cap"):
            DetectorSpec("test-cap-bad", OCSVM, hidden=True, train_cap=bad)
