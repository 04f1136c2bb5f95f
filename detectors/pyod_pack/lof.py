"""Local Outlier Factor (Breunig et al., SIGMOD 2000) through PyOD's ``LOF``."""

from __future__ import annotations

from pyod.models.lof import LOF

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import LOF_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "lof",
    group="extended",
    cost=LOF_COST,
    presets=PRESETS_DEFAULTS,
    summary="Local Outlier Factor, k=20 (Breunig et al. 2000; PyOD LOF)",
    # Neighbour search grows with n_train^2, as ocnn-neighbor's: the same cap, above every
    # bundled set (shuttle: ~36.5k training rows), so their results are exact.
    train_cap={"quick": 50_000, "paper": None, "smoke": 50_000},
)
class LOFDetector(PyODWrapper):
    """LOF: a row's local reachability density relative to its neighbours' (high = anomaly).

    PyOD's defaults: ``n_neighbors=20`` (within the paper's recommended MinPts 10-20),
    Euclidean distance, novelty mode (test rows are scored against the training rows;
    training scores are the leave-one-out ``negative_outlier_factor_``). No randomness.
    """

    pyod_class = LOF
    pinned = {"n_jobs": 1, "novelty": True}

    def __init__(
        self,
        n_neighbors: int = 20,
        algorithm: str = "auto",
        leaf_size: int = 30,
        metric: str = "minkowski",
        p: int = 2,
    ):
        self.n_neighbors = n_neighbors
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p

    def _make_model(self, X):
        params = self._pyod_params(X)
        params["n_neighbors"] = min(self.n_neighbors, X.shape[0] - 1)  # a tiny fold
        return self.pyod_class(**params)
