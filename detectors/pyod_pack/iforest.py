"""Isolation Forest (Liu, Ting and Zhou, ICDM 2008) through PyOD's ``IForest``."""

from __future__ import annotations

from pyod.models.iforest import IForest

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import IFOREST_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "iforest",
    group="extended",
    cost=IFOREST_COST,
    presets=PRESETS_DEFAULTS,
    summary="Isolation Forest, 100 trees of 256 rows (Liu et al. 2008; PyOD IForest)",
)
class IForestDetector(PyODWrapper):
    """Isolation Forest: score = how few random splits isolate a row (short path = anomaly).

    Defaults are the paper's and PyOD's: 100 trees, each on ``max_samples="auto"`` =
    min(256, n) rows drawn without replacement, all features. Seeded by ``random_state``.
    """

    pyod_class = IForest
    pinned = {"n_jobs": 1, "verbose": 0}
    revision = 1

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int | float | str = "auto",
        max_features: int | float = 1.0,
        bootstrap: bool = False,
        random_state: int | None = None,
    ):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.random_state = random_state
