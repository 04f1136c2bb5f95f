"""The conformance suite every registered detector must pass (scikit-learn's common-test idea).

Registered detectors are discovered, not listed: a new detector is checked the moment it
is registered.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from benchmark.base import Detector
from benchmark.registry import detectors

NAMES = sorted(n for n in detectors() if not n.startswith("test-"))


def _build(name: str, seed: int | None = 0) -> Detector:
    spec = detectors()[name]
    return spec.build("quick", **spec.runtime_params(seed, "cpu"))


def test_the_suite_registers_the_paper_methods():
    assert {"ocnn-neighbor", "ocsvm", "gmm"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_estimator_contract(name):
    det = _build(name)
    assert isinstance(det, Detector)
    params = det.get_params()
    assert clone(det).get_params() == params  # __init__ stores parameters unchanged
    assert not [k for k in vars(det) if k.endswith("_") and not k.startswith("_")]


def _between_modes(two_blobs):
    """The same normals with anomalies in the empty region between the two modes."""
    X, y = two_blobs
    rng = np.random.default_rng(1)
    return np.vstack([X[y == 0], rng.uniform(-1, 1, (30, X.shape[1]))]), y


@pytest.mark.parametrize("name", NAMES)
def test_detects_easy_anomalies_and_is_reproducible(name, two_blobs):
    """AUROC > 0.85 on one of two easy sets: anomalies beyond the modes or between them.

    Discriminator-based detectors (rgan, MMOC-GAN) are known to miss anomalies far beyond
    the data, where their discriminator extrapolates "real", but catch those in the gaps
    between modes; distance and density detectors catch both. A sign error fails both
    (it gives AUROC < 0.15). This is the "well above 0.5" of ``docs/design.md``,
    "Correctness checks", under the quick preset; each detector's own tests hold it to
    > 0.9 on the set that suits its family.
    """
    X, y = two_blobs
    first = _build(name).fit(X[y == 0])
    scores = first.decision_function(X)
    assert scores.shape == (len(X),) and np.isfinite(scores).all()
    X_between, _ = _between_modes(two_blobs)
    aurocs = [roc_auc_score(y, scores), roc_auc_score(y, first.decision_function(X_between))]
    assert max(aurocs) > 0.85, f"AUROC beyond/between modes {aurocs}: is higher = anomalous?"
    assert first.decision_scores_.shape == ((y == 0).sum(),)
    assert set(np.unique(first.predict(X))) <= {0, 1}
    assert np.isfinite(first.threshold_)
    again = _build(name).fit(X[y == 0]).decision_function(X)
    np.testing.assert_array_equal(scores, again)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_bad_input_clearly(name, two_blobs):
    X, y = two_blobs
    det = _build(name)
    bad = X[y == 0].copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN/inf"):
        det.fit(bad)
    det.fit(X[y == 0][:200])
    with pytest.raises(ValueError, match="features"):
        det.decision_function(X[:5, :3])
    with pytest.raises(ValueError, match="NaN/inf"):
        det.decision_function(np.full((2, X.shape[1]), np.inf))


def far_tail(seed: int = 0):
    """Normals with one heavy-tailed feature (log-normal, sigma 1) beside three Gaussian
    ones; anomalies look normal except far out in that tail (2-6x the largest training
    value). Real tabular data has such tails (thyroid's hormone levels); a discriminator
    that calls everything beyond its generator "real" scores these as normal.
    """
    rng = np.random.default_rng(seed)

    def normals(n: int) -> np.ndarray:
        return np.column_stack([rng.normal(size=(n, 3)), rng.lognormal(0.0, 1.0, n)])

    train, test_normal = normals(600), normals(200)
    anomalies = normals(40)
    anomalies[:, 3] = train[:, 3].max() * rng.uniform(2.0, 6.0, 40)
    X_test = np.vstack([test_normal, anomalies])
    return train, X_test, np.r_[np.zeros(200, int), np.ones(40, int)]


#: Detectors that miss far-tail anomalies for a documented reason of their own method,
#: with the AUROC measured here (seed 0, quick preset) and the reason. Empty today: every
#: registered detector passes.
FAR_TAIL_EXCEPTIONS: dict[str, tuple[float, str]] = {}


@pytest.mark.parametrize("name", NAMES)
def test_scores_far_tail_anomalies_as_anomalies(name):
    """The guard against the inverted MMOC-GAN core (AUROC 0.00 on such a toy): AUROC on
    far-tail anomalies must be clearly above chance, with the harness's own scaling."""
    from benchmark.evaluation.preprocessing import Preprocessor

    train, X_test, y_test = far_tail()
    spec = detectors()[name]
    pre = Preprocessor(spec.cls.preprocessing_for(spec.params("quick"))).fit(train)
    det = _build(name).fit(pre.transform(train))
    auc = roc_auc_score(y_test, det.decision_function(pre.transform(X_test)))
    if name in FAR_TAIL_EXCEPTIONS:
        measured, reason = FAR_TAIL_EXCEPTIONS[name]
        assert auc == pytest.approx(measured, abs=0.1), f"{name}: {reason}; now {auc:.3f}"
    else:
        assert auc > 0.8, f"{name} scores far-tail anomalies as normal: AUROC {auc:.3f}"
