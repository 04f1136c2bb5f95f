"""One benchmark cell = one (data set, detector, fold): a pure function of its configuration.

A cell is computed by :func:`compute_cell` and written by :func:`write_cell` as two files
beside each other: ``foldK.npz`` (scores) then ``foldK.json`` (metadata and metrics).
Both are written atomically and the JSON, written last, records the sha256 of the npz,
so a cell is finished exactly when :func:`load_cell` accepts its JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import re
import time
import traceback
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.atomic import atomic_save_npz, atomic_write_json
from benchmark.inputs import CellInputs, FoldInputs, capped_rows
from benchmark.metrics import ranking_metrics, thresholded_metrics
from benchmark.preprocessing import Preprocessor
from benchmark.thresholds import POLICIES, apply_policy

__all__ = [
    "SCHEMA",
    "ROUTINE_REASONS",
    "Cell",
    "CellInputs",
    "FittedCell",
    "FoldInputs",
    "TRAIN_CAP",
    "cell_seed",
    "compute_cell",
    "fit_cell",
    "write_cell",
    "failure_record",
    "load_cell",
    "record_path",
    "versions",
]

#: The key of ``Cell.extra`` holding the training-row cap, set only when the cap binds
#: (so a cell on a small data set keeps the configuration hash it always had).
TRAIN_CAP = "train_cap"

#: Version of the result-file layout; files of another schema are recomputed.
SCHEMA = 1

#: Reasons from :func:`load_cell` that are ordinary (nothing on disk is damaged).
ROUTINE_REASONS = frozenset({"", "missing", "configuration changed", "failed before"})


def cell_seed(run_seed: int, dataset: str, detector: str, fold: int) -> int:
    """A per-cell seed derived from the run seed (stable across runs and machines)."""
    ss = np.random.SeedSequence(
        [run_seed, zlib.crc32(dataset.encode()), zlib.crc32(detector.encode()), fold]
    )
    return int(ss.generate_state(1)[0] % (2**31 - 1))


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


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name)


def record_path(output: Path, dataset: str, label: str, fold: int | str) -> Path:
    """Where a cell's record (``.json``; its scores: the same path as ``.npz``) is saved."""
    return Path(output) / "cells" / _safe(dataset) / _safe(label) / f"fold{fold}.json"


@dataclass(frozen=True)
class Cell:
    """The full configuration of one cell; its hash decides whether a saved result is reused."""

    dataset: str
    label: str  # the detector's name in tables (a registered name or an ablation variant)
    detector: str  # the registered detector name
    params: dict[str, Any]  # constructor parameters, seed and device included
    fold: int
    seed: int  # the per-cell seed (given to the detector as random_state when it has one)
    protocol: str
    folds: int
    run_seed: int
    preset: str
    data_hash: str
    split_hash: str
    preprocessing: str
    rho: float  # the data set's anomaly rate (for top-rho)
    extra: dict[str, Any] = field(default_factory=dict)
    revision: int = 1  # the detector class's code revision (Detector.revision)

    def config_hash(self) -> str:
        payload = asdict(self) | {"schema": SCHEMA}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def paths(self, output: Path) -> tuple[Path, Path]:
        json_path = record_path(output, self.dataset, self.label, self.fold)
        return json_path, json_path.with_suffix(".npz")

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.label}/fold{self.fold}"


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
    n_train: int = 0  # the fold's training rows
    fit_rows: np.ndarray | None = None  # the subsample fitted on (None: every row)
    summary: dict = field(default_factory=dict)  # the preprocessing summary of the record

    @classmethod
    def preprocess(cls, cell: Cell, inputs: CellInputs | FoldInputs) -> FittedCell:
        """Build the fold's rows, fit the cell's preprocessing on all its training rows,
        scale both row sets, then keep the capped subsample of the training rows.

        The scaling is fitted before the cap, so it does not depend on the cap (and a
        capped OCSVM fits exactly the rows its former ``max_samples`` chose).
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
        t0 = time.perf_counter()
        self.detector.fit(self.X_train)
        self.fit_seconds = time.perf_counter() - t0
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
    """This process's peak resident memory so far, in MB (a cell's child: the cell's)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        t1 = time.perf_counter()
        scores = np.asarray(detector.decision_function(X_test), dtype=np.float64).reshape(-1)
        t2 = time.perf_counter()
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


def write_cell(output: Path, cell: Cell, record: dict, arrays: dict) -> None:
    """Write the score arrays, then the JSON that marks the cell finished (both atomic)."""
    json_path, npz_path = cell.paths(output)
    if arrays:
        record["scores_sha256"] = atomic_save_npz(npz_path, **arrays)
    try:
        atomic_write_json(json_path, record)
    except BaseException:
        if arrays:  # scores without their record are never used: do not leave them behind
            npz_path.unlink(missing_ok=True)
        raise


def failure_record(cell: Cell, error: str, tb: str | None = None) -> dict:
    """A ``failed`` record for a cell that could not even report (timeout, crash)."""
    return {
        "schema": SCHEMA,
        "config_hash": cell.config_hash(),
        "cell": asdict(cell),
        "status": "failed",
        "error": error,
        "traceback": tb,
        "versions": versions(),
    }


def load_cell(output: Path, cell: Cell) -> tuple[dict | None, str]:
    """The saved record of ``cell`` and ``""``, or ``None`` and why it cannot be used."""
    json_path, npz_path = cell.paths(output)
    if not json_path.exists():
        return None, "missing"
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None, "corrupt result file"
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        return None, "result file of another schema"
    if record.get("config_hash") != cell.config_hash():
        return None, "configuration changed"
    if record.get("status") != "ok":
        return record, "failed before"
    ranking, policies = record.get("ranking"), record.get("policies")
    if (
        not isinstance(ranking, dict)
        or not isinstance(policies, dict)
        or set(policies) != set(POLICIES)
        or not isinstance(record.get("scores_sha256"), str)
    ):
        return None, "result file is incomplete (metrics or score digest missing)"
    try:
        digest = hashlib.sha256(npz_path.read_bytes()).hexdigest()
        if digest != record.get("scores_sha256"):
            return None, "score file does not match its record"
        with np.load(npz_path, allow_pickle=False) as z:
            z["test_scores"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None, "score file missing or corrupt"
    return record, ""
