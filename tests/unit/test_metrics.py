"""Metrics and threshold policies on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark.evaluation.metrics import ranking_metrics, thresholded_metrics
from benchmark.evaluation.thresholds import apply_policy


def test_thresholded_metrics_by_hand():
    # 6 normals (2 wrongly flagged), 4 anomalies (3 caught).
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    m = thresholded_metrics(y, p)
    assert m["pass_acc"] == pytest.approx(4 / 6)
    assert m["non_pass_acc"] == pytest.approx(3 / 4)
    assert m["acc"] == pytest.approx(7 / 10)
    assert m["precision"] == pytest.approx(3 / 5)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1_anomaly"] == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    # Normal class positive: TP = 4 passed normals, FP = 1 missed anomaly, FN = 2 flagged normals.
    assert m["f1_normal"] == pytest.approx(2 * 4 / (2 * 4 + 1 + 2))


def test_empty_denominators_are_nan_not_zero():
    m = thresholded_metrics(np.zeros(5, int), np.zeros(5, int))
    assert m["pass_acc"] == 1.0
    assert math.isnan(m["non_pass_acc"]) and math.isnan(m["recall"])
    assert math.isnan(m["f1_anomaly"])
    flagged = thresholded_metrics(np.zeros(5, int), np.array([1, 0, 0, 0, 0]))
    assert math.isnan(flagged["f1_anomaly"]) and flagged["precision"] == 0.0  # no anomaly
    assert flagged["f1_normal"] == pytest.approx(2 * 4 / (2 * 4 + 1))
    r = ranking_metrics(np.zeros(5, int), np.arange(5.0))
    assert math.isnan(r["auroc"]) and math.isnan(r["auprc"])


def test_ranking_metrics_by_hand():
    y = np.array([0, 0, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.2, 0.9])
    # Pairs (anomaly, normal) ranked correctly: 0.35 beats 0.1, 0.2 (not 0.4); 0.9 beats all.
    assert ranking_metrics(y, s)["auroc"] == pytest.approx(5 / 6)
    # AP: ranks 0.9 (hit, P=1), 0.4 (miss), 0.35 (hit, P=2/3) -> (1 + 2/3) / 2.
    assert ranking_metrics(y, s)["auprc"] == pytest.approx((1 + 2 / 3) / 2)


def test_policies():
    train = np.linspace(0, 1, 1001)
    test = np.array([0.2, 0.996, 0.999, 1.5, 0.5])
    y = np.array([0, 0, 1, 1, 0])
    tq = apply_policy("train-quantile", test, train_scores=train, y_test=y)
    assert tq.threshold == pytest.approx(0.995)
    assert tq.pred.tolist() == [False, True, True, True, False]
    nat = apply_policy("native", test, train_scores=train, y_test=y, native_threshold=0.9975)
    assert nat.pred.tolist() == [False, False, True, True, False]
    fallback = apply_policy("native", test, train_scores=train, y_test=y)
    assert fallback.pred.tolist() == tq.pred.tolist() and "train-quantile" in fallback.note
    oracle = apply_policy("oracle-f1", test, train_scores=train, y_test=y)
    assert oracle.pred.tolist() == [False, False, True, True, False]  # F1 = 1 is reachable
    assert "oracle" in oracle.note
    topk = apply_policy("top-k", test, train_scores=train, y_test=y)
    assert topk.pred.tolist() == [False, False, True, True, False]
    rho = apply_policy("top-rho", test, train_scores=train, y_test=y, rho=0.2)
    assert rho.pred.tolist() == [False, False, False, True, False]
    with pytest.raises(ValueError, match="unknown threshold policy"):
        apply_policy("best", test, train_scores=train, y_test=y)
