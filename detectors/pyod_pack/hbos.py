"""HBOS (Goldstein and Dengel, KI 2012) through PyOD's ``HBOS``."""

from __future__ import annotations

from pyod.models.hbos import HBOS

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import HBOS_COST
from detectors.pyod_pack.wrapper import PRESETS_DEFAULTS, PyODWrapper


@register_detector(
    "hbos",
    group="extended",
    cost=HBOS_COST,
    presets=PRESETS_DEFAULTS,
    summary="Histogram-based outlier score, 10 bins per feature (Goldstein & Dengel 2012; PyOD)",
)
class HBOSDetector(PyODWrapper):
    """HBOS: sum over features of the log inverse height of the row's histogram bin.

    PyOD's defaults: ``n_bins=10`` static bins, ``alpha=0.1`` (regulariser of empty bins),
    ``tol=0.5`` (how far outside the bins a test value still takes the edge bin's height).
    No randomness.
    """

    pyod_class = HBOS

    def __init__(self, n_bins: int | str = 10, alpha: float = 0.1, tol: float = 0.5):
        self.n_bins = n_bins
        self.alpha = alpha
        self.tol = tol
