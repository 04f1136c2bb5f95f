"""Exact duplicate rows: which rows of a data set carry the same raw feature vector.

Used to show that no test row reaches training through a copy (``docs/architecture/data.md``,
"Duplicate rows"). Rows are compared as raw values, before any preprocessing: the
scaling is fitted per fold, so two rows equal before it are equal after it, while rows
that differ only in a constant column would look equal after it (a constant training
column maps to 0) without being copies. Two rows are the same when every value is equal
bit for bit after two normalisations: ``-0.0`` counts as ``0.0``, and a missing value
(NaN) equals a missing value in the same column (the same record with the same gap).
"""

from __future__ import annotations

import numpy as np

__all__ = ["row_ids", "copies_in_training"]


def row_ids(X: np.ndarray) -> np.ndarray:
    """One integer per row, equal for rows with identical raw values (exact, no hashing)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"row_ids needs a 2-D array, got shape {X.shape}")
    canon = np.where(np.isnan(X), np.nan, X + 0.0)  # -0.0 + 0.0 is 0.0; one NaN pattern
    canon = np.ascontiguousarray(canon)
    if canon.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    rows = canon.view(np.dtype((np.void, canon.dtype.itemsize * canon.shape[1]))).reshape(-1)
    _, inverse = np.unique(rows, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def copies_in_training(
    ids: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> tuple[int, int]:
    """(test rows whose raw values equal some training row's, how many of those are anomalies)."""
    hit = np.isin(ids[np.asarray(test)], ids[np.asarray(train)])
    n_anomalies = int(np.asarray(y)[np.asarray(test)[hit]].sum())
    return int(hit.sum()), n_anomalies
