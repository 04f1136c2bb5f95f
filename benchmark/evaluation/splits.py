"""Splits computed once per (data set, protocol, folds, seed), saved with a content hash.

Every detector of every run reads the same saved index arrays. A saved file is reused
only if it names the same data set content and its indices still hash to the recorded
value; otherwise it is reported and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.atomic import atomic_save_npz
from benchmark.data.dataset import Dataset
from benchmark.evaluation.protocols import make_splits

__all__ = ["SplitSet", "split_hash", "get_splits"]

log = logging.getLogger(__name__)


def split_hash(train: np.ndarray, test: np.ndarray) -> str:
    """sha256 (first 16 hex digits) of one split's index arrays."""
    h = hashlib.sha256()
    h.update(np.asarray(train, dtype=np.int64).tobytes())
    h.update(b"|")
    h.update(np.asarray(test, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


@dataclass
class SplitSet:
    """The folds of one (data set, protocol, folds, seed), as saved on disk."""

    dataset: str
    protocol: str
    folds: int
    seed: int
    data_hash: str
    train: list[np.ndarray]
    test: list[np.ndarray]
    path: Path

    @property
    def hashes(self) -> list[str]:
        return [split_hash(tr, te) for tr, te in zip(self.train, self.test)]


def _path(root: Path, ds: Dataset, protocol: str, folds: int, seed: int) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in ds.name)
    return Path(root) / f"{safe}__{protocol}__k{folds}__seed{seed}.npz"


def _load(path: Path, ds: Dataset, protocol: str, folds: int, seed: int) -> SplitSet | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            train = [z[f"train_{k}"] for k in range(folds)]
            test = [z[f"test_{k}"] for k in range(folds)]
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        EOFError,
        json.JSONDecodeError,
    ) as exc:
        log.warning("split file %s is unreadable (%s); recomputing it", path, exc)
        return None
    if meta.get("data_hash") != ds.content_hash():
        log.warning("split file %s was made for other content of %r; recomputing", path, ds.name)
        return None
    got = [split_hash(tr, te) for tr, te in zip(train, test)]
    if got != meta.get("split_hashes"):
        log.warning("split file %s does not match its recorded hash; recomputing", path)
        return None
    return SplitSet(ds.name, protocol, folds, seed, meta["data_hash"], train, test, path)


def get_splits(
    ds: Dataset, protocol: str, folds: int, seed: int, root: Path, save: bool = True
) -> SplitSet:
    """Load the saved splits for this configuration, or compute (and with ``save``) save them."""
    path = _path(root, ds, protocol, folds, seed)
    if path.exists():
        loaded = _load(path, ds, protocol, folds, seed)
        if loaded is not None:
            return loaded
    pairs = make_splits(ds.y, protocol, folds, seed, where=ds.source or ds.name)
    train = [tr.astype(np.int64) for tr, _ in pairs]
    test = [te.astype(np.int64) for _, te in pairs]
    data_hash = ds.content_hash()
    meta = {
        "dataset": ds.name,
        "protocol": protocol,
        "folds": folds,
        "seed": seed,
        "data_hash": data_hash,
        "split_hashes": [split_hash(tr, te) for tr, te in zip(train, test)],
    }
    arrays = {f"train_{k}": a for k, a in enumerate(train)}
    arrays |= {f"test_{k}": a for k, a in enumerate(test)}
    try:
        if save:
            atomic_save_npz(path, meta=np.array(json.dumps(meta)), **arrays)
    except OSError as exc:  # e.g. a full disk: the splits are deterministic, use them unsaved
        log.warning("could not save split file %s (%s); using the splits unsaved", path, exc)
    return SplitSet(ds.name, protocol, folds, seed, data_hash, train, test, path)
