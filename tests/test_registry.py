"""Registries: third-party entry points, and no clash with Hugging Face ``datasets``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmark.registry import UnknownNameError, get_dataset, get_detector

ROOT = Path(__file__).resolve().parents[1]


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
        from benchmark.cli import main
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
