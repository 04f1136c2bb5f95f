"""Metrics (``docs/design.md``, "Metrics and thresholds"): AUROC, AUPRC and per-threshold.

A metric whose denominator is empty (e.g. anomaly recall on a test set without
anomalies) is NaN, never a silent 0 or 1.
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["ranking_metrics", "thresholded_metrics", "THRESHOLDED", "RANKING"]

THRESHOLDED = (
    "pass_acc",
    "non_pass_acc",
    "acc",
    "f1_normal",
    "f1_anomaly",
    "precision",
    "recall",
)
RANKING = ("auroc", "auprc")


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def _f1(tp: int, fp: int, fn: int) -> float:
    """F1 = 2TP / (2TP + FP + FN); NaN when the class is absent from the labels.

    Without a single true member of the class (a file without anomalies) F1 would be 0
    whatever the detector did; it is undefined, like that class's recall.
    """
    return _ratio(2 * tp, 2 * tp + fp + fn) if tp + fn > 0 else float("nan")


def ranking_metrics(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUROC and AUPRC with the anomaly (y = 1) as the positive class; NaN if one class."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return {"auroc": float("nan"), "auprc": float("nan")}
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        raise ValueError(f"{int((~np.isfinite(scores)).sum())} non-finite scores")
    # Checked here once: scikit-learn's own input validation was half of a trivial cell's
    # metric time (profiled), so it is skipped.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return {
            "auroc": float(roc_auc_score(y, scores)),
            "auprc": float(average_precision_score(y, scores)),
        }


def thresholded_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Pass acc. (normals kept), non-pass acc. (anomalies caught), acc., both F1s, P and R."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    tp = int((pred & y).sum())  # anomaly flagged
    tn = int((~pred & ~y).sum())  # normal passed
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    return {
        "pass_acc": _ratio(tn, tn + fp),
        "non_pass_acc": _ratio(tp, tp + fn),
        "acc": _ratio(tp + tn, len(y)),
        "f1_normal": _f1(tn, fn, fp),
        "f1_anomaly": _f1(tp, fp, fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }
