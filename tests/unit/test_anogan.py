"""AnoGAN: the batched latent search equals the row-by-row loop, and scoring is repeatable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detectors.anogan import AnoGAN, latent_search


@pytest.fixture(scope="module")
def fitted():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    det = AnoGAN(
        hidden=(32, 32),
        g_hidden=(32,),
        noise_dim=8,
        max_steps=60,
        search_steps=15,
        search_lr=0.1,
        n_train_scores=100,
        random_state=3,
        device="cpu",
    ).fit(X)
    return det, rng.normal(size=(40, 5)) * 1.5


def test_batched_search_equals_row_by_row(fitted):
    det, X = fitted
    x = torch.as_tensor(X, dtype=torch.float32)
    z0 = torch.rand(len(X), det.noise_dim, generator=torch.Generator().manual_seed(1)) * 2 - 1
    kw = dict(lam=0.1, n_steps=15, lr=0.1, bound=1.0)
    s_batch, z_batch = latent_search(x, z0, det.generator_, det._features, batched=True, **kw)
    s_rows, z_rows = latent_search(x, z0, det.generator_, det._features, batched=False, **kw)
    np.testing.assert_allclose(s_batch.numpy(), s_rows.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z_batch.numpy(), z_rows.numpy(), rtol=1e-4, atol=1e-5)
    assert not torch.equal(z_batch, z0)  # the search moved


def test_detector_modes_and_chunks_give_the_same_scores(fitted):
    det, X = fitted
    batched = det.decision_function(X)
    np.testing.assert_array_equal(batched, det.decision_function(X))  # repeatable
    rowwise = det.set_params(search="rowwise").decision_function(X)
    chunked = det.set_params(search="batched", search_batch_size=7).decision_function(X)
    det.set_params(search_batch_size=4096)
    np.testing.assert_allclose(rowwise, batched, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked, batched, rtol=1e-5, atol=1e-6)


def test_training_scores_come_from_a_seeded_subsample(fitted):
    det, _ = fitted
    assert det.decision_scores_.shape == (100,)
    assert det.train_score_rows_.shape == (100,)
    assert np.all(np.diff(det.train_score_rows_) > 0)
    assert np.isfinite(det.threshold_)


def test_search_loss_is_residual_plus_feature_term(fitted):
    det, X = fitted
    x = torch.as_tensor(X[:5], dtype=torch.float32)
    z = torch.zeros(5, det.noise_dim)
    scores, z_out = latent_search(x, z, det.generator_, det._features, lam=0.1, n_steps=0)
    with torch.no_grad():
        gz = det.generator_(z)
        expected = 0.9 * (x - gz).abs().sum(1) + 0.1 * (
            det._features(x) - det._features(gz)
        ).abs().sum(1)
    np.testing.assert_allclose(scores.numpy(), expected.numpy(), rtol=1e-6)
    assert torch.equal(z_out, z)
