"""Data sets: the bundled real ones, the synthetic production line, and user files.

The loaders live here rather than in a ``datasets`` Python package so that they never
shadow (or are shadowed by) Hugging Face's ``datasets``; the top-level ``datasets/``
folder holds the bundled files and their MANIFEST and is deliberately not a package.
"""

from __future__ import annotations

from functools import partial

from benchmark.data.bundled import DATA_DIR, load_bundled, manifest
from benchmark.data.dataset import DataError, Dataset
from benchmark.data.files import load_user_file
from benchmark.data.synthetic import production_line
from benchmark.registry import DatasetSpec, register_dataset

__all__ = ["DATA_DIR", "DataError", "Dataset", "load_bundled", "load_user_file", "production_line"]

for _name, _row in manifest().items():
    register_dataset(
        DatasetSpec(
            name=_name,
            loader=partial(load_bundled, _name),
            n=int(_row["n"]),
            d=int(_row["d"]),
            n_anomalies=int(_row["n_anomalies"]),
            source=_row["original_reference"].split("; ODDS")[0].split("; used in")[0],
        )
    )

register_dataset(
    DatasetSpec(
        name="production-line",
        loader=production_line,
        n=3958,
        d=10,
        n_anomalies=22,
        source="synthetic: 6 Gaussian modes, anomalies just outside them (seed 0)",
    )
)
