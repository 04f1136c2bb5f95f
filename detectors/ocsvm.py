"""One-class SVM with an RBF kernel, nu = 0.5 and gamma = 1/d (scikit-learn)."""

from __future__ import annotations

import numpy as np
from sklearn.svm import OneClassSVM

from benchmark.base import Detector
from benchmark.registry import CostModel, register_detector


def _ocsvm_terms(params, n_train, n_test, d, budget) -> list[float]:
    m = n_train  # the rows it fits on (after the harness's cap)
    return [1.0, m * m, m * m * d, m * n_test, m * n_test * d]


OCSVM_COST = CostModel(
    "m^2 x (a + b d) to fit (m = the training rows fitted), m x n_test x (c + e d) to score",
    _ocsvm_terms,
)


@register_detector(
    "ocsvm",
    cost=OCSVM_COST,
    presets={"quick": {}, "paper": {}, "smoke": {}},
    summary="RBF one-class SVM, nu=0.5, gamma=1/d (paper-era defaults)",
    # libsvm's fit grows about quadratically with n; the harness fits a seeded subsample
    # of this many training rows (recorded with every result).
    train_cap={"quick": 3000, "paper": None, "smoke": 1000},
)
class OCSVM(Detector):
    """RBF one-class SVM: score = minus scikit-learn's decision function.

    ``gamma="auto"`` is 1/d, the default of the scikit-learn release OCAN's baselines
    used. Native threshold 0 (scikit-learn flags a row when its decision value is < 0).
    The benchmark caps OCSVM's training rows through its registered ``train_cap``.
    """

    def __init__(
        self,
        nu: float = 0.5,
        gamma: float | str = "auto",
        kernel: str = "rbf",
        random_state: int | None = None,
    ):
        self.nu = nu
        self.gamma = gamma
        self.kernel = kernel
        self.random_state = random_state

    def _fit(self, X: np.ndarray) -> None:
        self.model_ = OneClassSVM(kernel=self.kernel, nu=self.nu, gamma=self.gamma).fit(X)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return -self.model_.decision_function(X)

    def _native_threshold(self) -> float:
        return 0.0
