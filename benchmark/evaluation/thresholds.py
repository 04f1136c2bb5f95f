"""Threshold policies (``docs/design.md``, "Metrics and thresholds"): scores to flags.

Policies are wrappers around a fitted detector's scores, not flags baked into detectors
(as river does it). ``oracle-f1`` looks at the test labels: it is an **oracle** and is
labelled so in every table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_curve

from benchmark.base import TRAIN_QUANTILE

__all__ = ["POLICIES", "ORACLE_POLICIES", "apply_policy", "PolicyResult"]

POLICIES = ("native", "train-quantile", "oracle-f1", "top-k", "top-rho")
ORACLE_POLICIES = frozenset({"oracle-f1"})


@dataclass
class PolicyResult:
    """Flags for the test rows, the threshold used, and a note (e.g. a fallback)."""

    pred: np.ndarray
    threshold: float
    note: str = ""


def _top(scores: np.ndarray, k: int) -> PolicyResult:
    k = int(np.clip(k, 0, len(scores)))
    pred = np.zeros(len(scores), dtype=bool)
    if k > 0:
        order = np.argsort(-scores, kind="stable")
        pred[order[:k]] = True
        return PolicyResult(pred, float(scores[order[k - 1]]))
    return PolicyResult(pred, float("inf"))


def apply_policy(
    policy: str,
    test_scores: np.ndarray,
    *,
    train_scores: np.ndarray,
    y_test: np.ndarray,
    native_threshold: float | None = None,
    quantile: float = TRAIN_QUANTILE,
    rho: float | None = None,
) -> PolicyResult:
    """Flag test rows under ``policy``; ``rho`` is the data set's anomaly rate (``top-rho``)."""
    s = np.asarray(test_scores, dtype=np.float64)
    if policy == "native":
        if native_threshold is None:
            res = apply_policy("train-quantile", s, train_scores=train_scores, y_test=y_test)
            res.note = "no native rule: train-quantile"
            return res
        return PolicyResult(s > native_threshold, float(native_threshold))
    if policy == "train-quantile":
        thr = float(np.quantile(train_scores, quantile))
        return PolicyResult(s > thr, thr)
    if policy == "oracle-f1":
        y = np.asarray(y_test).astype(int)
        if y.min() == y.max():
            return PolicyResult(
                np.zeros(len(s), bool), float("nan"), "undefined: one class in test"
            )
        precision, recall, thr = precision_recall_curve(y, s)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
        best = int(np.argmax(f1[:-1]))
        return PolicyResult(s >= thr[best], float(thr[best]), "oracle: uses test labels")
    if policy == "top-k":
        return _top(s, int(np.asarray(y_test).sum()))
    if policy == "top-rho":
        if rho is None:
            raise ValueError("top-rho needs the data set's anomaly rate rho")
        return _top(s, int(round(rho * len(s))))
    raise ValueError(f"unknown threshold policy {policy!r}; choose from {POLICIES}")
