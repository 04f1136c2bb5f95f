"""The report's check that no test row reaches training through a copy.

Per data set of the run: how many test rows of each fold have an exact copy (the same
raw feature vector, :mod:`benchmark.data.duplicates`) among that fold's training rows,
and how many of those are anomalies. The counts come from the saved split file when it
records them and matches the run's split hashes, else from the registered data set with
its splits recomputed (and checked against the same hashes); a data set that is neither
is shown as not counted. The suite never pads or resamples rows, so every count here is
a property of the data set itself (identical records in it), not of the splitting.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.data.duplicates import copies_in_training, row_ids
from benchmark.evaluation.cell import repeat_seed
from benchmark.evaluation.protocols import make_splits
from benchmark.evaluation.splits import saved_split_meta, split_hash, split_path
from benchmark.registry import datasets as registered_datasets
from benchmark.report.document import Document
from benchmark.report.load import RunData
from benchmark.report.text_table import Table

__all__ = ["duplicate_counts", "leakage_section", "LEAKAGE_NOTE"]

#: The default of ``--splits-dir`` (the engine's; repeated here, the report reads files only).
DEFAULT_SPLITS_DIR = Path("results") / "splits"

LEAKAGE_NOTE = (
    "A test row with an exact copy among its fold's training rows is a row the detector was"
    " trained on (or on its twin). ADBench pads small data sets with duplicated rows before"
    " splitting, which puts copies of test rows into training; this suite never pads,"
    " resamples or oversamples: every row index is in a fold's training rows or its test"
    " rows, never both. So a count above 0 here means the data set itself holds identical"
    " records (for instance rounded or discretised features), one of which fell on each"
    " side of the split; an anomaly counted here is identical to a training row (a normal,"
    " or a leaked anomaly under --contamination), which no detector can tell apart."
)


def _groups(run: RunData) -> dict[tuple, dict[int, str]]:
    """(data set, repeat, protocol, folds, run seed, contamination, data hash) -> fold hashes."""
    groups: dict[tuple, dict[int, str]] = {}
    for rec in run.records:
        c = rec.get("cell") or {}
        alpha = (c.get("extra") or {}).get("contamination")
        key = (
            c.get("dataset"),
            int(c.get("repeat", 0) or 0),
            c.get("protocol"),
            c.get("folds"),
            c.get("run_seed"),
            alpha,
            c.get("data_hash"),
        )
        groups.setdefault(key, {})[int(c.get("fold", 0))] = c.get("split_hash")
    return groups


def _from_file(run: RunData, key: tuple, hashes: dict[int, str]) -> list | None:
    name, repeat, protocol, folds, run_seed, alpha, data_hash = key
    root = Path(run.config.get("splits_dir") or DEFAULT_SPLITS_DIR)
    seed = repeat_seed(run_seed, repeat)
    meta = saved_split_meta(split_path(root, name, protocol, folds, seed, alpha))
    if not meta or meta.get("data_hash") != data_hash or meta.get("duplicates") is None:
        return None
    saved = meta.get("split_hashes") or []
    if any(k >= len(saved) or saved[k] != h for k, h in hashes.items()):
        return None
    return [tuple(d) for d in meta["duplicates"]]


def _from_data(key: tuple, hashes: dict[int, str]) -> list | None:
    name, repeat, protocol, folds, run_seed, alpha, data_hash = key
    spec = registered_datasets().get(name)
    if spec is None:
        return None
    ds = spec.load()
    if ds.content_hash() != data_hash:
        return None
    pairs = make_splits(ds.y, protocol, folds, repeat_seed(run_seed, repeat), name, alpha)
    if any(split_hash(*pairs[k]) != h for k, h in hashes.items()):
        return None
    ids = row_ids(ds.X)
    return [copies_in_training(ids, ds.y, tr, te) for tr, te in pairs]


def duplicate_counts(run: RunData) -> list[dict]:
    """One row per (data set, repetition, ALPHA): per-fold counts and where they came from."""
    rows = []
    for key, hashes in _groups(run).items():
        counts, source = _from_file(run, key, hashes), "split file"
        if counts is None:
            counts, source = _from_data(key, hashes), "recomputed from the data"
        rows.append(
            {
                "dataset": key[0],
                "repeat": key[1],
                "contamination": key[5],
                "source": source if counts is not None else "not counted (data set not found)",
                "per_fold": None if counts is None else [counts[k] for k in sorted(hashes)],
            }
        )
    return rows


def leakage_section(doc: Document, run: RunData) -> None:
    """The report's section: the table of duplicate rows across training and test."""
    doc.heading("Duplicates between training and test rows", 2)
    rows = []
    for r in duplicate_counts(run):
        label = r["dataset"] + (f" (repetition {r['repeat']})" if r["repeat"] else "")
        if r["contamination"] is not None:
            label += f", ALPHA {r['contamination']:g}"
        folds = r["per_fold"]
        if folds is None:
            rows.append([label, "n/a", "n/a", r["source"]])
            continue
        total = sum(n for n, _ in folds)
        anomalies = sum(a for _, a in folds)
        per = ", ".join(str(n) for n, _ in folds)
        rows.append([label, f"{total} ({per})", str(anomalies), r["source"]])
    doc.table(
        Table(
            "Test rows with an exact copy (raw values) among their fold's training rows",
            ["data set", "all folds (per fold)", "of them anomalies", "counted from"],
            rows,
            note=LEAKAGE_NOTE,
        )
    )
