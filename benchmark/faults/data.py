"""Random malformed data files (CSV, NPZ, parquet) for the loader's fault-injection tests.

:func:`malformed_file` writes one file from a ``random.Random``: ragged rows, text in
numeric columns, empty files, huge values, labels outside {0, 1}, duplicated headers,
non-UTF-8 bytes, truncated archives... Sometimes the result happens to be valid, which is
fine: the property is that loading ends in a valid Dataset or in one clear DataError.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np

__all__ = ["malformed_file", "KINDS"]

KINDS = ("csv", "npz", "parquet")

_CELLS = [
    "0", "1", "2", "-1", "0.5", "1e308", "-1e308", "1e400", "nan", "NaN", "inf", "-inf", "",
    " ", "abc", "1,5", "True", "false", "0x1F", "1e-320", "99999999999999999999999", '"',
    '"a,b"', "NULL", "NA", "\t", "é", "1.0.0",
]  # fmt: skip
_LABELS = ["0", "1", "0", "1", "2", "-1", "", "a", "0.5", "1.0", "yes", "nan", " 1"]
_HEADERS = ["a", "b", "c", "y", "y", "label", "", " a", "a", "Unnamed: 0", "1"]


def _csv_bytes(r: random.Random) -> bytes:
    n_cols = r.randint(0, 5)
    header = [r.choice(_HEADERS) for _ in range(n_cols)]
    if r.random() < 0.7 and "y" not in header:
        header.append("y")
    lines = [",".join(header)] if r.random() < 0.95 else []
    for _ in range(r.choice([0, 1, 3, 8, 12, 30])):
        width = len(header) if r.random() < 0.85 else r.randint(0, len(header) + 2)
        row = [r.choice(_LABELS) if h == "y" else r.choice(_CELLS) for h in (header + ["x"] * 3)][
            :width
        ]
        if r.random() < 0.6:  # mostly numeric rows so that some files are valid
            row = [
                r.choice(["0", "1"]) if h == "y" else f"{r.gauss(0, 1):.3f}"
                for h in (header + ["x"] * 3)
            ][:width]
        lines.append(",".join(row))
    data = ("\r\n" if r.random() < 0.2 else "\n").join(lines).encode("utf-8")
    if r.random() < 0.15:  # non-UTF-8 bytes somewhere
        at = r.randint(0, len(data))
        data = data[:at] + bytes([r.choice([0xFF, 0xFE, 0xC3, 0x80, 0x00])]) + data[at:]
    if r.random() < 0.05:
        data = b"\xef\xbb\xbf" + data  # a byte-order mark
    if r.random() < 0.05:
        data = data[: r.randint(0, len(data))]
    return data


def _array(r: random.Random, n: int, label: bool) -> np.ndarray:
    kind = r.choice(["float", "int", "bool", "str", "nan", "huge", "complex", "shape"])
    shape = (n,) if label else (n, r.randint(0, 4))
    if kind == "shape":
        shape = r.choice([(), (n, 2, 2), (0,), (n + 1,), (n, 0)])
    if kind == "str":
        return np.full(shape, "x")
    if kind == "complex":
        return np.ones(shape, dtype=np.complex128)
    if kind == "bool":
        return np.ones(shape, dtype=bool)
    rng = np.random.default_rng(r.randint(0, 2**31))
    values = rng.integers(-1, 3, size=shape) if label else rng.normal(size=shape)
    if kind == "nan" and values.size:
        values = values.astype(float)
        values.flat[0] = np.nan
    if kind == "huge" and values.size:
        values = values.astype(float)
        values.flat[-1] = r.choice([1e308, -np.inf, np.inf, 1e200])
    if kind == "int":
        values = np.asarray(values).astype(np.int64)
    if label and r.random() < 0.6:
        values = rng.integers(0, 2, size=shape)
    return values


def _npz_bytes(r: random.Random) -> bytes:
    if r.random() < 0.1:
        return bytes(r.getrandbits(8) for _ in range(r.randint(0, 64)))
    n = r.choice([0, 1, 5, 20])
    arrays = {}
    if r.random() < 0.9:
        arrays["X"] = _array(r, n, label=False)
    if r.random() < 0.9:
        arrays["y"] = _array(r, n, label=True)
    if r.random() < 0.2:
        arrays["extra"] = np.arange(3)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    if r.random() < 0.15:
        data = data[: r.randint(0, len(data))]
    return data


def _parquet_bytes(r: random.Random) -> bytes:
    import pandas as pd

    if r.random() < 0.1:
        return bytes(r.getrandbits(8) for _ in range(r.randint(0, 64)))
    n = r.choice([0, 1, 5, 20])
    cols: dict[str, object] = {}
    for name in r.sample(["a", "b", "c", "y", "label"], r.randint(0, 5)):
        choice = r.choice(["float", "int", "str", "mixed", "bool", "nullable", "huge"])
        rng = np.random.default_rng(r.randint(0, 2**31))
        if name == "y" and r.random() < 0.6:
            cols[name] = rng.integers(0, 2, size=n)
        elif choice == "str":
            cols[name] = [r.choice(_CELLS) for _ in range(n)]
        elif choice == "mixed":
            cols[name] = pd.Series([r.choice(_CELLS) for _ in range(n)]).astype("category")
        elif choice == "bool":
            cols[name] = rng.integers(0, 2, size=n).astype(bool)
        elif choice == "nullable":
            cols[name] = pd.array([r.choice([1, None, 0]) for _ in range(n)], dtype="Int64")
        elif choice == "huge":
            cols[name] = rng.choice([1e308, -1e308, np.inf, np.nan, 0.0], size=n)
        elif choice == "int":
            cols[name] = rng.integers(-3, 3, size=n)
        else:
            cols[name] = rng.normal(size=n)
    buf = io.BytesIO()
    pd.DataFrame(cols).to_parquet(buf, index=False)
    data = buf.getvalue()
    if r.random() < 0.15:
        data = data[: r.randint(0, len(data))]
    return data


def malformed_file(r: random.Random, folder: Path, kind: str | None = None) -> Path:
    """Write one random (usually malformed) data file into ``folder``; returns its path."""
    kind = kind or r.choice(KINDS)
    data = {"csv": _csv_bytes, "npz": _npz_bytes, "parquet": _parquet_bytes}[kind](r)
    path = Path(folder) / f"data-{r.getrandbits(32):08x}.{kind}"
    path.write_bytes(data)
    return path
