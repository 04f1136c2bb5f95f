"""The one detector contract of the suite: a high score means an anomaly.

Every detector is a scikit-learn estimator (hyper-parameters stored unchanged in
``__init__``, all work in ``fit``, fitted attributes end in ``_``) with PyOD's API:

* ``fit(X)`` learns from training **normals** only;
* ``decision_function(X)`` returns one finite score per row, **higher = more anomalous**;
* ``predict(X)`` flags rows whose score exceeds ``threshold_`` (1 = anomaly);
* ``native_threshold_`` is the detector's own decision rule on that score scale
  (e.g. 0.5 for ``1 - P(real)``), or ``None`` when it has none.

Subclasses implement ``_fit(X)`` and ``_score(X)`` on validated float64 arrays; the base
class does the validation, computes the training scores and the threshold.  Other
threshold rules are applied from outside by :mod:`benchmark.evaluation.thresholds`.

After every fit the base class checks that the model did not collapse: training scores
whose central 90 % spread over less than :data:`COLLAPSE_SPREAD` of their magnitude give
a :class:`CollapseWarning` (the harness records it in the cell; ``docs/design.md``,
"Instability and collapse"), and ``collapse_`` lists the findings (empty when healthy).
Neural detectors add a check of their weights (:class:`detectors.neural.NeuralDetector`).
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "COLLAPSE_SPREAD",
    "CollapseWarning",
    "Detector",
    "DetectorError",
    "TRAIN_QUANTILE",
    "score_spread",
    "validate_features",
]

#: The default train-quantile of the paper: 99.5 % of training normals pass.
TRAIN_QUANTILE = 0.995

#: Training scores whose central 90 % spread over less than this fraction of their
#: magnitude (:func:`score_spread`) count as near-constant. Float32 rounding of a constant
#: output leaves ~1e-7; healthy fits measured 0.35-2.0 (gmm, ocnn-neighbor, ocsvm on the
#: 13 bundled sets, smoke) and 0.14-1.4 (the neural detectors, smoke and quick):
#: 1e-4 sits 1000x from both (docs/design.md, "Instability and collapse").
COLLAPSE_SPREAD = 1e-4


class DetectorError(ValueError):
    """A detector was given bad input or produced unusable output."""


class CollapseWarning(UserWarning):
    """A fitted model collapsed: near-constant training scores or a vanished weight matrix.

    Its scores then rank rows by rounding noise, or barely at all; the fit is kept (the
    cell still counts) and the warning goes into the cell's record and the report.
    ``source`` is the detector that emitted it (a fold of a group fit is told apart by it).
    """

    def __init__(self, message: str, source: object = None):
        super().__init__(message)
        self.source = source


def score_spread(scores: np.ndarray) -> tuple[float, float]:
    """``(spread, scale)`` of training scores: ``q95 - q05`` and ``max(|q05|, |q95|)``.

    ``spread / scale`` is the relative width of the central 90 % of the scores: 0 for a
    constant score (one value, or 90 % of the rows sharing one), ~1 for healthy ones. The
    central 90 % ignores a few extreme rows, which would hide a collapse behind a large
    scale; the score's own magnitude as the scale makes the ratio free of its unit.
    """
    lo, hi = np.quantile(np.asarray(scores, dtype=np.float64), [0.05, 0.95])
    return float(hi - lo), float(max(abs(lo), abs(hi)))


def validate_features(X, *, n_features: int | None = None, what: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D float64 array, or raise a one-line error naming the problem."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DetectorError(f"{what} must be numeric: {exc}") from None
    if arr.ndim != 2:
        raise DetectorError(f"{what} must be 2-D (rows x features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DetectorError(f"{what} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise DetectorError(f"{what} contains {bad} NaN/inf value(s); impute or drop them first")
    if n_features is not None and arr.shape[1] != n_features:
        raise DetectorError(
            f"{what} has {arr.shape[1]} features but the detector was fitted on {n_features}"
        )
    return arr


class Detector(BaseEstimator):
    """Base class of every one-class detector: fit on normals, high score = anomaly.

    Class attributes a subclass may override:

    ``preprocessing``
        ``"standard"`` (z-score, default), ``"minmax"`` ([0, 1]) or ``"none"``: how the
        harness scales features, fitted on the training rows only.
    ``neural``
        True for detectors trained by gradient descent (used by reports and presets).
    ``revision``
        The detector's code revision: raise it in any change meant to move its results
        (an algorithm, a default, a numerical path). It is part of a cell's identity, so a
        run folder recomputes that detector's cells instead of reusing numbers the old
        code computed (``docs/design.md``, "The life of a cell").
    """

    preprocessing: ClassVar[str] = "standard"
    neural: ClassVar[bool] = False
    revision: ClassVar[int] = 1
    #: True where the class has ``fit_group(detectors, Xs)``: k folds trained as one batch.
    fold_batchable: ClassVar[bool] = False

    @classmethod
    def preprocessing_for(cls, params: dict) -> str:
        """The scaling the harness applies for this detector built with ``params``.

        The class's ``preprocessing`` unless a parameter chooses it (MMOC-GAN's ``scaling``).
        """
        return cls.preprocessing

    # -- to implement -------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _native_threshold(self) -> float | None:
        """The detector's own threshold on its score scale; ``None`` if it has none."""
        return None

    # -- public API -----------------------------------------------------------------
    def fit(self, X, y=None) -> Detector:
        """Fit on training normals ``X`` (``y`` is ignored: one-class training)."""
        X = self._begin_fit(X)
        self._fit(X)
        return self._end_fit(X)

    def _begin_fit(self, X) -> np.ndarray:
        """Validate the training data and forget a previous fit; returns it as float64."""
        X = validate_features(X, what="training data")
        if X.shape[0] < 2:
            raise DetectorError("training data needs at least 2 rows")
        self.n_features_in_ = X.shape[1]
        self.__dict__.pop("decision_scores_", None)  # a refit must not reuse old scores
        return X

    def _end_fit(self, X: np.ndarray) -> Detector:
        """After ``_fit``: the training scores and the threshold."""
        train_scores = getattr(self, "decision_scores_", None)
        if train_scores is None:
            train_scores = self._checked_scores(X)
        self.decision_scores_ = np.asarray(train_scores, dtype=np.float64)
        self.native_threshold_ = self._native_threshold()
        if self.native_threshold_ is not None:
            self.threshold_ = float(self.native_threshold_)
        else:
            self.threshold_ = float(np.quantile(self.decision_scores_, TRAIN_QUANTILE))
        self.collapse_ = self._collapse_findings()
        for finding in self.collapse_:
            warnings.warn(CollapseWarning(finding, self), stacklevel=2)
        return self

    def _collapse_findings(self) -> list[str]:
        """One sentence per sign of collapse of the fitted model (none: healthy).

        Here: near-constant training scores. Subclasses add their own signs (neural
        detectors: a weight matrix whose norm vanished) and call this one.
        """
        spread, scale = score_spread(self.decision_scores_)
        if spread > COLLAPSE_SPREAD * scale or not np.isfinite(scale):
            return []  # healthy; non-finite scores are the score checks' business
        ratio = spread / scale if scale > 0 else 0.0
        return [
            f"{self._display_name()}: training scores near-constant: relative spread"
            f" {ratio:.3g} (their central 90 % spans {spread:.3g} at magnitude {scale:.3g};"
            f" collapse below {COLLAPSE_SPREAD:g}): the scores cannot rank rows"
        ]

    def _display_name(self) -> str:
        """The registered name (``ocnn-network``), or the class name of an unregistered one."""
        return getattr(type(self), "registry_name", type(self).__name__)

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score of each row of ``X``: higher = more anomalous."""
        check_is_fitted(self, "n_features_in_")
        X = validate_features(X, n_features=self.n_features_in_)
        return self._checked_scores(X)

    def predict(self, X) -> np.ndarray:
        """1 for rows scored above ``threshold_`` (anomalies), 0 otherwise."""
        check_is_fitted(self, "threshold_")
        return (self.decision_function(X) > self.threshold_).astype(np.int8)

    def _checked_scores(self, X: np.ndarray) -> np.ndarray:
        scores = np.asarray(self._score(X), dtype=np.float64).reshape(-1)
        if scores.shape[0] != X.shape[0]:
            raise DetectorError(
                f"{type(self).__name__} returned {scores.shape[0]} scores for {X.shape[0]} rows"
            )
        if not np.isfinite(scores).all():
            bad = int((~np.isfinite(scores)).sum())
            raise DetectorError(f"{type(self).__name__} returned {bad} non-finite score(s)")
        return scores
