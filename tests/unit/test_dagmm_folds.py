"""DAGMM's fold batching: ``fit_group`` trains k folds in lockstep, each exactly as alone.

Exactness: every fold's scores after ``fit_group`` equal fitting that fold alone, bit for
bit, on any CPU. That holds by construction: a lone fit is a group of one, so both run
one code path (``DAGMM._fit_folds``); a fold computes its forward pass and loss with its
own network on its own rows, through the same kernels on tensors of the same shapes as
alone, its dropout draws from its own copy of the global RNG stream (put in place for its
forward pass only), and the folds share only the backward call of the sum of their losses
(``d sum / d loss_i`` is exactly 1, and no weight is shared) and one Adam step that updates
each tensor apart (``detectors/neural/fold_batch.py``). So the comparisons below are exact.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detectors.dagmm import DAGMM
from detectors.neural import DivergenceError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def folds(d: int, sizes: list[int], seed: int = 0) -> list[np.ndarray]:
    """[0, 1] training rows of width ``d``, one matrix per fold (row counts differ)."""
    rng = np.random.default_rng(seed)
    return [rng.random((n, d)) for n in sizes]


#: (width, fold sizes, parameters): the three paper networks; batches that leave a short
#: last batch, and a remainder of one row (dropped); a fold that runs out of epochs first;
#: gradient clipping; K = 3.
CASES = [
    (6, [300, 299, 299, 257, 120], dict(max_steps=12, batch_size=128, n_epochs=10**6)),
    (36, [200, 199, 150], dict(max_steps=8, batch_size=64, n_epochs=10**6)),
    (274, [120, 119, 61], dict(n_epochs=3, batch_size=40)),
    (9, [161, 100, 41], dict(n_epochs=2, batch_size=40, grad_clip=0.5, n_components=3)),
]


@pytest.mark.parametrize(("d", "sizes", "params"), CASES)
def test_each_fold_of_a_group_scores_exactly_as_if_fitted_alone(d, sizes, params):
    Xs = folds(d, sizes)
    test = np.random.default_rng(1).random((40, d))
    group = [DAGMM(random_state=s, device="cpu", **params) for s in range(len(Xs))]
    assert DAGMM.fit_group(group, Xs) == group
    for seed, (det, X) in enumerate(zip(group, Xs)):
        alone = DAGMM(random_state=seed, device="cpu", **params).fit(X)
        # exact by construction (module docstring): same code path, kernels and shapes
        np.testing.assert_array_equal(det.decision_function(test), alone.decision_function(test))
        np.testing.assert_array_equal(det.decision_scores_, alone.decision_scores_)
        assert det.history_ == alone.history_
        assert det.threshold_ == alone.threshold_
        for key, value in alone.net_.state_dict().items():
            assert torch.equal(det.net_.state_dict()[key], value), key


def test_a_group_leaves_the_callers_global_random_state_alone():
    Xs = folds(6, [80, 79])
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    DAGMM.fit_group([DAGMM(random_state=s, max_steps=3, device="cpu") for s in (0, 1)], Xs)
    assert torch.equal(torch.random.get_rng_state(), before)


class _NanFold(DAGMM):
    """A DAGMM whose fold with random_state=1 reports a non-finite loss."""

    def _losses(self, fold, idx):
        loss, values = super()._losses(fold, idx)
        return loss, values * (float("nan") if self.random_state == 1 else 1.0)


def test_a_divergence_in_a_group_names_the_fold_and_alone_keeps_its_message():
    Xs = folds(6, [60, 60])
    group = [_NanFold(random_state=s, max_steps=3, device="cpu") for s in (0, 1)]
    with pytest.raises(DivergenceError, match=r"^fold 1 of the group: loss 'loss' became nan"):
        _NanFold.fit_group(group, Xs)
    with pytest.raises(DivergenceError, match=r"^loss 'loss' became nan.*learning rate"):
        _NanFold(random_state=1, max_steps=3, device="cpu").fit(Xs[1])


def test_preconditions_name_what_differs():
    X = folds(6, [50])[0]
    with pytest.raises(ValueError, match="learning_rate"):
        DAGMM.fit_group([DAGMM(random_state=0), DAGMM(random_state=1, learning_rate=1e-3)], [X, X])
    with pytest.raises(ValueError, match="2 detectors but 1"):
        DAGMM.fit_group([DAGMM(), DAGMM()], [X])
    with pytest.raises(ValueError, match="at least one"):
        DAGMM.fit_group([], [])
