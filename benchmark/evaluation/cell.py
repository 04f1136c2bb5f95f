"""A cell's identity: one (data set, detector, fold) and the full configuration that
decides whether a saved result is reused (:meth:`Cell.config_hash`), its seed and where
its record is stored."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SCHEMA", "TRAIN_CAP", "Cell", "cell_seed", "fold_name", "record_path", "repeat_seed"]

#: The key of ``Cell.extra`` holding the training-row cap, set only when the cap binds
#: (so a cell on a small data set keeps the configuration hash it always had).
TRAIN_CAP = "train_cap"

#: Version of the result-file layout; files of another schema are recomputed.
SCHEMA = 1


def cell_seed(run_seed: int, dataset: str, detector: str, fold: int) -> int:
    """A per-cell seed derived from the run seed (stable across runs and machines)."""
    ss = np.random.SeedSequence(
        [run_seed, zlib.crc32(dataset.encode()), zlib.crc32(detector.encode()), fold]
    )
    return int(ss.generate_state(1)[0] % (2**31 - 1))


def repeat_seed(run_seed: int, repeat: int) -> int:
    """The seed of repetition ``repeat`` of a run (``--repeats``): its splits and cell
    seeds derive from it. Repetition 0 is the run seed itself, so a single run's cells
    keep their identity."""
    if repeat == 0:
        return int(run_seed)
    ss = np.random.SeedSequence([run_seed, zlib.crc32(b"repeat"), repeat])
    return int(ss.generate_state(1)[0] % (2**31 - 1))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name)


def fold_name(fold: int | str, repeat: int = 0) -> str:
    """``fold3`` (repetition 0) or ``fold3-r1``: a cell's file stem and the end of its name."""
    return f"fold{fold}" + (f"-r{repeat}" if repeat else "")


def record_path(output: Path, dataset: str, label: str, fold: int | str, repeat: int = 0) -> Path:
    """Where a cell's record (``.json``; its scores: the same path as ``.npz``) is saved."""
    folder = Path(output) / "cells" / _safe(dataset) / _safe(label)
    return folder / f"{fold_name(fold, repeat)}.json"


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
    repeat: int = 0  # the repetition of the protocol (--repeats); its seed: repeat_seed()

    def config_hash(self) -> str:
        payload = asdict(self) | {"schema": SCHEMA}
        if not self.repeat:  # repetition 0 keeps the identity cells had before --repeats
            del payload["repeat"]
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def paths(self, output: Path) -> tuple[Path, Path]:
        json_path = record_path(output, self.dataset, self.label, self.fold, self.repeat)
        return json_path, json_path.with_suffix(".npz")

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.label}/{fold_name(self.fold, self.repeat)}"
