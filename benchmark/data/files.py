"""User data: a CSV, parquet or npz file with a label column, checked with clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.bundled import load_npz
from benchmark.data.dataset import DataError, Dataset

__all__ = ["load_user_file"]

SUFFIXES = (".csv", ".parquet", ".npz")


def _clip(name: object, width: int = 24) -> str:
    """A column name for a one-line error: a header that is really data can be huge."""
    text = str(name)
    return text if len(text) <= width else text[: width - 3] + "..."


def _detect_sep(path: Path) -> str:
    """',' unless the header line has no comma but semicolons (or tabs): then that."""
    try:
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        return ","
    if "," not in first:
        for sep in (";", "\t"):
            if sep in first:
                return sep
    return ","


def _read_csv(path: Path, sep: str | None = None) -> pd.DataFrame:
    sep = sep or _detect_sep(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh, delimiter=sep), None)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        ) from None
    if not header:
        raise DataError(f"{path}: the file is empty (no header row)")
    dupes = [_clip(h) for h in sorted({h for h in header if header.count(h) > 1})[:8]]
    if dupes:
        raise DataError(f"{path}: duplicated column name(s) {dupes}")
    try:
        return pd.read_csv(path, encoding="utf-8", sep=sep)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[-1]
        raise DataError(f"{path}: malformed CSV ({msg})") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(f"{path}: reading parquet needs pyarrow (pip install pyarrow)") from None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataError(f"{path}: not a readable parquet file ({type(exc).__name__})") from None


def _labels(path: Path, raw: pd.Series, normal_label: str | None) -> np.ndarray:
    if raw.isna().any():
        raise DataError(
            f"{path}: label column {raw.name!r} has {int(raw.isna().sum())} missing value(s)"
        )
    as_text = raw.astype(str).str.strip()
    values = sorted(as_text.unique())
    if len(values) > 2:
        shown = values[:6] + (["..."] if len(values) > 6 else [])
        raise DataError(
            f"{path}: label column {raw.name!r} is not binary:"
            f" {len(values)} distinct values {shown}"
        )
    if normal_label is not None:
        if str(normal_label) not in values:
            raise DataError(
                f"{path}: --normal-label {normal_label!r} does not occur in column {raw.name!r}"
                f" (values: {values})"
            )
        return (as_text != str(normal_label)).to_numpy().astype(np.int8)
    numeric = pd.to_numeric(raw, errors="coerce")
    if numeric.isna().any() or not numeric.isin([0, 1]).all():
        raise DataError(
            f"{path}: label column {raw.name!r} holds {values}; pass --normal-label to say which"
            " value is normal (the other is the anomaly)"
        )
    return numeric.to_numpy().astype(np.int8)


def load_user_file(
    path: str | Path,
    label_column: str = "y",
    normal_label: str | None = None,
    sep: str | None = None,
) -> Dataset:
    """Load a user's file; labels are 0/1 (1 = anomaly) or mapped with ``normal_label``.

    A CSV's separator is ``sep``, or detected: ',' unless the header has only ';' or tabs.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; --data-file takes a .csv, .parquet or .npz file")
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type; use one of {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() == ".npz":
        ds = load_npz(path, y_key=label_column if label_column != "y" else "y")
        if normal_label is not None and str(normal_label) not in ("0",):
            y_raw = 1 - ds.y if str(normal_label) == "1" else None
            if y_raw is None:
                raise DataError(f"{path}: --normal-label for .npz must be 0 or 1")
            ds = Dataset(name=ds.name, X=ds.X, y=y_raw, source=ds.source)
        return ds
    frame = _read_csv(path, sep) if path.suffix.lower() == ".csv" else _read_parquet(path)
    if frame.shape[0] == 0:
        raise DataError(f"{path}: no data rows")
    if label_column not in frame.columns:
        cols = [_clip(c) for c in frame.columns[:8]]
        hint = "; use --label-column"
        if len(frame.columns) == 1 and any(c in cols[0] for c in ";\t|,"):
            hint = "; the columns did not split: give the separator with --sep"
        raise DataError(f"{path}: no label column {label_column!r} (columns: {cols}){hint}")
    y = _labels(path, frame[label_column], normal_label)
    features = frame.drop(columns=[label_column])
    if features.shape[1] == 0:
        raise DataError(f"{path}: no feature columns besides the label {label_column!r}")
    bad = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    bad += [str(c) for c in features.columns if pd.api.types.is_bool_dtype(features[c])]
    if bad:
        raise DataError(
            f"{path}: non-numeric feature column(s) {sorted(set(bad))[:8]}; encode them first"
        )
    X = features.to_numpy(dtype=np.float64)
    if np.isinf(X).any():
        cols = [str(c) for c, bad_col in zip(features.columns, np.isinf(X).any(axis=0)) if bad_col]
        raise DataError(f"{path}: inf value(s) in column(s) {cols[:8]}")
    if np.isfinite(X).any() and np.nanmax(np.abs(X)) > 1e150:
        raise DataError(f"{path}: values above 1e150 in magnitude; rescale the features")
    return Dataset(name=path.stem, X=X, y=y, source=str(path))
