"""Registries: declared presets, third-party entry points, no clash with HF ``datasets``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT

from benchmark.base import Detector
from benchmark.engine.harness import RunConfig
from benchmark.registry import (
    DEFAULT_PRESET,
    PRESETS,
    DetectorSpec,
    UnknownNameError,
    detectors,
    get_dataset,
    get_detector,
    register_detector,
)


def _python(code: str, extra_path: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(extra_path), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_unknown_names_suggest_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean ocsvm"):
        get_detector("ocsvn")
    with pytest.raises(UnknownNameError, match="did you mean thyroid"):
        get_dataset("thyroids")


class _Steps(Detector):
    """A detector with two parameters, for the preset checks."""

    def __init__(self, max_steps: int = 100, lr: float = 0.1):
        self.max_steps = max_steps
        self.lr = lr


class _RenamedSteps(Detector):
    """``_Steps`` after ``max_steps`` was renamed ``n_steps``."""

    def __init__(self, n_steps: int = 100, lr: float = 0.1):
        self.n_steps = n_steps
        self.lr = lr


def _rejected(presets, cls=_Steps, hidden=False) -> str:
    """The error registering ``cls`` with ``presets`` raises; it must not be registered."""
    name = "test-presets-rejected"
    with pytest.raises(ValueError) as info:
        register_detector(name, presets=presets, hidden=hidden)(cls)
    assert name not in detectors(include_hidden=True)
    message = str(info.value)
    assert len(message.splitlines()) == 1 and name in message
    return message


def test_one_list_of_presets_and_quick_is_the_default():
    assert PRESETS == ("quick", "paper", "smoke") and DEFAULT_PRESET == "quick"
    assert RunConfig(datasets=[], detectors=[]).preset == DEFAULT_PRESET
    spec = get_detector("rgan")  # build() without a preset is the quick preset
    assert spec.build().get_params()["max_steps"] == spec.params("quick")["max_steps"]
    for name, spec in detectors().items():
        assert tuple(spec.presets) == PRESETS, name


@pytest.mark.parametrize(
    "use",
    [
        lambda: get_detector("rgan").params("fast"),
        lambda: get_detector("rgan").build("fast"),
        lambda: RunConfig(datasets=["vowels"], detectors=["gmm"], preset="fast"),
    ],
    ids=["params", "build", "RunConfig"],
)
def test_an_unknown_preset_is_an_error_naming_the_known_ones(use):
    known = r"unknown preset 'fast'.*\(known: paper, quick, smoke\)"
    with pytest.raises(UnknownNameError, match=known):
        use()


def test_a_preset_key_that_is_not_a_parameter_is_rejected_at_registration():
    message = _rejected({"quick": {"max_steps": 5}, "paper": {"lr_d": 1.0}, "smoke": {}})
    assert "preset 'paper'" in message and "'lr_d' is not a parameter of _Steps" in message
    assert "lr, max_steps" in message  # the parameters it does have


@pytest.mark.parametrize(
    ("presets", "expected"),
    [
        ({"quick": {}, "paper": {}}, "does not declare preset(s) 'smoke'"),
        (None, "does not declare preset(s) 'quick', 'paper', 'smoke'"),
        ({"quick": {}, "paper": {}, "smoke": {}, "fast": {}}, "unknown preset(s) 'fast'"),
    ],
    ids=["one-missing", "none", "unknown"],
)
def test_a_detector_must_declare_exactly_the_known_presets(presets, expected):
    assert expected in _rejected(presets)


def test_renaming_a_parameter_fails_loudly():
    """The smoke budget names ``max_steps``; after a rename it would have stopped applying."""
    presets = {"quick": {"lr": 0.01}, "paper": {}, "smoke": {"max_steps": 20}}
    register_detector("test-presets-steps", presets=presets, hidden=True)(_Steps)
    assert get_detector("test-presets-steps").params("smoke") == {"max_steps": 20}
    message = _rejected(presets, cls=_RenamedSteps)
    assert "preset 'smoke': 'max_steps' is not a parameter of _RenamedSteps" in message


def test_hidden_test_doubles_may_omit_presets_but_not_misdeclare_them():
    spec = DetectorSpec("test-presets-double", _Steps, hidden=True)
    assert all(spec.params(p) == {} for p in PRESETS)
    assert spec.build("smoke").get_params() == {"max_steps": 100, "lr": 0.1}
    assert "'max_step' is not a parameter" in _rejected(
        {"quick": {}, "paper": {}, "smoke": {"max_step": 1}}, hidden=True
    )


def test_build_and_runtime_params_go_by_get_params():
    spec = DetectorSpec("test-presets-steps", _Steps, presets={p: {} for p in PRESETS})
    with pytest.raises(ValueError, match="Invalid parameter 'max_step'"):
        spec.build("quick", max_step=3)
    assert spec.build("quick", max_steps=3).max_steps == 3
    assert spec.runtime_params(7, "cuda") == {}
    assert get_detector("gmm").runtime_params(7, "cuda") == {"random_state": 7}
    assert get_detector("rgan").runtime_params(7, "cuda") == {"random_state": 7, "device": "cuda"}


def test_a_plugin_package_registers_through_entry_points(tmp_path):
    (tmp_path / "toy_plugin.py").write_text(
        textwrap.dedent("""
        import numpy as np
        from benchmark.base import Detector
        from benchmark.data import Dataset
        from benchmark.registry import DatasetSpec, register_dataset, register_detector

        @register_detector(
            "toy-norm",
            presets={"quick": {}, "paper": {}, "smoke": {}},
            summary="distance to the training mean",
        )
        class ToyNorm(Detector):
            def _fit(self, X):
                self.mean_ = X.mean(axis=0)
            def _score(self, X):
                return np.linalg.norm(X - self.mean_, axis=1)

        def _load():
            rng = np.random.default_rng(0)
            X = np.r_[rng.normal(size=(60, 3)), rng.normal(6, 1, size=(6, 3))]
            return Dataset("toy-data", X, np.r_[np.zeros(60), np.ones(6)], source="toy")

        register_dataset(DatasetSpec("toy-data", _load, n=66, d=3, n_anomalies=6, source="toy"))
    """)
    )
    dist = tmp_path / "toy_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[mmoc_bench.detectors]\ntoy = toy_plugin\n\n[mmoc_bench.datasets]\ntoy = toy_plugin\n"
    )
    out = _python(
        f"""
        import sys
        from benchmark.cli.main import main
        main(["--list"])
        code = main(["--datasets", "toy-data", "--detectors", "toy-norm,gmm", "--folds", "2",
                     "--output", r"{tmp_path / "run"}", "--quiet"])
        sys.exit(code)
        """,
        tmp_path,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "toy-norm" in out.stdout and "toy-data" in out.stdout
    table = (tmp_path / "run" / "table1.md").read_text()
    assert "toy-norm" in table and "| gmm" in table


def test_hugging_face_datasets_is_not_shadowed(tmp_path):
    """Our ``datasets/`` folder is data, not a package: HF's ``datasets`` still imports."""
    fake = tmp_path / "site" / "datasets"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("HF_MARKER = 'hugging face'\n")
    out = _python(
        """
        import datasets
        from benchmark.registry import get_dataset
        import detectors
        ds = get_dataset("vowels").load()
        print(datasets.HF_MARKER, ds.n, type(detectors).__name__)
        """,
        tmp_path / "site",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["hugging", "face", "1456", "module"]
    assert not (ROOT / "datasets" / "__init__.py").exists()


def test_without_its_entry_points_the_suite_says_to_install_itself(monkeypatch):
    # The built-ins register through the suite's own entry points (pyproject.toml), so a
    # checkout that was never installed must say so instead of offering no detectors.
    from benchmark import registry

    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    with pytest.raises(registry.NotInstalledError, match="pip install -e"):
        registry.detectors()
