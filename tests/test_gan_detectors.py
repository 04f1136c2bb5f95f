"""The GAN detectors (rgan, ocan, mmoc-gan-cat, mmoc-gan-mix) on small synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from benchmark.base import DetectorError
from benchmark.registry import get_detector
from detectors.neural import DivergenceError

GANS = ["rgan", "ocan", "mmoc-gan-cat", "mmoc-gan-mix"]
#: the learning-rate parameter(s) of each detector, for the divergence test
LR_PARAMS = {
    "rgan": {"lr": 1e12},
    "ocan": {"d_lr": 1e12, "g_lr": 1e12},
    "mmoc-gan-cat": {"lr": 1e12},
    "mmoc-gan-mix": {"lr": 1e12},
}


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def two_modes(seed: int = 0, d: int = 4, n: int = 800):
    """Two tight Gaussian modes at +-2.5; anomalies uniform in [-5, 5]^d, >= 2.5 from both."""
    rng = np.random.default_rng(seed)
    c = np.full(d, 2.5)
    normal = np.vstack([rng.normal(c, 0.5, (n // 2, d)), rng.normal(-c, 0.5, (n - n // 2, d))])
    normal = normal[rng.permutation(n)]
    box = rng.uniform(-5, 5, (5000, d))
    far = np.minimum(np.linalg.norm(box - c, axis=1), np.linalg.norm(box + c, axis=1)) > 2.5
    anomalies = box[far][:100]
    k = int(0.75 * n)
    X_test = np.vstack([normal[k:], anomalies])
    y_test = np.r_[np.zeros(n - k), np.ones(len(anomalies))]
    return normal[:k], X_test, y_test


def shell(seed: int = 0, d: int = 3, n: int = 800):
    """Normals on a sphere of radius 3; anomalies in the empty centre."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, d))
    normal = u / np.linalg.norm(u, axis=1, keepdims=True) * rng.normal(3.0, 0.25, (n, 1))
    anomalies = rng.normal(0.0, 0.6, (100, d))
    k = int(0.75 * n)
    return normal[:k], np.vstack([normal[k:], anomalies]), np.r_[np.zeros(n - k), np.ones(100)]


def scaled(name: str, X_train, *others):
    """Scale as the harness does: the detector's ``preprocessing``, fitted on training rows."""
    kind = get_detector(name).cls.preprocessing
    scaler = (MinMaxScaler() if kind == "minmax" else StandardScaler()).fit(X_train)
    return [scaler.transform(a) for a in (X_train, *others)]


def build(name: str, **params):
    """The ``quick`` preset on the CPU with ``params`` on top."""
    return get_detector(name).build("quick", device="cpu", **params)


def auroc(name: str, data, **params) -> float:
    X_train, X_test, y_test = data
    X_train, X_test = scaled(name, X_train, X_test)
    det = build(name, random_state=0, **params).fit(X_train)
    return roc_auc_score(y_test, det.decision_function(X_test))


@pytest.mark.parametrize("name", ["ocan", "mmoc-gan-cat", "mmoc-gan-mix"])
def test_complementary_gans_detect_anomalies_around_two_modes(name):
    assert auroc(name, two_modes()) > 0.9


def test_rgan_direction_on_an_early_stopped_gan():
    # A regular GAN's D only separates normals from what G has not learnt yet: once G
    # covers the data, D(x) is ~0.5 everywhere (the reason RGAN is a weak baseline). With
    # 100 steps G has not reached the shell, so the empty centre must score high; a sign
    # error would give AUROC ~0.
    assert auroc("rgan", shell(), max_steps=100) > 0.9


def test_mmoc_gan_with_one_mode_and_no_mi_is_a_complementary_gan():
    assert auroc("mmoc-gan-cat", two_modes(1), n_modes=1, mi_weight=0.0) > 0.9


@pytest.mark.parametrize("name", GANS)
def test_same_seed_same_scores_other_seed_other_scores(name):
    X_train, X_test, _ = two_modes()
    X_train, X_test = scaled(name, X_train, X_test)
    scores = [
        build(name, random_state=seed, max_steps=20, pretrain_max_steps=5)
        .fit(X_train)
        .decision_function(X_test)
        if name.startswith("mmoc")
        else build(name, random_state=seed, max_steps=20).fit(X_train).decision_function(X_test)
        for seed in (3, 3, 4)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])
    assert not np.allclose(scores[0], scores[2])


@pytest.mark.parametrize("name", GANS)
def test_absurd_learning_rate_raises_divergence_error(name):
    X_train, _, _ = two_modes()
    (X_train,) = scaled(name, X_train)
    det = build(name, random_state=0, max_steps=50, **LR_PARAMS[name])
    with pytest.raises(DivergenceError, match="learning rate"):
        det.fit(X_train)


@pytest.mark.parametrize("name", GANS)
def test_fitted_state_and_native_threshold(name):
    X_train, X_test, _ = two_modes()
    X_train, X_test = scaled(name, X_train, X_test)
    det = build(name, random_state=0, max_steps=15).fit(X_train)
    assert det.native_threshold_ == 0.5 and det.threshold_ == 0.5
    assert str(det.device_) == "cpu"
    assert det.history_ and all(np.isfinite(v) for h in det.history_ for v in h.values())
    scores = det.decision_function(X_test)
    assert scores.shape == (len(X_test),) and ((scores >= 0) & (scores <= 1)).all()
    np.testing.assert_array_equal(det.predict(X_test), (scores > 0.5).astype(np.int8))


@pytest.mark.parametrize("name", GANS)
def test_bad_input_gives_clear_errors(name):
    X_train, _, _ = two_modes()
    bad = X_train.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DetectorError, match="NaN/inf"):
        build(name).fit(bad)
    bad[3, 1] = np.inf
    with pytest.raises(DetectorError, match="NaN/inf"):
        build(name).fit(bad)
    det = build(name, max_steps=5).fit(X_train)
    with pytest.raises(DetectorError, match="features"):
        det.decision_function(X_train[:, :2])


@pytest.mark.parametrize("name", GANS)
def test_clone_round_trips_the_parameters(name):
    det = build(name, random_state=7, batch_size=32)
    twin = clone(det)
    assert twin is not det
    assert twin.get_params() == det.get_params()
    assert type(twin) is type(det)


def test_ocan_scales_to_unit_range_and_mmoc_standardises():
    assert get_detector("ocan").cls.preprocessing == "minmax"
    assert get_detector("mmoc-gan-cat").cls.preprocessing == "standard"


@pytest.mark.parametrize("name", ["mmoc-gan-cat", "mmoc-gan-mix"])
def test_sample_returns_rows_in_the_original_feature_space(name):
    X_train, _, _ = two_modes()
    X_orig = X_train * 10.0 + 1000.0  # far from the standardised scale
    scaler = StandardScaler().fit(X_orig)
    det = build(name, random_state=0, max_steps=100, n_modes=3).fit(scaler.transform(X_orig))
    inside = det.sample(50, random_state=1)
    assert inside.shape == (50, X_train.shape[1])
    assert np.abs(inside.mean()) < 10  # no hook: the space fit saw
    det.inverse_transform_ = scaler  # what the harness sets
    rows = det.sample(50, random_state=1)
    np.testing.assert_allclose(rows, scaler.inverse_transform(inside))
    assert np.abs(rows.mean() - 1000.0) < 100
    one_mode = det.sample(7, mode=2)
    assert one_mode.shape == (7, X_train.shape[1])
    with pytest.raises(ValueError, match="mode"):
        det.sample(5, mode=3)


def test_mmoc_gan_kmeans_modes_and_mode_assignments():
    X_train, X_test, _ = two_modes()
    X_train, X_test = scaled("mmoc-gan-cat", X_train, X_test)
    det = build("mmoc-gan-cat", random_state=0, max_steps=20, n_modes=2, mode_init="kmeans")
    det.fit(X_train)
    modes = det.predict_mode(X_test[:200])
    assert set(np.unique(modes)) <= {0, 1}
    # k-means separates the two well-separated modes exactly
    first_mode = X_test[:200, 0] > 0
    assert len(np.unique(modes[first_mode])) == 1 and len(np.unique(modes[~first_mode])) == 1
    assert det.mode_weights_.sum() == pytest.approx(1.0)
    assert 0 < det.epsilon_ < 1


def test_mmoc_gan_rejects_bad_parameters():
    X_train, _, _ = two_modes()
    with pytest.raises(ValueError, match="n_modes"):
        build("mmoc-gan-cat", n_modes=0).fit(X_train)
    with pytest.raises(ValueError, match="mode_init"):
        build("mmoc-gan-cat", mode_init="spectral").fit(X_train)
