"""Cost models of the baseline pack: what each PyOD method's work grows with.

Each returns counts of work (``benchmark.engine.cost``); the coefficients come from a
calibration, for the pack from the cells of recorded runs
(``python -m benchmark.engine.cost_calibration --from-runs``). ``n_train`` is the rows
fitted (after the preset's training cap).
"""

from __future__ import annotations

from math import ceil

from benchmark.registry import CostModel

__all__ = [
    "COPOD_COST",
    "DEEPSVDD_COST",
    "DIF_COST",
    "ECOD_COST",
    "HBOS_COST",
    "IFOREST_COST",
    "LOF_COST",
    "LUNAR_COST",
    "PCA_COST",
]


def _iforest(params, n_train, n_test, d, budget) -> list[float]:
    trees = int(params.get("n_estimators") or 100)
    return [1.0, trees * n_train, trees * n_test]


def _lof(params, n_train, n_test, d, budget) -> list[float]:
    return [1.0, n_train * d, n_train * n_train, n_test * n_train]


def _ecdf(params, n_train, n_test, d, budget) -> list[float]:
    # PyOD's ECOD and COPOD score new rows against the training rows' empirical CDFs,
    # recomputed over train + test at every decision_function call
    return [1.0, n_train * d, (n_train + n_test) * d]


def _hbos(params, n_train, n_test, d, budget) -> list[float]:
    return [1.0, n_train * d, n_test * d]


def _pca(params, n_train, n_test, d, budget) -> list[float]:
    return [1.0, n_train * d * d, float(d) ** 3, n_test * d * d]


def _deepsvdd(params, n_train, n_test, d, budget) -> list[float]:
    batch = max(1, min(int(params.get("batch_size") or 32), max(n_train, 1)))
    steps = int(params.get("epochs") or 100) * ceil(max(n_train, 1) / batch)
    return [1.0, steps, steps * batch * d, n_test * d]


def _dif(params, n_train, n_test, d, budget) -> list[float]:
    reps = int(params.get("n_ensemble") or 50)
    rows = n_train + n_test
    return [1.0, reps * rows, reps * rows * d]


def _lunar(params, n_train, n_test, d, budget) -> list[float]:
    # neighbours of 2 n_train rows (negatives added), then full-batch epochs over them
    epochs = int(params.get("n_epochs") or 200)
    return [1.0, n_train * n_train * d, epochs * n_train, n_test * n_train * d]


IFOREST_COST = CostModel("trees x (n_train + n_test) x path length", _iforest)
LOF_COST = CostModel("k-NN search: n_train^2 + n_test x n_train (+ tree build)", _lof)
ECOD_COST = CostModel("empirical CDFs over (n_train + n_test) x d", _ecdf)
COPOD_COST = CostModel("empirical copula over (n_train + n_test) x d", _ecdf)
HBOS_COST = CostModel("histograms: (n_train + n_test) x d", _hbos)
PCA_COST = CostModel("covariance n_train x d^2, eigendecomposition d^3, n_test x d^2", _pca)
DEEPSVDD_COST = CostModel("epochs x ceil(n / batch) steps x (a + batch x d)", _deepsvdd)
DIF_COST = CostModel("n_ensemble random representations of (n_train + n_test) rows", _dif)
LUNAR_COST = CostModel("neighbours n_train^2 x d, epochs x n_train, n_test x n_train x d", _lunar)
