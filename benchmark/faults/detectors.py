"""Deliberately broken detectors (``fault-*``; hidden, never in tables): the suite's one set
of failing test doubles, used by the fault kit and by the harness tests.

Importing this module registers them; the product never does. A run knows them when the
kit started it (``python -m benchmark.faults cli``) or imported them (in-process trials,
tests); a cell's child gets its detector class pickled by reference, so unpickling it
imports this module there too. Each breaks in one way a real detector can: it raises,
returns NaN/inf or the wrong number of scores, hangs, allocates too much memory, is
killed by the operating system, or fills the disk while its result is being saved.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from benchmark.base import Detector
from benchmark.faults.disk import fill_disk
from benchmark.registry import register_detector
from detectors.gmm import GMM
from detectors.ocan import OCAN

__all__ = ["FAULT_DETECTORS"]

#: Registered fault detector name -> what the harness must report for it (NaN is caught by
#: the harness's check of the scores, inf by the base class's own, worded differently).
FAULT_DETECTORS = {
    "fault-raises": "boom in fit",
    "fault-nan": "non-finite scores",
    "fault-inf": "non-finite score(s)",
    "fault-count": "scores for",
    "fault-hang": "exceeded --timeout",
    "fault-oom": "MemoryError",
    "fault-killed": "worker died from signal SIGKILL",
    "fault-disk-full": "No space left on device",
}


class _Tiny(Detector):
    """A trivial fitted detector: distance to the training mean."""

    def _fit(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(axis=0)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return np.linalg.norm(X - self.mean_, axis=1)


@register_detector("fault-raises", hidden=True)
class Raises(_Tiny):
    """Raises in fit."""

    def _fit(self, X: np.ndarray) -> None:
        raise RuntimeError("boom in fit")


@register_detector("fault-nan", hidden=True)
class NanScores(_Tiny):
    """Returns NaN scores, bypassing the base class's own check."""

    def decision_function(self, X) -> np.ndarray:
        return np.full(len(X), np.nan)


@register_detector("fault-inf", hidden=True)
class InfScores(_Tiny):
    """Scores +inf for half the held-out rows, which the base class's own check catches."""

    def _fit(self, X: np.ndarray) -> None:
        super()._fit(X)
        self.decision_scores_ = np.zeros(len(X))

    def _score(self, X: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(X))
        scores[::2] = np.inf
        return scores


@register_detector("fault-count", hidden=True)
class WrongCount(_Tiny):
    """Returns one score too few."""

    def decision_function(self, X) -> np.ndarray:
        return np.zeros(max(0, len(X) - 1))


@register_detector("fault-hang", hidden=True)
class Hangs(_Tiny):
    """Never returns from fit (a run needs ``--timeout``)."""

    def _fit(self, X: np.ndarray) -> None:
        time.sleep(3600)


@register_detector("fault-oom", hidden=True)
class Hog(_Tiny):
    """Allocates and touches ``gib`` GiB in fit: bounded, but more than a memory limit."""

    def __init__(self, gib: float = 2.0):
        self.gib = gib

    def _fit(self, X: np.ndarray) -> None:
        block = np.ones(int(self.gib * 2**30) // 8)  # MemoryError under RLIMIT_AS
        block[:: 4096 // 8] = 2.0
        raise RuntimeError(f"allocated {self.gib} GiB: no memory limit was in force")


@register_detector("fault-killed", hidden=True)
class Killed(_Tiny):
    """Is killed by SIGKILL in fit, as the kernel's out-of-memory killer would."""

    def _fit(self, X: np.ndarray) -> None:
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)


@register_detector("fault-disk-full", hidden=True)
class DiskFull(GMM):
    """A Gaussian mixture whose process then finds the disk full when saving the result."""

    def _fit(self, X: np.ndarray) -> None:
        super()._fit(X)
        fill_disk()  # the next write of this process fails: the result's


_FEW_STEPS = {"max_steps": 20, "n_epochs": 1000, "batch_size": 70}


@register_detector(
    "fault-group-fit", presets={p: _FEW_STEPS for p in ("quick", "paper", "smoke")}, hidden=True
)
class GroupFitBreaks(OCAN):
    """``ocan`` whose batched fit of several folds raises while each fold alone fits: the
    engine must then compute the folds one by one, each with ``ocan``'s own result. (Not
    in ``FAULT_DETECTORS``: its cells succeed.)"""

    @classmethod
    def fit_group(cls, detectors, Xs):
        if len(detectors) > 1:
            raise RuntimeError("the batched fit broke")
        return super().fit_group(detectors, Xs)
