"""Splits computed once per (data set, protocol, folds, seed[, contamination]), saved
with a content hash.

Every detector of every run reads the same saved index arrays. A saved file is reused
only if it names the same data set content and its indices still hash to the recorded
value; otherwise it is reported and recomputed. A file also records, per fold, how many
test rows have an exact copy (raw values) among the fold's training rows
(:mod:`benchmark.data.duplicates`); a file saved before that was recorded is reused as
it is, without them (the report counts them from the data). With contamination (a number, see
:mod:`benchmark.evaluation.protocols`) the file name ends in ``__c<ALPHA>``, and the file
holds the anomaly pools (``leak_pool``, ``test_pool``) and ALPHA; without it, the files
and their names are those of before contamination existed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.atomic import atomic_save_npz
from benchmark.data.dataset import Dataset
from benchmark.data.duplicates import copies_in_training, row_ids
from benchmark.evaluation.protocols import AnomalyPools, anomaly_pools, make_splits

__all__ = ["SplitSet", "split_hash", "split_path", "get_splits", "saved_split_meta"]

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
    """The folds of one (data set, protocol, folds, seed, contamination), as saved on disk."""

    dataset: str
    protocol: str
    folds: int
    seed: int
    data_hash: str
    train: list[np.ndarray]
    test: list[np.ndarray]
    path: Path
    contamination: float | None = None
    pools: AnomalyPools | None = None
    #: Per fold: (test rows with an exact copy among its training rows, of them anomalies);
    #: None for a file saved before they were recorded.
    duplicates: list[tuple[int, int]] | None = None
    #: Per fold: anomalies among its training rows (0 without contamination).
    train_anomalies: list[int] = field(default_factory=list)

    @property
    def hashes(self) -> list[str]:
        return [split_hash(tr, te) for tr, te in zip(self.train, self.test)]

    def cell_extra(self, fold: int) -> dict[str, Any]:
        """What a cell of ``fold`` adds to its configuration: nothing without contamination
        (so its identity is that of before), else ALPHA, the effective share and the pools."""
        if self.contamination is None or self.pools is None:
            return {}
        m, n = self.train_anomalies[fold], len(self.train[fold])
        return {
            "contamination": float(self.contamination),
            "contamination_effective": round(m / n, 6),
            "train_anomalies": int(m),
            "leak_pool": int(len(self.pools.leak)),
            "test_pool": int(len(self.pools.test)),
            "pools_hash": self.pools.digest,
        }


def _alpha_text(contamination: float) -> str:
    return f"{float(contamination):g}"


def split_path(
    root: Path, name: str, protocol: str, folds: int, seed: int, contamination: float | None = None
) -> Path:
    """Where the splits of this configuration are saved under ``root``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    tail = "" if contamination is None else f"__c{_alpha_text(contamination)}"
    return Path(root) / f"{safe}__{protocol}__k{folds}__seed{seed}{tail}.npz"


def _duplicates(ds: Dataset, train: list, test: list) -> list[tuple[int, int]]:
    ids = row_ids(ds.X)
    return [copies_in_training(ids, ds.y, tr, te) for tr, te in zip(train, test)]


def _read(path: Path, folds: int) -> tuple[dict, list, list, dict] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            train = [z[f"train_{k}"] for k in range(folds)]
            test = [z[f"test_{k}"] for k in range(folds)]
            pools = {k: z[k] for k in ("leak_pool", "test_pool") if k in z.files}
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
    return meta, train, test, pools


def _load(
    path: Path, ds: Dataset, protocol: str, folds: int, seed: int, contamination: float | None
) -> SplitSet | None:
    read = _read(path, folds)
    if read is None:
        return None
    meta, train, test, pool_arrays = read
    if meta.get("data_hash") != ds.content_hash():
        log.warning("split file %s was made for other content of %r; recomputing", path, ds.name)
        return None
    got = [split_hash(tr, te) for tr, te in zip(train, test)]
    if got != meta.get("split_hashes"):
        log.warning("split file %s does not match its recorded hash; recomputing", path)
        return None
    pools = None
    if contamination is not None:
        if meta.get("contamination") != float(contamination) or len(pool_arrays) != 2:
            log.warning("split file %s lacks the anomaly pools of ALPHA; recomputing", path)
            return None
        pools = AnomalyPools(pool_arrays["leak_pool"], pool_arrays["test_pool"])
        if pools.digest != meta.get("pools_hash"):
            log.warning("split file %s: its pools do not match their hash; recomputing", path)
            return None
    dupes = meta.get("duplicates")
    dupes = [(int(a), int(b)) for a, b in dupes] if dupes is not None else None
    return SplitSet(
        ds.name,
        protocol,
        folds,
        seed,
        meta["data_hash"],
        train,
        test,
        path,
        contamination,
        pools,
        dupes,
        [int(ds.y[tr].sum()) for tr in train],
    )


def get_splits(
    ds: Dataset,
    protocol: str,
    folds: int,
    seed: int,
    root: Path,
    save: bool = True,
    contamination: float | None = None,
) -> SplitSet:
    """Load the saved splits for this configuration, or compute (and with ``save``) save them.

    ``contamination``: None (the protocol as published) or ALPHA (anomaly pools,
    :mod:`benchmark.evaluation.protocols`).
    """
    path = split_path(root, ds.name, protocol, folds, seed, contamination)
    if path.exists():
        loaded = _load(path, ds, protocol, folds, seed, contamination)
        if loaded is not None:
            return loaded
    where = ds.source or ds.name
    pairs = make_splits(ds.y, protocol, folds, seed, where=where, contamination=contamination)
    train = [tr.astype(np.int64) for tr, _ in pairs]
    test = [te.astype(np.int64) for _, te in pairs]
    data_hash = ds.content_hash()
    dupes = _duplicates(ds, train, test)
    meta: dict[str, Any] = {
        "dataset": ds.name,
        "protocol": protocol,
        "folds": folds,
        "seed": seed,
        "data_hash": data_hash,
        "split_hashes": [split_hash(tr, te) for tr, te in zip(train, test)],
        "duplicates": [list(d) for d in dupes],
    }
    arrays = {f"train_{k}": a for k, a in enumerate(train)}
    arrays |= {f"test_{k}": a for k, a in enumerate(test)}
    pools = None
    if contamination is not None:
        pools = anomaly_pools(ds.y, seed)
        arrays |= {
            "leak_pool": pools.leak.astype(np.int64),
            "test_pool": pools.test.astype(np.int64),
        }
        meta |= {
            "contamination": float(contamination),
            "pools_hash": pools.digest,
            "train_anomalies": [int(ds.y[tr].sum()) for tr in train],
        }
    try:
        if save:
            atomic_save_npz(path, meta=np.array(json.dumps(meta)), **arrays)
    except OSError as exc:  # e.g. a full disk: the splits are deterministic, use them unsaved
        log.warning("could not save split file %s (%s); using the splits unsaved", path, exc)
    return SplitSet(
        ds.name,
        protocol,
        folds,
        seed,
        data_hash,
        train,
        test,
        path,
        contamination,
        pools,
        dupes,
        [int(ds.y[tr].sum()) for tr in train],
    )


def saved_split_meta(path: Path) -> dict | None:
    """The ``meta`` of a saved split file (its hashes, duplicates, ALPHA), or None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError):
        return None
