"""The rows a cell needs, built only when the cell is computed, and the training-size cap.

The plan never copies a fold's rows (copies of every fold would hold the data set
``folds + 1`` times in the main process: 3.3 GB before the first cell on a 494k x 118
set). :class:`FoldInputs` holds the data set once plus one fold's indices; the copies are
made by :meth:`FoldInputs.materialise`, in the process that computes the cell. A large
data set is written once to a ``.npy`` file (:class:`RowFile`), so what crosses a process
boundary per cell is a path and two index arrays, and a worker reads its rows block by
block with plain reads (no memory map, so its peak RSS counts only the rows it keeps).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CellInputs",
    "FoldInputs",
    "RowFile",
    "FILE_BACKED_BYTES",
    "capped_rows",
    "read_rows",
    "shared_rows",
]

#: A data set at least this large (bytes of X) is shared with children through a file.
FILE_BACKED_BYTES = 64 * 2**20

#: Rows read per block from a row file (about 8 MB at d = 118).
_BLOCK_ROWS = 8192


@dataclass
class CellInputs:
    """The raw (unscaled) rows a cell needs; preprocessing happens inside the cell."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def materialise(self) -> CellInputs:
        """These rows (already built): the interface :class:`FoldInputs` shares."""
        return self

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


class RowFile:
    """A data set's ``X`` saved once as a ``.npy`` file, deleted when the run drops it.

    Pickles as its path: a child process or local Dask worker reads rows from it. Only
    the process that wrote the file deletes it (when the object is collected, or at exit).
    """

    def __init__(self, X: np.ndarray):
        self.dir = tempfile.mkdtemp(prefix="mmoc-rows-")
        self.path = str(Path(self.dir) / "X.npy")
        np.save(self.path, np.ascontiguousarray(X))
        self.shape = tuple(X.shape)
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.dir, True)

    def __reduce__(self):
        return (_RowFileRef, (self.path, self.shape))


class _RowFileRef:
    """A row file seen from another process: the path only, never deleted from here."""

    def __init__(self, path: str, shape: tuple[int, ...]):
        self.path, self.shape = path, shape

    def __reduce__(self):
        return (_RowFileRef, (self.path, self.shape))


def read_rows(path: str, idx: np.ndarray) -> np.ndarray:
    """``X[idx]`` of the ``.npy`` file at ``path``, read in blocks with plain reads."""
    idx = np.asarray(idx, dtype=np.int64)
    with open(path, "rb") as fh:
        major, _ = np.lib.format.read_magic(fh)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(fh)
        if fortran or len(shape) != 2:
            raise ValueError(f"{path}: expected a C-ordered 2-D array")
        offset, d = fh.tell(), shape[1]
        out = np.empty((idx.shape[0], d), dtype=dtype)
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        row_bytes = d * dtype.itemsize
        for start in range(0, shape[0], _BLOCK_ROWS):
            lo, hi = np.searchsorted(sorted_idx, [start, start + _BLOCK_ROWS])
            if lo == hi:
                continue
            stop = min(start + _BLOCK_ROWS, shape[0])
            fh.seek(offset + start * row_bytes)
            block = np.fromfile(fh, dtype=dtype, count=(stop - start) * d).reshape(-1, d)
            out[order[lo:hi]] = block[sorted_idx[lo:hi] - start]
    return out


class FoldInputs:
    """One fold of a data set: its indices, and the data set held once (array or file).

    ``X`` is the data set's feature array (kept by reference, never copied) or a
    :class:`RowFile`; :meth:`materialise` builds the fold's :class:`CellInputs`.
    """

    def __init__(self, X: np.ndarray | RowFile, y: np.ndarray, train: np.ndarray, test: np.ndarray):
        self.X, self.y = X, y
        self.train = np.asarray(train, dtype=np.int64)
        self.test = np.asarray(test, dtype=np.int64)

    @property
    def n_train(self) -> int:
        return int(self.train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.test.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def y_test(self) -> np.ndarray:
        return self.y[self.test]

    def materialise(self) -> CellInputs:
        """The fold's rows as arrays (copies): made where the cell is computed."""
        if isinstance(self.X, np.ndarray):
            return CellInputs(self.X[self.train], self.X[self.test], self.y[self.test])
        return CellInputs(
            read_rows(self.X.path, self.train), read_rows(self.X.path, self.test), self.y[self.test]
        )

    def __reduce__(self):
        # Small data travels as the fold's rows; large data as the row file's path.
        if isinstance(self.X, np.ndarray):
            rows = self.materialise()
            return (CellInputs, (rows.X_train, rows.X_test, rows.y_test))
        return (FoldInputs, (self.X, self.y, self.train, self.test))


def shared_rows(X: np.ndarray) -> np.ndarray | RowFile:
    """``X`` itself when small; a :class:`RowFile` holding it when it is large."""
    if X.nbytes >= FILE_BACKED_BYTES and os.name == "posix":
        return RowFile(X)
    return X


def capped_rows(n: int, cap: int | None, seed: int) -> np.ndarray | None:
    """The sorted rows a capped fit uses, or None when ``n <= cap`` (no cap applies).

    ``np.random.default_rng(seed).choice(n, cap, replace=False)``, sorted: the draw
    OCSVM's former ``max_samples`` parameter made, so moving its cap here kept its rows.
    """
    if cap is None or n <= cap:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, int(cap), replace=False))
