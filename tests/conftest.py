"""Shared fixtures: small real data, throwaway run folders and the fault grid's reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# Small MLPs train fastest on one thread; the suite's cells run that way too.
torch.set_num_threads(1)


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
def one_torch_thread():
    """Torch on one thread for the test (as in a cell), restored after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
