"""Evaluation protocols (``docs/design.md``, "Protocols"): which rows train and which test.

Each protocol maps labels ``y`` to a list of ``(train_idx, test_idx)`` pairs. Training
rows are normal; ``folds`` is the number of folds (``kfold-normal``) or of seeded
repetitions (``half-normal``, ``dagmm``).

Contaminated training (``--contamination ALPHA``, ``kfold-normal`` and ``half-normal``):
the data set's anomalies are split once, seeded by the run seed, into a *leak pool*
(:data:`LEAK_SHARE` of them, rounded down) and a *test pool* (the rest). Every test fold
holds the test pool instead of all anomalies; every training fold keeps the normal rows
it has without contamination and adds ``m = round(ALPHA * n / (1 - ALPHA))`` anomalies
(at least one) drawn from the leak pool, so that anomalies make up ALPHA of its ``n + m``
rows. When the leak pool holds fewer than ``m``, the fold takes the whole leak pool (a
documented cap): its effective ALPHA, ``m / (n + m)``, is recorded with the splits. A
fold's draw is a prefix of one seeded permutation of the leak pool, so the anomalies
leaked at a smaller ALPHA are among those leaked at a larger one, and the pools and the
test rows are the same at every ALPHA (differences between ALPHAs are paired).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from benchmark.data.dataset import DataError

__all__ = [
    "CONTAMINATION_PROTOCOLS",
    "LEAK_SHARE",
    "MAX_CONTAMINATION",
    "PROTOCOLS",
    "AnomalyPools",
    "anomaly_pools",
    "check_contamination",
    "leak_count",
    "make_splits",
]

Split = tuple[np.ndarray, np.ndarray]

#: Protocols that accept ``--contamination`` (``dagmm`` already tests on all rows).
CONTAMINATION_PROTOCOLS = ("kfold-normal", "half-normal")
#: ALPHA must be below this: at one half, anomalies would no longer be the minority.
MAX_CONTAMINATION = 0.5
#: The share of a data set's anomalies in the leak pool (rounded down); the rest test.
LEAK_SHARE = 0.5
#: Salts of the pool split and of each fold's draw (distinct from the protocols' streams).
_POOL_SALT = 0x504F4F4C
_DRAW_SALT = 0x4C45414B


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


def check_contamination(alpha: float | None, protocol: str) -> str | None:
    """Why ``alpha`` cannot be used with ``protocol`` (a one-line message), or None."""
    if alpha is None:
        return None
    if not (isinstance(alpha, int | float) and np.isfinite(alpha)):
        return f"--contamination must be a number from 0 to below {MAX_CONTAMINATION}, got {alpha}"
    if not 0 <= alpha < MAX_CONTAMINATION:
        return (
            f"--contamination must be at least 0 and below {MAX_CONTAMINATION} (a share of the"
            f" training rows, e.g. 0.05 for 5 %), got {alpha}"
        )
    if alpha > 0 and protocol not in CONTAMINATION_PROTOCOLS:
        return (
            f"--contamination is for the {' and '.join(CONTAMINATION_PROTOCOLS)} protocols;"
            f" {protocol!r} already tests on a random half of all rows"
        )
    return None


@dataclass(frozen=True)
class AnomalyPools:
    """A data set's anomalies split once: ``leak`` may train, ``test`` tests (sorted)."""

    leak: np.ndarray
    test: np.ndarray

    @property
    def digest(self) -> str:
        """sha256 (first 16 hex digits) of both pools, recorded with every contaminated cell."""
        h = hashlib.sha256(np.asarray(self.leak, dtype=np.int64).tobytes())
        h.update(b"|")
        h.update(np.asarray(self.test, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]


def anomaly_pools(y: np.ndarray, seed: int) -> AnomalyPools:
    """Split the anomalies of ``y`` into the leak and test pools (:data:`LEAK_SHARE`)."""
    anomalies = np.flatnonzero(np.asarray(y) == 1)
    perm = np.random.default_rng([seed, _POOL_SALT]).permutation(anomalies)
    n_leak = int(len(anomalies) * LEAK_SHARE)
    return AnomalyPools(np.sort(perm[:n_leak]), np.sort(perm[n_leak:]))


def leak_count(alpha: float, n_normal_train: int) -> int:
    """Anomalies a training fold of ``n_normal_train`` normals needs for share ``alpha``."""
    if alpha <= 0:
        return 0
    return max(1, int(round(alpha * n_normal_train / (1.0 - alpha))))


def _contaminate(
    splits: list[Split], y: np.ndarray, alpha: float, seed: int, where: str
) -> list[Split]:
    """Test on the test pool; add each fold's draw from the leak pool to its training rows."""
    pools = anomaly_pools(y, seed)
    if alpha > 0 and len(pools.leak) == 0:
        raise DataError(
            f"{where}: --contamination {alpha} needs anomalies to leak into training, but the"
            f" leak pool is empty ({len(pools.test)} anomaly row(s) in all; the leak pool"
            f" takes {LEAK_SHARE:.0%} of them, rounded down)"
        )
    out = []
    for k, (train, test) in enumerate(splits):
        m = min(leak_count(alpha, len(train)), len(pools.leak))
        order = np.random.default_rng([seed, k, _DRAW_SALT]).permutation(pools.leak)
        leaked = order[:m]
        test_normals = test[y[test] == 0]
        out.append((np.sort(np.r_[train, leaked]), np.sort(np.r_[test_normals, pools.test])))
    return out


def make_splits(
    y: np.ndarray,
    protocol: str,
    folds: int,
    seed: int,
    where: str = "",
    contamination: float | None = None,
) -> list[Split]:
    """The splits of ``protocol``; too few normal rows for the folds is a clear error.

    ``contamination`` None (the default, and what ``--contamination 0`` means) is the
    protocol as published; a number (0 included) uses the anomaly pools of the module
    docstring, with that share of anomalies in every training fold.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}")
    if folds < 1 or (protocol == "kfold-normal" and folds < 2):
        raise ValueError(f"--folds must be >= 2 for kfold-normal and >= 1 otherwise, got {folds}")
    error = check_contamination(contamination, protocol)
    if error is None and contamination is not None and protocol not in CONTAMINATION_PROTOCOLS:
        error = f"anomaly pools are for the {' and '.join(CONTAMINATION_PROTOCOLS)} protocols"
    if error:
        raise ValueError(error)
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
    if contamination is not None:
        splits = _contaminate(splits, y, float(contamination), seed, where)
    return splits
