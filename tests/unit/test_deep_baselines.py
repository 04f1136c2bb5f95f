"""The deep baselines dagmm, rda, anogan and ocnn-network: shared contract checks.

Each detector must rank an easy synthetic set almost perfectly, give identical scores for
identical seeds, reject NaN/inf input clearly, and survive scikit-learn's ``clone``.
Method-specific checks: RDA's shrinkage operator and OC-NN's r (here), DAGMM's energy
(``test_dagmm.py``), AnoGAN's batched latent search (``test_anogan.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from benchmark.base import DetectorError
from benchmark.registry import get_detector
from detectors.rda import l21_shrink

DEEP = ["dagmm", "rda", "anogan", "ocnn-network"]

#: Small budgets that keep each fit well under a second or two on one core.
FAST = {
    "dagmm": {"max_steps": 300, "batch_size": 256, "learning_rate": 1e-3},
    "rda": {"n_outer": 3, "n_inner": 5, "max_steps": 150},
    "anogan": {"max_steps": 200, "search_steps": 20, "search_lr": 0.1},
    "ocnn-network": {"max_steps": 200},
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _scale(kind: str, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if kind == "minmax":
        lo, span = train.min(axis=0), train.max(axis=0) - train.min(axis=0)
    else:
        lo, span = train.mean(axis=0), train.std(axis=0)
    return (train - lo) / span, (test - lo) / span


@pytest.fixture(scope="module")
def line_data():
    """Normals near a segment in 6-d (an easy 1-d manifold), anomalies scattered off it."""
    rng = np.random.default_rng(0)
    direction = rng.normal(size=(1, 6))

    def normals(n: int) -> np.ndarray:
        return np.tanh(rng.normal(size=(n, 1))) @ direction + 0.05 * rng.normal(size=(n, 6))

    train = normals(600)
    test = np.vstack([normals(200), 1.5 * rng.normal(size=(40, 6))])
    y = np.r_[np.zeros(200, int), np.ones(40, int)]
    return train, test, y


def _build(name: str, seed: int = 0, **extra):
    return get_detector(name).build("quick", **FAST[name], random_state=seed, device="cpu", **extra)


@pytest.mark.parametrize("name", DEEP)
def test_easy_synthetic_auroc_and_repeatability(name, line_data):
    train, test, y = line_data
    train, test = _scale(get_detector(name).cls.preprocessing, train, test)
    first = _build(name).fit(train)
    scores = first.decision_function(test)
    assert roc_auc_score(y, scores) > 0.9
    again = _build(name).fit(train).decision_function(test)
    np.testing.assert_array_equal(scores, again)
    assert first.device_ == torch.device("cpu")
    assert first.history_ and all(np.isfinite(v) for h in first.history_ for v in h.values())
    assert np.isfinite(first.decision_scores_).all()


@pytest.mark.parametrize("name", DEEP)
def test_bad_input_is_a_clear_error(name):
    X = np.random.default_rng(0).random((50, 3))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DetectorError, match="NaN/inf"):
        _build(name).fit(bad)
    bad[3, 1] = np.inf
    with pytest.raises(DetectorError, match="NaN/inf"):
        _build(name).fit(bad)
    det = get_detector(name).build(
        "quick", **(FAST[name] | {"max_steps": 5}), random_state=0, device="cpu"
    )
    det.fit(X)
    with pytest.raises(DetectorError, match="NaN/inf"):
        det.decision_function(bad)
    with pytest.raises(DetectorError, match="features"):
        det.decision_function(X[:, :2])


@pytest.mark.parametrize("name", DEEP)
def test_clone_keeps_parameters(name):
    det = _build(name, seed=7)
    twin = clone(det)
    assert twin.get_params() == det.get_params()
    assert type(twin) is type(det)
    det.fit(np.random.default_rng(0).random((40, 3)))
    assert not hasattr(clone(det), "history_")


def test_presets_cap_gradient_steps():
    for name in DEEP:
        quick = get_detector(name).params("quick")
        assert quick.get("max_steps"), f"{name}'s quick preset must cap gradient steps"
    assert get_detector("anogan").params("quick")["search_steps"] < 100


# -- RDA -------------------------------------------------------------------------------
def test_l21_shrink_on_hand_made_rows():
    E = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0], [0.0, -2.0]], dtype=torch.float64)
    S = l21_shrink(E, 1.0)
    # Row norms 5, 0.5, 0, 2: the rows at or under lambda = 1 vanish ...
    np.testing.assert_array_equal(S[1].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(S[2].numpy(), [0.0, 0.0])
    # ... the others keep their direction and lose exactly lambda of their norm.
    np.testing.assert_allclose(S[0].numpy(), [3.0 * 4 / 5, 4.0 * 4 / 5])
    np.testing.assert_allclose(S[3].numpy(), [0.0, -1.0])
    np.testing.assert_allclose(S.norm(dim=1).numpy(), [4.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(l21_shrink(E, 0.0).numpy(), E.numpy())


def test_rda_flags_outlying_training_rows():
    rng = np.random.default_rng(1)
    X = np.clip(0.5 + 0.05 * rng.normal(size=(300, 5)), 0, 1)
    X[:5] = rng.random((5, 5))  # a few gross outliers among the training rows
    det = _build("rda", lam=0.15).fit(X)
    norms = det.train_outlier_norms_
    assert norms.shape == (300,)
    assert np.all(norms[:5] > 0)
    assert np.mean(norms[5:] > 0) < 0.05
    assert {"outer", "n_outlier_rows", "reconstruction"} <= set(det.history_[-1])


# -- OC-NN -----------------------------------------------------------------------------
def test_ocnn_r_is_the_nu_quantile(line_data):
    train, test, _ = line_data
    train, _ = _scale("standard", train, test)
    det = _build("ocnn-network", nu=0.2).fit(train)
    assert det.native_threshold_ == 0.0
    # score = r - y and r = the nu-quantile of y: about nu of the training rows score > 0.
    assert abs(np.mean(det.decision_scores_ > 0) - 0.2) < 0.01
    assert "r" in det.history_[-1]
    with pytest.raises(ValueError, match="nu"):
        _build("ocnn-network", nu=1.5).fit(train)
