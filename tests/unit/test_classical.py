"""The wrapped classical detectors give exactly the scores of PyOD / scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from pyod.models.gmm import GMM as PyodGMM
from pyod.models.knn import KNN
from pyod.models.ocsvm import OCSVM as PyodOCSVM
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.svm import OneClassSVM

from benchmark.evaluation.preprocessing import Preprocessor
from benchmark.registry import get_dataset, get_detector


@pytest.fixture(scope="module")
def cardio():
    ds = get_dataset("cardio").load()
    normal = ds.X[ds.y == 0]
    pre = Preprocessor("standard").fit(normal[:1200])
    return pre.transform(normal[:1200]), pre.transform(ds.X[1200:])


def test_ocnn_neighbor_equals_pyod_knn(cardio):
    train, test = cardio
    ours = get_detector("ocnn-neighbor").build().fit(train)
    ref = KNN(n_neighbors=5, method="mean").fit(train)
    np.testing.assert_allclose(
        ours.decision_function(test), ref.decision_function(test), rtol=1e-12
    )
    np.testing.assert_allclose(ours.decision_scores_, ref.decision_scores_, rtol=1e-12)


def test_ocsvm_equals_sklearn_and_pyod(cardio):
    train, test = cardio
    ours = get_detector("ocsvm").build("paper").fit(train)
    sk = OneClassSVM(kernel="rbf", nu=0.5, gamma=1 / train.shape[1]).fit(train)
    pyod = PyodOCSVM(kernel="rbf", nu=0.5, gamma="auto").fit(train)
    s = ours.decision_function(test)
    np.testing.assert_allclose(s, -sk.decision_function(test), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s, pyod.decision_function(test), rtol=1e-10, atol=1e-12)
    # Native rule: scikit-learn's predict() == -1 exactly where our score > 0.
    assert ((ours.predict(test) == 1) == (sk.predict(test) == -1)).all()


def test_gmm_equals_sklearn_and_pyod(cardio):
    train, test = cardio
    ours = get_detector("gmm").build(n_components=3, random_state=7).fit(train)
    sk = GaussianMixture(n_components=3, covariance_type="full", random_state=7).fit(train)
    pyod = PyodGMM(n_components=3, covariance_type="full", random_state=7).fit(train)
    s = ours.decision_function(test)
    np.testing.assert_allclose(s, -sk.score_samples(test), rtol=1e-10)
    np.testing.assert_allclose(s, pyod.decision_function(test), rtol=1e-10)


@pytest.mark.parametrize("name", ["ocnn-neighbor", "ocsvm", "gmm"])
def test_classical_contract(name, two_blobs):
    X, y = two_blobs
    det = get_detector(name).build("quick")
    assert clone(det).get_params() == det.get_params()
    det.fit(X[y == 0])
    scores = det.decision_function(X)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, scores) > 0.95
    assert set(np.unique(det.predict(X))) <= {0, 1}
    with pytest.raises(ValueError, match="NaN/inf"):
        det.decision_function(np.full((2, X.shape[1]), np.inf))
    with pytest.raises(ValueError, match="features"):
        det.decision_function(X[:, :2])
