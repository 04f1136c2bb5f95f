"""The in-memory data set every loader returns, and the error every loader raises."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DataError", "Dataset"]


class DataError(ValueError):
    """A data file or data set that cannot be used; the message names the file and why."""


@dataclass
class Dataset:
    """Features ``X`` (n x d, float64, NaN allowed) and labels ``y`` (0 normal, 1 anomaly)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float64)
        self.y = np.ascontiguousarray(self.y, dtype=np.int8)
        where = self.source or self.name
        if self.X.ndim != 2:
            raise DataError(f"{where}: X must be 2-D, got shape {self.X.shape}")
        if self.y.shape != (self.X.shape[0],):
            raise DataError(f"{where}: {self.X.shape[0]} feature rows but {self.y.shape[0]} labels")
        if not np.isin(self.y, (0, 1)).all():
            raise DataError(f"{where}: labels must be 0 (normal) or 1 (anomaly)")
        if np.isinf(self.X).any():
            raise DataError(f"{where}: features contain {int(np.isinf(self.X).sum())} inf value(s)")
        if self.X.shape[0] == 0 or self.X.shape[1] == 0:
            raise DataError(f"{where}: no rows or no feature columns (shape {self.X.shape})")
        if self.n_normal == 0:
            raise DataError(f"{where}: no normal rows (label 0): nothing to train on")

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_anomalies(self) -> int:
        return int(self.y.sum())

    @property
    def n_normal(self) -> int:
        return self.n - self.n_anomalies

    @property
    def anomaly_rate(self) -> float:
        return self.n_anomalies / self.n

    def content_hash(self) -> str:
        """sha256 of the values and labels: splits are tied to exactly this content."""
        h = hashlib.sha256()
        h.update(np.asarray(self.X.shape, dtype=np.int64).tobytes())
        h.update(self.X.tobytes())
        h.update(self.y.tobytes())
        return h.hexdigest()
