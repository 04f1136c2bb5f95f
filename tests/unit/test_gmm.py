"""GMM: the covariance type follows the rows per component (full, else diagonal)."""

from __future__ import annotations

import numpy as np

from benchmark.registry import get_detector
from detectors.gmm import resolve_covariance_type


def test_auto_covariance_is_full_only_with_more_rows_per_component_than_features():
    assert resolve_covariance_type("auto", 308, 274, 5) == "diag"  # arrhythmia
    assert resolve_covariance_type("auto", 1170, 590, 5) == "diag"  # secom
    assert resolve_covariance_type("auto", 2372, 166, 5) == "full"  # musk
    assert resolve_covariance_type("auto", 5 * 11, 10, 5) == "full"  # exactly d + 1 each
    assert resolve_covariance_type("auto", 5 * 11 - 1, 10, 5) == "diag"
    assert resolve_covariance_type("full", 10, 500, 5) == "full"  # an explicit type stays


def test_few_rows_per_component_keep_the_train_quantile_threshold_meaningful():
    # 150 normal rows x 60 features, 5 components: 30 rows per component cannot give a
    # full 60 x 60 covariance, and a full fit passes no held-out normal at the 99.5 %
    # training quantile; the diagonal fit ("auto") passes most of them.
    rng = np.random.default_rng(0)
    train, held_out = rng.normal(size=(150, 60)), rng.normal(size=(200, 60))
    spec = get_detector("gmm")
    auto = spec.build(random_state=0).fit(train)
    full = spec.build(covariance_type="full", random_state=0).fit(train)
    assert auto.covariance_type_ == "diag" and full.covariance_type_ == "full"
    assert (full.decision_function(held_out) <= full.threshold_).mean() < 0.05
    assert (auto.decision_function(held_out) <= auto.threshold_).mean() > 0.8
