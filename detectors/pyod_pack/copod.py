"""COPOD (Li et al., ICDM 2020) through PyOD's ``COPOD``."""

from __future__ import annotations

from pyod.models.copod import COPOD

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import COPOD_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "copod",
    group="extended",
    cost=COPOD_COST,
    presets=PRESETS_DEFAULTS,
    summary="COPOD: empirical-copula tail probabilities, parameter-free (Li et al. 2020; PyOD)",
)
class COPODDetector(PyODWrapper):
    """COPOD: tail probabilities of each row under the empirical copula of the features.

    Parameter-free, so every preset is the method itself. No randomness.
    """

    pyod_class = COPOD
    pinned = {"n_jobs": 1}

    def __init__(self):
        pass
