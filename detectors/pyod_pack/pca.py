"""PCA outlier score (Shyu et al., ICDM Foundations workshop 2003) through PyOD's ``PCA``."""

from __future__ import annotations

from pyod.models.pca import PCA

from benchmark.registry import register_detector
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "pca",
    group="extended",
    presets=PRESETS_DEFAULTS,
    summary="PCA: eigenvalue-weighted distances to all principal axes (Shyu et al. 2003; PyOD)",
)
class PCADetector(PyODWrapper):
    """PCA: sum of a row's squared projections on the principal axes, each divided by its
    eigenvalue (a Mahalanobis distance in the principal basis; minor axes weigh most).

    PyOD's defaults: every component (``n_components=None``), all of them in the score,
    ``weighted=True``, features standardised inside. ``random_state`` only matters to a
    randomised SVD solver, which the defaults do not choose.
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
