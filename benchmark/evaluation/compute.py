"""Compute one cell: preprocess its rows, fit the detector, score, evaluate every
threshold policy, and return the record with its score arrays (nothing is written here)."""

from __future__ import annotations

import contextlib
import platform
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.evaluation.cell import SCHEMA, TRAIN_CAP, Cell
from benchmark.evaluation.inputs import CellInputs, FoldInputs, capped_rows
from benchmark.evaluation.metrics import ranking_metrics, thresholded_metrics
from benchmark.evaluation.preprocessing import Preprocessor
from benchmark.evaluation.thresholds import POLICIES, apply_policy

__all__ = [
    "FittedCell",
    "capture_warnings",
    "compute_cell",
    "fit_cell",
    "peak_rss_mb",
    "reset_peak_rss",
    "versions",
]


@cache
def versions() -> dict[str, str]:
    """Versions of Python and of the packages that can change a result."""
    out = {"python": platform.python_version()}
    for pkg in ("mmoc-bench", "numpy", "scipy", "scikit-learn", "pyod", "torch", "pandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class FittedCell:
    """A cell's preprocessing fitted on its training rows, both row sets scaled by it,
    and (after :meth:`fit`) its fitted detector: the first half of every cell.

    ``X_train`` holds the rows the detector is fitted on: the fold's training rows, or
    the seeded subsample ``fit_rows`` of them when the cell's training cap binds.
    """

    preprocessor: Preprocessor
    X_train: np.ndarray
    X_test: np.ndarray
    detector: Any = None
    fit_seconds: float = float("nan")
    fit_cpu_seconds: float = float("nan")  # process CPU time: what the cost model predicts
    n_train: int = 0  # the fold's training rows
    fit_rows: np.ndarray | None = None  # the subsample fitted on (None: every row)
    summary: dict = field(default_factory=dict)  # the preprocessing summary of the record

    @classmethod
    def preprocess(cls, cell: Cell, inputs: CellInputs | FoldInputs) -> FittedCell:
        """Build the fold's rows, fit the cell's preprocessing on all its training rows,
        scale both row sets, then keep the capped subsample of the training rows.

        The scaling is fitted before the cap, so it does not depend on the cap (and a
        a capped OCSVM fits the rows its former ``max_samples`` parameter chose).
        """
        rows = inputs.materialise()
        pre = Preprocessor(cell.preprocessing).fit(rows.X_train)
        fitted = cls(pre, pre.transform(rows.X_train), pre.transform(rows.X_test))
        fitted.summary = pre.summary(rows.X_train, rows.X_test)
        fitted.n_train = rows.n_train
        del rows  # the raw copies: only the scaled rows are kept from here on
        fitted.fit_rows = capped_rows(fitted.n_train, cell.extra.get(TRAIN_CAP), cell.seed)
        if fitted.fit_rows is not None:
            fitted.X_train = fitted.X_train[fitted.fit_rows]
        return fitted

    def fit(self, detector_cls: type, params: dict[str, Any]) -> FittedCell:
        """Build the detector from ``params`` and fit it on the scaled training rows."""
        self.detector = detector_cls(**params)
        t0, c0 = time.perf_counter(), time.process_time()
        self.detector.fit(self.X_train)
        self.fit_seconds = time.perf_counter() - t0
        self.fit_cpu_seconds = time.process_time() - c0
        return self


def fit_cell(cell: Cell, inputs: CellInputs | FoldInputs, detector_cls: type) -> FittedCell:
    """Preprocess and fit ``cell`` exactly as :func:`compute_cell` does (a refit of a
    finished cell, e.g. Figure 4's, gets the cell's model); exceptions propagate."""
    return FittedCell.preprocess(cell, inputs).fit(detector_cls, cell.params)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


#: Distinct warnings kept per cell (their repeats are counted, not stored).
MAX_WARNINGS = 20


def summarise_warnings(caught: list[warnings.WarningMessage]) -> list[dict]:
    """Distinct (category, message) pairs with how often each was emitted."""
    out: dict[tuple[str, str], dict] = {}
    for w in caught:
        text = str(w.message).strip().splitlines()
        key = (w.category.__name__, text[0] if text else "")
        if key in out:
            out[key]["count"] += 1
        elif len(out) < MAX_WARNINGS:
            where = f"{Path(w.filename).name}:{w.lineno}"
            out[key] = {"category": key[0], "message": key[1], "where": where, "count": 1}
    return list(out.values())


@contextlib.contextmanager
def capture_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning a detector emits (not deprecations) instead of printing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        yield caught


def compute_cell(
    cell: Cell,
    inputs: CellInputs | FoldInputs,
    detector_cls: type,
    fitted: FittedCell | None = None,
) -> tuple[dict, dict]:
    """Preprocess, fit, score and evaluate one cell; returns (record, score arrays).

    Exceptions and unusable scores become a ``failed`` record; nothing is raised.
    Warnings the detector emits (e.g. scikit-learn's ``ConvergenceWarning``) go into the
    record's ``warnings`` (and the report) instead of being printed over the progress
    bar. (Warning capture is process-wide: cells run in-process must not run in threads.)
    """
    with capture_warnings() as caught:
        record, arrays = _compute(cell, inputs, detector_cls, fitted)
    if caught:
        record["warnings"] = summarise_warnings(caught)
    return record, arrays


def peak_rss_mb() -> float:
    """This process's peak resident memory since :func:`reset_peak_rss`, in MB (a
    worker resets it before each task, so it is the cell's; ``VmHWM`` on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start :func:`peak_rss_mb` again from the memory in use now (Linux; else a no-op)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # pragma: no cover - not Linux, or not allowed
        pass


def _compute(
    cell: Cell, inputs: CellInputs | FoldInputs, detector_cls: type, fitted: FittedCell | None
) -> tuple[dict, dict]:
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "config_hash": cell.config_hash(),
        "cell": asdict(cell),
        "status": "failed",
        "error": None,
        "traceback": None,
        "versions": versions(),
        "n_train": inputs.n_train,
        "n_test": inputs.n_test,
        "n_test_anomalies": int(inputs.y_test.sum()),
    }
    arrays: dict[str, np.ndarray] = {}
    try:
        prefitted = fitted is not None  # fitted with its other folds (fold_groups.py)
        if not prefitted:
            fitted = FittedCell.preprocess(cell, inputs)
        record["preprocessing"] = fitted.summary
        if fitted.fit_rows is not None:
            record["train_cap"] = int(cell.extra[TRAIN_CAP])
        record["n_train_fit"] = int(fitted.X_train.shape[0])
        detector = (fitted if prefitted else fitted.fit(detector_cls, cell.params)).detector
        X_test = fitted.X_test
        t1, c1 = time.perf_counter(), time.process_time()
        scores = np.asarray(detector.decision_function(X_test), dtype=np.float64).reshape(-1)
        t2, c2 = time.perf_counter(), time.process_time()
        if scores.shape[0] != X_test.shape[0]:
            raise ValueError(
                f"detector returned {scores.shape[0]} scores for {X_test.shape[0]} rows"
            )
        if not np.isfinite(scores).all():
            raise ValueError(
                f"detector returned {int((~np.isfinite(scores)).sum())} non-finite scores"
            )
        train_scores = np.asarray(detector.decision_scores_, dtype=np.float64).reshape(-1)
        native = getattr(detector, "native_threshold_", None)
        record["fit_seconds"] = fitted.fit_seconds
        record["score_seconds"] = t2 - t1
        record["fit_cpu_seconds"] = fitted.fit_cpu_seconds
        record["score_cpu_seconds"] = c2 - c1
        record["native_threshold"] = native
        record["device"] = str(getattr(detector, "device_", "cpu"))
        history = getattr(detector, "history_", None)
        if history:
            record["history"] = [{k: float(v) for k, v in h.items()} for h in history]
        record["ranking"] = ranking_metrics(inputs.y_test, scores)
        record["policies"] = {}
        for policy in POLICIES:
            res = apply_policy(
                policy,
                scores,
                train_scores=train_scores,
                y_test=inputs.y_test,
                native_threshold=native,
                rho=cell.rho,
            )
            record["policies"][policy] = {
                "threshold": res.threshold,
                "note": res.note,
                **thresholded_metrics(inputs.y_test, res.pred),
            }
        if inputs.y_test.sum() == 0:
            record["warning"] = (
                "no anomalies in the test rows: AUROC/AUPRC and recall are undefined"
            )
        arrays = {
            "test_scores": scores,
            "train_scores": train_scores,
            "y_test": inputs.y_test.astype(np.int8),
        }
        record["status"] = "ok"
    except Exception as exc:  # a failing detector is a result, not a crash of the run
        record["error"] = _one_line(exc)
        record["traceback"] = traceback.format_exc()
    record["peak_rss_mb"] = peak_rss_mb()
    return record, arrays
