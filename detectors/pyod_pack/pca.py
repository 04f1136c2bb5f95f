"""PCA outlier score (Shyu et al., ICDM Foundations workshop 2003) through PyOD's ``PCA``."""

from __future__ import annotations

import warnings

import numpy as np
from pyod.models.pca import PCA

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import PCA_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "pca",
    group="extended",
    cost=PCA_COST,
    presets=PRESETS_DEFAULTS,
    summary="PCA: eigenvalue-weighted distances to all principal axes (Shyu et al. 2003; PyOD)",
)
class PCADetector(PyODWrapper):
    """PCA: sum of a row's squared projections on the principal axes, each divided by its
    eigenvalue (a Mahalanobis distance in the principal basis; minor axes weigh most).

    PyOD's defaults: every component (``n_components=None``), all of them in the score,
    ``weighted=True``, features standardised inside. ``random_state`` only matters to a
    randomised SVD solver, which the defaults do not choose. When the training rows leave
    components of zero variance (a constant or collinear column), PyOD's scores would be
    infinite; the fit is then redone on the components with variance, with a warning.
    """

    pyod_class = PCA
    pinned = {"copy": True}

    def __init__(
        self,
        n_components: int | float | None = None,
        n_selected_components: int | None = None,
        whiten: bool = False,
        svd_solver: str = "auto",
        weighted: bool = True,
        standardization: bool = True,
        random_state: int | None = None,
    ):
        self.n_components = n_components
        self.n_selected_components = n_selected_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.weighted = weighted
        self.standardization = standardization
        self.random_state = random_state

    def _make_model(self, X):
        params = self._pyod_params(X)
        if getattr(self, "n_components_used_", None) is not None:
            params["n_components"] = self.n_components_used_
        return self.pyod_class(**params)

    def _fit(self, X):
        self.n_components_used_ = None
        with np.errstate(divide="ignore", invalid="ignore"):  # a degenerate fit is redone
            super()._fit(X)
        weights = np.asarray(self.model_.selected_w_components_, dtype=np.float64)
        kept = int(np.count_nonzero(weights > 0))
        if self.n_components is None and 0 < kept < weights.size:
            # A constant or collinear column leaves components of zero variance, and
            # PyOD divides each distance by its component's variance ratio: inf scores.
            # Refit on the components that have variance (full-rank folds never get here,
            # so their scores stay PyOD's own).
            warnings.warn(
                f"PCA: {weights.size - kept} of {weights.size} principal components have"
                " zero variance in the training rows (constant or collinear columns);"
                f" scoring on the other {kept}",
                RuntimeWarning,
                stacklevel=2,
            )
            self.n_components_used_ = kept
            super()._fit(X)
