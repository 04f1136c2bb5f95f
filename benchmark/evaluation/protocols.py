"""Evaluation protocols (``docs/design.md``, "Protocols"): which rows train and which test.

Each protocol maps labels ``y`` to a list of ``(train_idx, test_idx)`` pairs. Training
rows are always normal; ``folds`` is the number of folds (``kfold-normal``) or of
seeded repetitions (``half-normal``, ``dagmm``).
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold

from benchmark.data.dataset import DataError

__all__ = ["PROTOCOLS", "make_splits"]

Split = tuple[np.ndarray, np.ndarray]


def _kfold_normal(y: np.ndarray, folds: int, seed: int) -> list[Split]:
    """The paper's protocol: train on 4 of 5 normal folds, test on the 5th + all anomalies."""
    normal = np.flatnonzero(y == 0)
    anomalies = np.flatnonzero(y == 1)
    kf = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [
        (np.sort(normal[tr]), np.sort(np.r_[normal[te], anomalies])) for tr, te in kf.split(normal)
    ]


def _half_normal(y: np.ndarray, folds: int, seed: int) -> list[Split]:
    """GOAD / NeuTraL AD: a random half of the normals trains, the rest + all anomalies test."""
    normal = np.flatnonzero(y == 0)
    anomalies = np.flatnonzero(y == 1)
    out = []
    for rep in range(folds):
        perm = np.random.default_rng([seed, rep]).permutation(normal)
        half = len(normal) // 2
        out.append((np.sort(perm[:half]), np.sort(np.r_[perm[half:], anomalies])))
    return out


def _dagmm(y: np.ndarray, folds: int, seed: int) -> list[Split]:
    """Zong et al. 2018: the normals of a random 50 % of all rows train; the other 50 % test."""
    out = []
    for rep in range(folds):
        perm = np.random.default_rng([seed, rep]).permutation(len(y))
        half = len(y) // 2
        train = perm[:half]
        out.append((np.sort(train[y[train] == 0]), np.sort(perm[half:])))
    return out


PROTOCOLS = {"kfold-normal": _kfold_normal, "half-normal": _half_normal, "dagmm": _dagmm}


def make_splits(
    y: np.ndarray, protocol: str, folds: int, seed: int, where: str = ""
) -> list[Split]:
    """The splits of ``protocol``; too few normal rows for the folds is a clear error."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}")
    if folds < 1 or (protocol == "kfold-normal" and folds < 2):
        raise ValueError(f"--folds must be >= 2 for kfold-normal and >= 1 otherwise, got {folds}")
    n_normal = int((y == 0).sum())
    need = folds if protocol == "kfold-normal" else 4
    if n_normal < need:
        raise DataError(
            f"{where}: {n_normal} normal row(s) is fewer than the {need} that"
            f" protocol {protocol!r} with {folds} fold(s) needs"
        )
    splits = PROTOCOLS[protocol](y, folds, seed)
    for k, (train, _test) in enumerate(splits):
        if len(train) < 2:
            raise DataError(f"{where}: split {k} of {protocol!r} has fewer than 2 training normals")
    return splits
