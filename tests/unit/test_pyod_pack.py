"""The baseline pack (group ``extended``): the same scores as PyOD itself, seeds passed,
PyOD's defaults in every preset, and ``pyod:Class`` checked before any work."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from pyod.models.copod import COPOD
from pyod.models.ecod import ECOD
from pyod.models.hbos import HBOS
from pyod.models.lof import LOF
from pyod.models.pca import PCA

from benchmark.engine.config import RunConfig
from benchmark.engine.plan import plan
from benchmark.evaluation.compute import fit_cell
from benchmark.registry import detector_groups, detectors, get_detector

PACK = ["copod", "deepsvdd", "dif", "ecod", "hbos", "iforest", "lof", "lunar", "pca"]


def test_the_pack_is_the_extended_group():
    assert detector_groups()["extended"] == PACK
    assert all(detectors()[n].group == "extended" for n in PACK)


@pytest.fixture(scope="module")
def cardio_fold(tmp_path_factory):
    """Fold 0 of cardio as a cell computes it: the harness's split and z-score."""
    tmp = tmp_path_factory.mktemp("pack")

    def fitted(name: str):
        config = RunConfig(
            datasets=["cardio"], detectors=[name], folds=5, output=tmp, splits_dir=tmp
        )
        planned = plan(config, dry=True)[0]
        return fit_cell(planned.cell, planned.inputs, planned.cls)

    return fitted


# ECOD, COPOD and HBOS are NumPy/SciPy code without BLAS: the wrapper hands PyOD the very
# array the direct call gets, and the same constructor arguments, so the scores are equal
# bit for bit on any CPU. LOF (brute-force distances for d = 21 go through BLAS) and PCA
# (LAPACK's SVD) run BLAS kernels on copies PyOD makes, whose memory alignment can differ
# between two calls under some BLAS builds: equal to float rounding, so a tolerance.
DIRECT = {
    "ecod": (lambda: ECOD(), 0.0),
    "copod": (lambda: COPOD(), 0.0),
    "hbos": (lambda: HBOS(n_bins=10, alpha=0.1, tol=0.5), 0.0),
    "lof": (lambda: LOF(n_neighbors=20, novelty=True), 1e-10),
    "pca": (lambda: PCA(), 1e-10),
}


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_scores_equal_a_direct_pyod_call_on_the_same_fold(name, cardio_fold):
    fitted = cardio_fold(name)
    assert fitted.X_train.shape[0] > 1000  # the fold, not a stand-in
    make, rtol = DIRECT[name]
    direct = make().fit(fitted.X_train)
    ours = fitted.detector
    if rtol == 0.0:
        np.testing.assert_array_equal(
            ours.decision_function(fitted.X_test), direct.decision_function(fitted.X_test)
        )
        np.testing.assert_array_equal(ours.decision_scores_, direct.decision_scores_)
    else:
        np.testing.assert_allclose(
            ours.decision_function(fitted.X_test),
            direct.decision_function(fitted.X_test),
            rtol=rtol,
        )
        np.testing.assert_allclose(ours.decision_scores_, direct.decision_scores_, rtol=rtol)


def _pyod_defaults(pyod_cls: type) -> dict:
    params = inspect.signature(pyod_cls.__init__).parameters
    return {k: p.default for k, p in params.items() if p.default is not p.empty}


@pytest.mark.parametrize("name", PACK)
def test_presets_are_pyods_defaults(name):
    """Every parameter a wrapper declares defaults to PyOD's default for it, and the
    ``paper`` preset changes none of them (budgets are cut by training caps instead)."""
    spec = get_detector(name)
    defaults = _pyod_defaults(spec.cls.pyod_class)
    ours = spec.build("paper").get_params()
    for key, value in ours.items():
        if key == "device":
            continue  # PyOD's None means "CUDA when present"; the harness passes --device
        assert key in defaults, f"{name}: {key} is not a PyOD argument"
        assert value == defaults[key], f"{name}: {key}={value!r}, PyOD's {defaults[key]!r}"
    assert spec.params("paper") == {} and spec.params("quick") == {}


@pytest.mark.parametrize("name", ["deepsvdd", "dif", "lunar"])
def test_smoke_cuts_the_budget_of_the_torch_detectors(name):
    spec = get_detector(name)
    ((key, cut),) = spec.params("smoke").items()
    assert cut < spec.build("quick").get_params()[key]


@pytest.mark.parametrize("name", ["iforest", "dif", "lunar", "deepsvdd"])
def test_the_seed_reaches_pyod(name, two_blobs):
    X, y = two_blobs
    spec = get_detector(name)
    small = {"deepsvdd": {"epochs": 3}, "dif": {"n_ensemble": 3}, "lunar": {"n_epochs": 5}}
    fit = lambda seed: spec.build("quick", random_state=seed, **small.get(name, {})).fit(  # noqa: E731
        X[y == 0]
    )
    assert not np.array_equal(fit(1).decision_function(X), fit(2).decision_function(X))


def test_fits_leave_the_callers_random_state_alone(two_blobs):
    import torch

    X, y = two_blobs
    np.random.seed(5)
    torch.manual_seed(5)
    expected = (np.random.rand(), torch.rand(1).item())
    np.random.seed(5)
    torch.manual_seed(5)
    get_detector("dif").build("smoke", random_state=0).fit(X[y == 0])
    assert (np.random.rand(), torch.rand(1).item()) == expected


def test_lof_on_a_tiny_fold_uses_every_other_row():
    X = np.random.default_rng(0).normal(size=(8, 2))
    det = get_detector("lof").build().fit(X)
    assert det.model_.n_neighbors == 7 and np.isfinite(det.decision_function(X)).all()


def test_pca_scores_a_fold_with_a_constant_column_on_the_components_with_variance():
    """cardio fold 1 at 1 % contamination failed with inf scores: PyOD divides by each
    component's variance ratio, 0 for a constant column. The refit keeps PyOD's scores
    for the components with variance: exactly PCA(n_components=4) on the same rows (the
    same PyOD call, so equal by construction)."""
    rng = np.random.default_rng(0)
    X = rng.random((200, 5))
    X[:, 2] = 0.3
    with pytest.warns(RuntimeWarning, match="1 of 5 principal components have zero variance"):
        det = get_detector("pca").build("quick").fit(X)
    scores = det.decision_function(X)
    assert np.isfinite(scores).all() and det.n_components_used_ == 4
    assert det.get_params()["n_components"] is None  # the parameter itself is untouched
    direct = PCA(n_components=4).fit(X)
    np.testing.assert_array_equal(scores, direct.decision_function(X))
    np.testing.assert_array_equal(det.decision_scores_, direct.decision_scores_)
