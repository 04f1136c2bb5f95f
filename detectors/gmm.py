"""Gaussian mixture density: score = negative log-likelihood (scikit-learn)."""

from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture

from benchmark.base import Detector
from benchmark.registry import register_detector

#: Rows scored at a time (bounded memory: K x SCORE_BLOCK x d floats at most).
SCORE_BLOCK = 16_384


@register_detector(
    "gmm",
    presets={"quick": {}, "paper": {}, "smoke": {}},
    summary="full-covariance Gaussian mixture, negative log-likelihood",
    # EM costs n x K x d^2 per iteration, up to max_iter = 100 of them: about 11 s for 25k
    # rows at d = 118 (20 iterations, one thread), so 317k rows could pass 600 s.
    train_cap={"quick": 50_000, "paper": None, "smoke": 50_000},
)
class GMM(Detector):
    """Full-covariance Gaussian mixture fitted on the normals; score = -log p(x).

    Wraps :class:`sklearn.mixture.GaussianMixture` exactly as PyOD's ``GMM`` does.
    ``n_components`` is the number of mixture components (PyOD's default is 1; the
    normal class of most data sets here is multi-modal, so 5 is ours).
    """

    def __init__(
        self,
        n_components: int = 5,
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        random_state: int | None = None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, X: np.ndarray) -> None:
        self.model_ = GaussianMixture(
            n_components=min(self.n_components, X.shape[0]),
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            random_state=self.random_state,
        ).fit(X)

    def _score(self, X: np.ndarray) -> np.ndarray:
        # In blocks: score_samples builds an (n, d) array per component at once.
        return np.concatenate(
            [
                -self.model_.score_samples(X[i : i + SCORE_BLOCK])
                for i in range(0, len(X), SCORE_BLOCK)
            ]
        )
