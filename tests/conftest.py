"""Shared fixtures: small real data, throwaway run folders and the fault grid's reference.

The tests live in unit/, integration/ and faults/; plain helper functions shared by them
are in ``helpers.py`` beside this file, imported as ``from helpers import ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

# helpers.py and import_graph.py sit in this folder: importable from every test folder
# (pytest's default import mode adds it already; this also covers --import-mode=importlib).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

# Small MLPs train fastest on one thread; the suite's cells run that way too.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_users_calibration(tmp_path, monkeypatch):
    """Estimates in tests come from the shipped calibration, not from a calibration the
    user fitted for their machine (``results/cost_calibration.json`` in the checkout,
    which runs from there prefer): the test's own ``results/`` takes its place."""
    from benchmark.engine import cost

    monkeypatch.setattr(cost, "USER_CALIBRATION", tmp_path / "results" / "cost_calibration.json")


@pytest.fixture
def two_blobs():
    """An easy one-class problem: normals in two tight blobs, anomalies far between them."""
    rng = np.random.default_rng(0)
    normal = np.vstack([rng.normal(-3, 0.5, (300, 4)), rng.normal(3, 0.5, (300, 4))])
    anomalies = rng.uniform(-1.2, 1.2, (30, 4)) + rng.choice([-8, 8], (30, 1))
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(600, int), np.ones(30, int)]
    return X, y


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """One uninterrupted run of the fault grid, shared by every fault test module."""
    from benchmark.faults.runs import reference_run

    return reference_run(tmp_path_factory.mktemp("fault-reference", numbered=False))


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """Run the test (the CLI) in an empty folder, so default outputs (results/...) land in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def one_torch_thread():
    """Torch on one thread for the test (as in a cell), restored after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
