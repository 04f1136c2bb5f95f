"""ECOD (Li et al., TKDE 2022) through PyOD's ``ECOD``."""

from __future__ import annotations

from pyod.models.ecod import ECOD

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import ECOD_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "ecod",
    group="extended",
    cost=ECOD_COST,
    presets=PRESETS_DEFAULTS,
    summary="ECOD: empirical-CDF tail probabilities, parameter-free (Li et al. 2022; PyOD)",
)
class ECODDetector(PyODWrapper):
    """ECOD: sum over features of the log tail probability under each feature's ECDF.

    Parameter-free (the paper's point), so every preset is the method itself. Scores of
    test rows come from the training rows' ECDFs (PyOD >= 2 fits on the training rows and
    scores new rows against them). No randomness.
    """

    pyod_class = ECOD
    pinned = {"n_jobs": 1}

    def __init__(self):
        pass
