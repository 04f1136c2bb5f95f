"""The twelve real data sets bundled in ``datasets/``, checked against their sha256."""

from __future__ import annotations

import csv
import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from benchmark.data.dataset import DataError, Dataset

__all__ = ["DATA_DIR", "manifest", "load_npz", "load_bundled"]

#: Where the bundled ``.npz`` files and their MANIFEST live (``MMOC_BENCH_DATA`` overrides).
DATA_DIR = Path(os.environ.get("MMOC_BENCH_DATA", Path(__file__).resolve().parents[2] / "datasets"))


def manifest(data_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """The rows of ``MANIFEST.tsv`` (name, file, n, d, anomalies, source, sha256), by name."""
    path = Path(data_dir or DATA_DIR) / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["name"]: row for row in csv.DictReader(fh, delimiter="\t")}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_npz(path: Path, *, x_key: str = "X", y_key: str = "y", name: str | None = None) -> Dataset:
    """Load ``X`` and ``y`` from an ``.npz``; a corrupt or incomplete file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:2] != b"PK":  # an .npz is a zip archive; np.load would guess another format
        what = "the file is empty" if not magic else "no zip header"
        raise DataError(f"{path}: not a readable .npz archive ({what})")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in (x_key, y_key) if k not in z.files]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {missing}; the file holds {sorted(z.files)}"
                )
            X, y = z[x_key], z[y_key]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{path}: holds Python objects (pickled arrays); only numeric arrays are read"
            ) from None
        raise DataError(f"{path}: not a readable .npz archive ({_first_line(exc)})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz archive ({_first_line(exc)})") from None
    if X.dtype.kind not in "fiub" or y.dtype.kind not in "fiub":
        raise DataError(f"{path}: arrays must be numeric (X is {X.dtype}, y is {y.dtype})")
    y = np.asarray(y).reshape(-1)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"{path}: labels contain NaN/inf")
    if not np.isin(y, (0, 1)).all():
        values = np.unique(y)[:10]
        raise DataError(
            f"{path}: labels must be 0 (normal) or 1 (anomaly), found {values.tolist()}"
        )
    ds = Dataset(name=name or path.stem, X=X, y=y, source=str(path))
    if np.isfinite(ds.X).any() and np.nanmax(np.abs(ds.X)) > 1e150:
        raise DataError(f"{path}: values above 1e150 in magnitude; rescale the features")
    return ds


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".strip().rstrip(":")


def load_bundled(name: str, data_dir: Path | None = None) -> Dataset:
    """Load bundled data set ``name`` after checking its sha256 against the MANIFEST."""
    data_dir = Path(data_dir or DATA_DIR)
    rows = manifest(data_dir)
    if name not in rows:
        raise DataError(f"{data_dir / 'MANIFEST.tsv'}: no entry for {name!r}")
    row = rows[name]
    path = data_dir / row["file"]
    if not path.is_file():
        raise DataError(f"{path}: bundled file is missing")
    digest = _sha256(path)
    if digest != row["sha256"]:
        raise DataError(
            f"{path}: sha256 {digest[:12]}... does not match the MANIFEST"
            f" ({row['sha256'][:12]}...);"
            " the file is corrupt or was changed"
        )
    ds = load_npz(path, name=name)
    ds.source = f"{row['source_repo']}:{row['source_path']}@{row['source_commit'][:12]}"
    return ds
