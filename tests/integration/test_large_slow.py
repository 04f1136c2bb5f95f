"""Slow: a 80k-row synthetic set through every capped detector in child processes; the
caps bind, are recorded, and no cell's process grows past a bounded peak memory."""

from __future__ import annotations

import pytest

from benchmark.data.synthetic import gaussian_modes
from benchmark.engine.config import RunConfig
from benchmark.engine.harness import run
from benchmark.registry import detectors

pytestmark = pytest.mark.slow

#: A cell's process (the suite and torch imported: ~350 MB) stays far below this.
PEAK_MB = 2048


def test_capped_detectors_on_80k_rows_apply_record_and_stay_bounded(tmp_path):
    ds = gaussian_modes(n=80_000, d=16, anomaly_rate=0.2, seed=4)
    capped = [n for n, s in detectors().items() if s.cap("quick") is not None]
    assert {"ocnn-neighbor", "gmm", "ocsvm"} <= set(capped)
    config = RunConfig(
        datasets=[ds.name],
        detectors=capped,
        folds=5,
        output=tmp_path / "run",
        splits_dir=tmp_path / "splits",
        extra_datasets={ds.name: ds},
        n_jobs=2,
    )
    summary = run(config, progress=False)
    assert summary.complete, summary.failed
    res = summary.results
    for name in capped:
        rows = res[res["detector"] == name]
        cap = detectors()[name].cap("quick")
        assert (rows["n_train"] > cap).all(), name  # ~51k training normals per fold
        assert set(rows["train_cap"]) == {cap} and set(rows["n_train_fit"]) == {cap}, name
        assert (rows["peak_rss_mb"] < PEAK_MB).all(), name
    assert "seeded subsample" in (config.output / "table1.md").read_text()
