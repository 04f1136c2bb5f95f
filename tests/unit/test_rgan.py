"""RGAN's generated rows: drawn in blocks of ``fake_refresh`` minibatches (issue 20).

The Keras loop draws one generated row per training row at the start of each epoch. OCAN
ran it on 700 / 7,000 rows at batch 70 / 700, 10 minibatches an epoch; on shuttle (36k
training rows, 521 minibatches an epoch) the rows D trained on were hundreds of G steps
old, and the folds ranged from 0.04 to 0.98 AUROC (``docs/design.md``, "RGAN").
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from benchmark.registry import get_detector

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class CountingG(nn.Module):
    """Wraps G and records the row count of every draw made without gradient."""

    def __init__(self, G: nn.Module):
        super().__init__()
        self.G, self.draws = G, []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not torch.is_grad_enabled():
            self.draws.append(z.shape[0])
        return self.G(z)


def rows(n: int, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, d))


def build(seed: int = 0, **params):
    budget = {"n_epochs": 2, "max_steps": None, "batch_size": 70}
    return get_detector("rgan").build("quick", device="cpu", random_state=seed, **budget | params)


@pytest.mark.parametrize(
    ("refresh", "draws"),
    [
        (10, [700, 10, 700, 10]),  # 710 rows: 11 minibatches (the last of 10 rows)
        (3, [210, 210, 210, 80] * 2),
        (None, [710, 710]),  # the Keras loop: one draw per epoch
    ],
)
def test_generated_rows_are_drawn_in_blocks_of_fake_refresh_minibatches(
    refresh, draws, monkeypatch
):
    det = build(fake_refresh=refresh)
    counted = []
    networks = type(det)._networks

    def counting(self, s, d):
        D, G = networks(self, s, d)
        counted.append(CountingG(G))
        return D, counted[-1]

    monkeypatch.setattr(type(det), "_networks", counting)
    det.fit(rows(710))
    assert counted[0].draws == draws
    assert [h["epoch"] for h in det.history_] == [1, 2]


def test_a_group_with_mid_epoch_refreshes_scores_as_if_fitted_alone():
    """Blocks end mid-epoch and at ragged epoch ends; each fold still equals its lone fit."""
    Xs = [rows(n, seed=i) for i, n in enumerate([700, 455, 301, 150])]
    group = [build(seed, fake_refresh=2, n_epochs=3) for seed in range(len(Xs))]
    type(group[0]).fit_group(group, Xs)
    probe = rows(50, seed=9)
    for seed, (det, X) in enumerate(zip(group, Xs)):
        alone = build(seed, fake_refresh=2, n_epochs=3).fit(X)
        # exact by construction: lockstep fold batching gives a grouped fold the lone
        # fit's kernels and operands (detectors/neural/fold_batch.py)
        assert np.array_equal(det.decision_function(probe), alone.decision_function(probe))
        assert det.history_ == alone.history_


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_fake_refresh_must_be_a_positive_integer_or_none(bad):
    with pytest.raises(ValueError, match="fake_refresh"):
        build(fake_refresh=bad).fit(rows(100))
