"""Gaussian mixture density: score = negative log-likelihood (scikit-learn)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.mixture import GaussianMixture

from benchmark.base import Detector
from benchmark.registry import CostModel, register_detector

#: Rows scored at a time (bounded memory: K x SCORE_BLOCK x d floats at most).
SCORE_BLOCK = 16_384


def resolve_covariance_type(covariance_type: str, n: int, d: int, n_components: int) -> str:
    """``"auto"``: ``"full"`` when each of the K components can have a non-singular covariance
    (n >= K (d + 1) training rows), else ``"diag"``; any other value is returned as is.

    A covariance estimated from m rows has rank at most m - 1, so a full d x d covariance
    needs m > d rows; with fewer, EM fits the training rows on a degenerate subspace
    (held only by ``reg_covar``) and a held-out normal row off that subspace gets a
    likelihood many orders of magnitude below every training row's (scikit-learn user
    guide, "Gaussian mixture models", the cons of ``GaussianMixture``: "Singularities:
    when one has insufficiently many points per mixture, estimating the covariance
    matrices becomes difficult"). A diagonal covariance needs only 2 rows per component.
    """
    if covariance_type != "auto":
        return covariance_type
    return "full" if n >= n_components * (d + 1) else "diag"


def _gmm_terms(params, n_train, n_test, d, budget) -> list[float]:
    # EM stops at tol long before max_iter (100) on real data: 6.8 s measured against 169 s
    # modelled with max_iter in the term (35 paper cells, 2026-12-05), so the coefficients
    # carry the typical number of iterations
    k = int(params.get("n_components") or 1)
    work = n_train * k
    return [1.0, work * d, work * d * d, n_test * k * d * d]


GMM_COST = CostModel(
    "n_train x k x (a d + b d^2) per EM iteration, typical iterations in a, b; n_test x k x d^2",
    _gmm_terms,
)


@register_detector(
    "gmm",
    cost=GMM_COST,
    presets={"quick": {}, "paper": {}, "smoke": {}},
    summary="Gaussian mixture (full covariance, diagonal when rows < K (d+1)), -log-likelihood",
    # EM costs n x K x d^2 per iteration, up to max_iter = 100 of them: about 11 s for 25k
    # rows at d = 118 (20 iterations, one thread), so 317k rows could pass 600 s.
    train_cap={"quick": 50_000, "paper": None, "smoke": 50_000},
)
class GMM(Detector):
    """Gaussian mixture fitted on the normals; score = -log p(x).

    Wraps :class:`sklearn.mixture.GaussianMixture` as PyOD's ``GMM`` does.
    ``n_components`` is the number of mixture components (PyOD's default is 1; the
    normal class of most data sets here is multi-modal, so 5 is ours).
    ``covariance_type="auto"`` (the default) is PyOD's and scikit-learn's ``"full"``
    whenever the training rows allow every component a non-singular covariance
    (n >= K (d + 1)), and ``"diag"`` otherwise (see :func:`resolve_covariance_type`);
    the type used is ``covariance_type_``. ``"full"``, ``"diag"``, ``"tied"`` and
    ``"spherical"`` force one.
    """

    #: 2: covariance_type="auto" by default (diagonal when rows < K (d + 1)) (2026-12-04).
    revision: ClassVar[int] = 2

    def __init__(
        self,
        n_components: int = 5,
        covariance_type: str = "auto",
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
        k = min(self.n_components, X.shape[0])
        self.covariance_type_ = resolve_covariance_type(
            self.covariance_type, X.shape[0], X.shape[1], k
        )
        self.model_ = GaussianMixture(
            n_components=k,
            covariance_type=self.covariance_type_,
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
