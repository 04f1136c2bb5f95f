"""DAGMM: the sample energy against scipy, the moments, the architectures, a safe covariance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from benchmark.evaluation.preprocessing import Preprocessor
from benchmark.registry import get_dataset
from detectors.dagmm import DAGMM, gmm_energy, gmm_parameters, resolve_architecture


def test_energy_equals_scipy_mixture_density():
    phi = np.array([0.3, 0.7])
    mu = np.array([[0.0, 1.0, -1.0], [2.0, -0.5, 0.5]])
    cov = np.array(
        [
            [[1.0, 0.3, 0.0], [0.3, 2.0, 0.4], [0.0, 0.4, 0.5]],
            [[0.6, -0.2, 0.1], [-0.2, 0.8, 0.0], [0.1, 0.0, 1.5]],
        ]
    )
    z = np.array([[0.1, 0.9, -0.8], [2.5, 0.0, 0.0], [-3.0, 4.0, 2.0]])
    eps = 1e-6
    energy, penalty = gmm_energy(*(torch.tensor(a) for a in (z, phi, mu, cov)), eps=eps)
    density = sum(
        phi[k] * multivariate_normal(mu[k], cov[k] + eps * np.eye(3)).pdf(z) for k in range(2)
    )
    np.testing.assert_allclose(energy.numpy(), -np.log(density), rtol=1e-10)
    expected_penalty = sum(1.0 / (cov[k, j, j] + eps) for k in range(2) for j in range(3))
    assert penalty.item() == pytest.approx(expected_penalty, rel=1e-12)


def test_gmm_parameters_are_weighted_moments():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 3))
    gamma = rng.dirichlet([1.0, 1.0], size=50)
    phi, mu, cov = gmm_parameters(torch.tensor(z), torch.tensor(gamma))
    for k in range(2):
        w = gamma[:, k]
        assert phi[k].item() == pytest.approx(w.mean())
        np.testing.assert_allclose(mu[k].numpy(), np.average(z, axis=0, weights=w))
        np.testing.assert_allclose(cov[k].numpy(), np.cov(z.T, aweights=w, bias=True))


def test_architecture_choice():
    assert resolve_architecture("auto", 6) == "thyroid"
    assert resolve_architecture("auto", 274) == "arrhythmia"
    assert resolve_architecture("auto", 120) == "kddcup"
    assert resolve_architecture("thyroid", 500) == "thyroid"
    with pytest.raises(ValueError, match="architecture"):
        resolve_architecture("resnet", 6)


def test_covariance_stays_positive_definite_with_constant_columns():
    ds = get_dataset("arrhythmia").load()
    normal = ds.X[ds.y == 0]
    pre = Preprocessor(DAGMM.preprocessing).fit(normal)
    X = pre.transform(normal)
    assert pre.constant_columns_ > 0  # arrhythmia really has constant columns
    torch.set_num_threads(1)
    det = DAGMM(max_steps=60, learning_rate=1e-3, random_state=0, device="cpu").fit(X)
    assert det.architecture_ == "arrhythmia"
    cov = det.cov_.numpy()
    assert cov.shape == (2, 4, 4)
    for k in range(2):
        assert np.linalg.eigvalsh(cov[k] + det.cov_eps * np.eye(4)).min() > 0
        np.linalg.cholesky(cov[k] + det.cov_eps * np.eye(4))
    scores = det.decision_function(pre.transform(ds.X))
    assert np.isfinite(scores).all()
    assert np.isfinite(det.decision_scores_).all()


def test_relative_distance_is_bounded_for_rows_at_the_origin():
    # Min-max scaling puts a row whose every feature is at its training minimum at the
    # origin (a third of Mammography's normals): ||x - x'|| / ||x|| must not explode there.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(300, 5))
    X[:100] = 0.0
    torch.set_num_threads(1)
    det = DAGMM(max_steps=20, learning_rate=1e-3, random_state=0, device="cpu").fit(X)
    norms = np.linalg.norm(X, axis=1)
    median_norm = np.median(norms[norms > 0])
    assert det.norm_floor_ == pytest.approx(0.1 * median_norm)
    z, _ = det._latent(X)
    rel = z[:, -2].numpy()
    assert np.isfinite(rel).all()
    # at the origin rel = ||x'|| / floor: the same order as the other rows' values
    assert rel[:100].max() < 100 * np.median(rel[100:])
    assert np.isfinite(det.decision_scores_).all()
    # norm_floor=0 keeps the bare 1e-8 guard (the old behaviour)
    bare = DAGMM(norm_floor=0.0, max_steps=20, learning_rate=1e-3, random_state=0, device="cpu")
    assert bare.fit(X).norm_floor_ == 1e-8
