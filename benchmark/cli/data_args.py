"""The data sets a run gets from the command line besides the registered ones
(``--data-file``, ``--data-dir``), and the lines it prints about them and ``--contamination``.

Everything here runs before any cell: a folder's unusable files each cost one line on
stderr (``skipped ...``) and the others run; a file that cannot be used on its own
(``--data-file``) or a folder with no data file is an error (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from benchmark.data import load_user_file
from benchmark.data.dataset import DataError, Dataset
from benchmark.data.folder import load_data_dir
from benchmark.evaluation.protocols import LEAK_SHARE, leak_count, make_splits
from benchmark.registry import datasets

__all__ = [
    "add_data_arguments",
    "extra_datasets",
    "contamination_alpha",
    "capped_lines",
    "print_caps",
]


def add_data_arguments(what: argparse._ArgumentGroup, how: argparse._ArgumentGroup) -> None:
    """``--data-dir`` (in ``what``) and ``--contamination`` (in ``how``)."""
    what.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="every .npz, .csv and .parquet file in DIR, each a data set named after its file"
        " (e.g. ADBench's Classical folder); an unusable file is skipped with one line",
    )
    how.add_argument(
        "--contamination",
        type=float,
        default=None,
        metavar="ALPHA",
        help="kfold-normal and half-normal: leak anomalies into training, ALPHA (0 <= ALPHA <"
        " 0.5) of each training fold's rows, from a seeded pool kept out of the test rows"
        " (default: none; 0 is the protocol as published)",
    )


def contamination_alpha(args: argparse.Namespace) -> float | None:
    """The run's contamination: None for the protocol as published (no flag, or 0)."""
    alpha = getattr(args, "contamination", None)
    return float(alpha) if alpha else None


def _warn_no_anomalies(ds: Dataset) -> None:
    if ds.n_anomalies == 0:
        print(
            f"warning: {ds.source or ds.name} has no anomalies: AUROC, AUPRC and anomaly"
            " recall are undefined (n/a); the run goes on",
            file=sys.stderr,
        )


def extra_datasets(args: argparse.Namespace) -> dict[str, Dataset]:
    """``--data-file`` and ``--data-dir``'s usable files, by name; DataError when fatal."""
    extra: dict[str, Dataset] = {}
    if args.data_file is not None:
        ds = load_user_file(args.data_file, args.label_column, args.normal_label, args.sep)
        extra[ds.name] = ds
        _warn_no_anomalies(ds)
    if getattr(args, "data_dir", None) is None:
        return extra
    alpha = contamination_alpha(args)

    def check(ds: Dataset) -> None:  # the run's protocol must be able to split it
        make_splits(ds.y, args.protocol, args.folds, args.seed, ds.source, alpha)

    folder = load_data_dir(
        args.data_dir,
        args.label_column,
        args.normal_label,
        args.sep,
        taken=[*datasets(), *extra],
        check=check,
    )
    for line in folder.problems:
        print(f"skipped {line}", file=sys.stderr)
    if not folder.datasets:
        raise DataError(
            f"--data-dir {args.data_dir}: none of its {len(folder.problems)} data file(s) is"
            " usable (see the lines above)"
        )
    for ds in folder.datasets.values():
        _warn_no_anomalies(ds)
    if folder.problems or folder.ignored:
        print(
            f"--data-dir {args.data_dir}: {len(folder.datasets)} data set(s),"
            f" {len(folder.problems)} file(s) skipped, {len(folder.ignored)} other entries"
            " ignored",
            file=sys.stderr,
        )
    return extra | folder.datasets


def capped_lines(cells: Iterable[tuple[str, dict, int]]) -> list[str]:
    """One line per data set whose leak pool capped ALPHA, from (data set, the cell's
    contamination fields, its training rows)."""
    lowest: dict[tuple[str, float], float] = {}
    for name, extra, n_train in cells:
        if extra.get("contamination") is None or extra["contamination"] != extra["contamination"]:
            continue
        m, pool = int(extra["train_anomalies"]), int(extra["leak_pool"])
        alpha, effective = float(extra["contamination"]), float(extra["contamination_effective"])
        if m == pool and leak_count(alpha, int(n_train) - m) > pool:
            key = (str(name), alpha)
            lowest[key] = min(lowest.get(key, 1.0), effective)
    return [
        f"note: {name}: its leak pool ({LEAK_SHARE:.0%} of the anomalies) is too small for"
        f" --contamination {alpha:g}; each training fold takes the whole pool (effective"
        f" share {eff:.2%} at the lowest)"
        for (name, alpha), eff in lowest.items()
    ]


def print_caps(cells: list | pd.DataFrame) -> None:
    """Print :func:`capped_lines` for planned cells (``--dry-run``) or a run's results."""
    if isinstance(cells, pd.DataFrame):
        if cells.empty or "contamination" not in cells:
            return
        rows = cells.drop_duplicates(["dataset", "repeat", "fold"])
        items = [(r.dataset, r._asdict(), r.n_train) for r in rows.itertuples()]
    else:
        items = [(p.cell.dataset, p.cell.extra, p.inputs.n_train) for p in cells]
    for line in capped_lines(items):
        print(line)
