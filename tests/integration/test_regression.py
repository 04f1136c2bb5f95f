"""CI guard: the smoke configuration reproduces the committed AUROC/AUPRC reference table."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.engine.harness import plan
from benchmark.registry import detectors
from benchmark.studies.smoke_reference import (
    REFERENCE,
    SMOKE_PRESET,
    compare,
    load_reference,
    run_smoke,
    smoke_config,
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One rerun of the smoke configuration, shared by the tests below."""
    return run_smoke(tmp_path_factory.mktemp("smoke"))


def test_smoke_cells_use_each_detectors_declared_smoke_preset(tmp_path):
    config = smoke_config(tmp_path)
    assert config.preset == SMOKE_PRESET == "smoke" and not config.detector_params
    specs = detectors()
    for p in plan(config, dry=True):
        spec = specs[p.cell.detector]
        runtime = spec.runtime_params(p.cell.seed, config.device)
        assert p.cell.params == spec.params("smoke") | runtime, p.cell.name


def test_smoke_presets_cut_every_gradient_step_budget():
    """The smoke run stays seconds long: each neural detector's step cap is below quick's.

    The pack's torch detectors keep PyOD's budget parameters (epochs, ensemble size)
    instead of ``max_steps``: test_pyod_pack.py checks that their smoke preset cuts them.
    """
    for name, spec in detectors().items():
        if spec.cls.neural and "max_steps" in spec.param_names:
            assert spec.params("smoke")["max_steps"] < spec.params("quick")["max_steps"], name


def test_smoke_covers_every_registered_detector(smoke):
    assert set(smoke["detector"]) == set(detectors())
    assert not smoke.attrs["failed"], smoke.attrs["failed"]


def test_smoke_matches_the_committed_reference(smoke):
    assert REFERENCE.is_file(), (
        f"{REFERENCE} is missing: run `python run_benchmark.py --update-reference`"
    )
    mismatches = compare(smoke, load_reference())
    assert not mismatches, "smoke run left the reference:\n" + "\n".join(map(str, mismatches))


def _finite_row(table, family):
    rows = table[(table["family"] == family) & np.isfinite(table["value"])]
    assert len(rows), f"no finite {family} value in the smoke table"
    return rows.index[0]


@pytest.mark.parametrize("family", ["deterministic", "neural"])
def test_check_fails_beyond_tolerance_and_passes_within(smoke, family):
    i = _finite_row(smoke, family)
    row = smoke.loc[i]
    for factor, should_fail in ((2.0, True), (0.5, False)):
        reference = smoke.copy()
        reference.loc[i, "value"] = row["value"] + factor * row["tolerance"]
        mismatches = compare(smoke, reference)
        if should_fail:
            assert len(mismatches) == 1
            text = str(mismatches[0])
            for part in (row["detector"], row["dataset"], row["metric"], "tolerance"):
                assert part in text
        else:
            assert mismatches == []


def test_registered_detector_missing_from_reference_is_reported(smoke):
    missing = sorted(set(smoke["detector"]))[0]
    reference = smoke[smoke["detector"] != missing]
    mismatches = compare(smoke, reference)
    assert mismatches and all(m.detector == missing for m in mismatches)
    assert "--update-reference" in str(mismatches[0])


def test_new_failure_is_reported(smoke):
    current = smoke.copy()
    i = _finite_row(current, "deterministic")
    current.loc[i, "value"] = np.nan
    (mismatch,) = compare(current, smoke)
    assert "failed now" in str(mismatch)


def test_update_reference_is_the_regression_modules_command(monkeypatch, capsys):
    """``--update-reference`` rewrites the reference through benchmark.studies.smoke_reference; a
    missing value (a failed smoke cell) makes it exit 1."""
    import pandas as pd

    import benchmark.studies.smoke_reference as regression
    from benchmark.cli.main import main

    written = []

    def fake_update(path=REFERENCE, output=None):
        written.append(path)
        return pd.DataFrame({"value": [0.9, np.nan]})

    monkeypatch.setattr(regression, "update_reference", fake_update)
    assert main(["--update-reference"]) == 1
    assert written == [REFERENCE]
    assert "git diff results/reference/" in capsys.readouterr().out
