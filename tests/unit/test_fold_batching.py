"""Fold batching: ``fit_group`` trains k folds in lockstep, each exactly as if alone.

Exactness: every fold's scores after ``fit_group`` equal fitting that fold alone, bit for
bit, on any CPU. That holds by construction, not by the luck of a kernel: a fold computes
its forward pass and losses with its own modules on its own tensors, through the lone fit's
code (a lone fit is a group of one); the folds share only the backward call of the sum
of their losses and one optimiser step that updates each tensor apart
(``detectors/neural/fold_batch.py``). So the comparisons below are exact.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler

from benchmark.base import Detector
from benchmark.registry import get_dataset, get_detector
from detectors.neural import DivergenceError
from detectors.neural.complementary import ComplementaryGAN

COMPLEMENTARY = ["ocan", "mmoc-gan-cat", "mmoc-gan-mix"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def vowels() -> np.ndarray:
    ds = get_dataset("vowels").load()
    return ds.X[ds.y == 0]


def ragged_folds(X: np.ndarray, batch: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Five (train, all rows) pairs, min-max scaled on their training rows like the harness.

    With ``n_epochs=3, max_steps=8`` the folds take 8, 8, 6, 6 and 3 steps (3, 3, 2, 2
    batches an epoch; the last fold has fewer rows than a batch, so a smaller batch).
    """
    rng = np.random.default_rng(0)
    sizes = [3 * batch + 1, 3 * batch, 3 * batch - 1, 2 * batch + 5, batch // 2 + 3]
    out = []
    for n in sizes:
        rows = rng.permutation(len(X))[:n]
        scaler = MinMaxScaler().fit(X[rows])
        out.append((scaler.transform(X[rows]), scaler.transform(X)))
    return out


def build(name: str, seed: int, **params) -> ComplementaryGAN:
    budget = {"n_epochs": 3, "max_steps": 8}
    return get_detector(name).build("quick", device="cpu", random_state=seed, **budget | params)


#: the three detectors, and the core's other switches (k-means codes, Adam for D, ...)
VARIANTS = [(name, {}) for name in COMPLEMENTARY] + [
    ("mmoc-gan-cat", {"mode_init": "kmeans"}),
    (
        "mmoc-gan-mix",
        {
            "d_optimizer": "adam",
            "feature_matching": "paired-logits",
            "pull_away_on": "discriminator",
            "eps_rule": "midrange",
        },
    ),
]


@pytest.mark.parametrize(("name", "params"), VARIANTS)
def test_each_fold_of_a_group_scores_as_if_fitted_alone(name, params, vowels):
    batch = int(build(name, 0).batch_size)
    folds = ragged_folds(vowels, batch)
    group = [build(name, seed, **params) for seed in range(len(folds))]
    fitted = type(group[0]).fit_group(group, [train for train, _ in folds])
    assert fitted == group
    for seed, (det, (train, rows)) in enumerate(zip(group, folds)):
        alone = build(name, seed, **params).fit(train)
        diff = np.abs(det.decision_function(rows) - alone.decision_function(rows)).max()
        assert diff == 0.0, (name, seed, diff)  # exact by construction (module docstring)
        assert [h["epoch"] for h in det.history_] == [h["epoch"] for h in alone.history_]
        assert det.epsilon_ == alone.epsilon_
        np.testing.assert_allclose(det.mode_weights_, alone.mode_weights_)
        np.testing.assert_array_equal(det.predict(rows), alone.predict(rows))
    assert group[0].sample(5, random_state=1).shape == (5, rows.shape[1])


#: the regular GANs: rgan (Keras-style epoch fakes, L1/L2 penalty, SGD D) and anogan's GAN
REGULAR = ["rgan", "anogan"]


@pytest.mark.parametrize("name", REGULAR)
def test_each_fold_of_a_regular_gan_group_scores_as_if_fitted_alone(name, vowels):
    """No dropped batches here: a fold's last, shorter batch of an epoch is stepped in
    lockstep with the others' full batches, and every fold still ends where it would alone."""
    budget = {"n_epochs": 3, "max_steps": 9} | ({"search_steps": 5} if name == "anogan" else {})
    batch = int(get_detector(name).build("quick").batch_size)
    folds = ragged_folds(vowels, batch)
    group = [
        get_detector(name).build("quick", device="cpu", random_state=seed, **budget)
        for seed in range(len(folds))
    ]
    fitted = type(group[0]).fit_group(group, [train for train, _ in folds])
    assert fitted == group
    for seed, (det, (train, rows)) in enumerate(zip(group, folds)):
        alone = get_detector(name).build("quick", device="cpu", random_state=seed, **budget)
        alone.fit(train)
        diff = np.abs(det.decision_function(rows) - alone.decision_function(rows)).max()
        assert diff == 0.0, (name, seed, diff)  # exact by construction (module docstring)
        assert det.history_ == alone.history_
        assert det.threshold_ == alone.threshold_


def test_a_fold_that_runs_out_of_steps_first_stops_where_it_would_alone(vowels):
    """Fold 1 has 2 batches an epoch, fold 0 has 3: after 2 epochs fold 1 leaves the
    group while fold 0 trains 2 more steps; fold 1's weights are exactly its own."""
    long, short = vowels[:211], vowels[211:361]  # 3 and 2 batches of 70
    group = [build("ocan", s, n_epochs=2, max_steps=None) for s in (0, 1)]
    type(group[0]).fit_group(group, [long, short])
    alone = build("ocan", 1, n_epochs=2, max_steps=None).fit(short)
    assert len(alone.history_) == 2 and len(group[1].history_) == 2
    mine, theirs = group[1].discriminator_.state_dict(), alone.discriminator_.state_dict()
    for key, value in theirs.items():
        assert torch.equal(mine[key], value), key  # exact by construction (module docstring)
    assert group[0].history_ != group[1].history_


@pytest.mark.parametrize("name", COMPLEMENTARY + REGULAR)
def test_a_divergence_in_a_group_names_the_fold(name, vowels):
    """The error a whole group raises says which fold diverged (the harness records it
    on every cell of the group), and keeps the lone fit's advice."""
    huge = {"lr": 1e12} if name == "anogan" else {"d_lr": 1e12, "g_lr": 1e12}
    group = [
        get_detector(name).build("quick", device="cpu", random_state=s, max_steps=50, **huge)
        for s in (0, 1)
    ]
    with pytest.raises(DivergenceError, match=r"(fold \d of the group|random_state=\d): .*rate"):
        type(group[0]).fit_group(group, [vowels[:300], vowels[300:600]])


def test_preconditions_name_what_differs(vowels):
    X = MinMaxScaler().fit_transform(vowels[:150])
    with pytest.raises(ValueError, match="batch_size"):
        ComplementaryGAN.fit_group([build("ocan", 0), build("ocan", 1, batch_size=50)], [X, X])
    with pytest.raises(ValueError, match="one class"):
        ComplementaryGAN.fit_group([build("ocan", 0), build("mmoc-gan-cat", 1)], [X, X])
    with pytest.raises(ValueError, match="n_features"):
        ComplementaryGAN.fit_group([build("ocan", 0), build("ocan", 1)], [X, X[:, :5]])
    with pytest.raises(ValueError, match="2 detectors but 1"):
        ComplementaryGAN.fit_group([build("ocan", 0), build("ocan", 1)], [X])
    with pytest.raises(ValueError, match="at least one"):
        ComplementaryGAN.fit_group([], [])


def test_the_harness_can_ask_any_detector_whether_it_batches_folds():
    assert Detector.fold_batchable is False
    assert get_detector("ocsvm").cls.fold_batchable is False
    for name in COMPLEMENTARY + REGULAR:
        assert get_detector(name).cls.fold_batchable is True


@pytest.mark.parametrize("name", COMPLEMENTARY + REGULAR)
@pytest.mark.parametrize("width", [7, 9])
def test_odd_widths_and_batches_at_odd_offsets_change_nothing(name, width):
    """Shapes where a stacked design's fold offsets broke the BLAS kernels' agreement on an
    AMD EPYC (9 features: OCAN 8e-4 apart after 40 steps; 299 rows: a 19-row last batch):
    each grouped fold still equals its lone fit exactly (by construction, module docstring)."""
    rng = np.random.default_rng(width)
    Xs = [rng.random((300 - (i >= 3), width)) for i in range(5)]
    extra = {"search_steps": 2} if name == "anogan" else {}

    def make(seed):
        budget = {"max_steps": 12, "n_epochs": 10**6} | extra
        return get_detector(name).build("quick", device="cpu", random_state=seed, **budget)

    group = [make(seed) for seed in range(5)]
    type(group[0]).fit_group(group, Xs)
    for seed, (det, X) in enumerate(zip(group, Xs)):
        alone = make(seed).fit(X)
        np.testing.assert_array_equal(det.decision_scores_, alone.decision_scores_)
