"""Rebuild a run folder's derived files (``results.csv`` + ``.parquet``, Table 1 and
``run.json``) over every finished cell it holds, after each run and by ``--report``."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from benchmark.atomic import atomic_write_json
from benchmark.evaluation.cell import record_path
from benchmark.report.paper_tables import write_table1
from benchmark.store.folder import (
    ABOUT,
    FOLDER_LOCK,
    IncompleteFolderError,
    cell_name,
    folder_records,
    now,
    read_manifest,
)
from benchmark.store.locking import CellLock
from benchmark.store.results import collect_results, write_results

__all__ = ["refresh_folder"]

log = logging.getLogger(__name__)


def _ordered(invocations: list[dict], key: str, seen: list[str]) -> list[str]:
    names: list[str] = []
    for inv in invocations:
        names += [n for n in (inv.get("config") or {}).get(key) or [] if n in seen]
    return list(dict.fromkeys(names + seen))


def _versions(records: list[dict]) -> dict[str, dict[str, int]]:
    """Per package, each version found in the cells and how many cells used it."""
    counts: dict[str, Counter] = {}
    for rec in records:
        for pkg, ver in (rec.get("versions") or {}).items():
            counts.setdefault(pkg, Counter())[str(ver)] += 1
    return {pkg: dict(c.most_common()) for pkg, c in counts.items()}


def _manifest(records: list[dict], history: list[dict]) -> dict:
    cells = [r["cell"] for r in records]
    seen_ds = list(dict.fromkeys(c.get("dataset") for c in cells))
    seen_det = list(dict.fromkeys(c.get("label") for c in cells))
    configs = Counter(
        (c.get("protocol"), c.get("folds"), c.get("run_seed"), c.get("preset")) for c in cells
    )
    failed = [
        {"cell": cell_name(r["cell"]), "error": r.get("error") or "no error recorded"}
        for r in records
        if r.get("status") != "ok"
    ]
    compute = sum(
        float(r.get("fit_seconds") or 0) + float(r.get("score_seconds") or 0) for r in records
    )
    return {
        "about": ABOUT,
        "updated": now(),
        "datasets": _ordered(history, "datasets", seen_ds),
        "detectors": _ordered(history, "detectors", seen_det),
        "cells": len(records),
        "ok": len(records) - len(failed),
        "failed_cells": failed,
        "compute_seconds": compute,
        "configurations": [
            {"protocol": p, "folds": f, "seed": s, "preset": pr, "cells": n}
            for (p, f, s, pr), n in configs.most_common()
        ],
        "versions": _versions(records),
        "splits": {
            f"{c.get('dataset')}/fold{c.get('fold')}": c.get("split_hash")
            for c in sorted(cells, key=lambda c: (str(c.get("dataset")), c.get("fold") or 0))
        },
        "config": (history[-1].get("config") if history else None) or {},
        "invocations": history,
        "cell_list": [
            {
                "cell": cell_name(r["cell"]),
                "status": r.get("status"),
                "config_hash": r.get("config_hash"),
                "seconds": float(r.get("fit_seconds") or 0) + float(r.get("score_seconds") or 0),
            }
            for r in records
        ],
    }


def _history(manifest: dict) -> list[dict]:
    """The invocations recorded so far (an older run.json without a history counts as one)."""
    if "invocations" in manifest:
        return list(manifest["invocations"] or [])
    if manifest.get("config"):
        return [{"config": manifest["config"], "outcome": "unknown (run.json of an older version)"}]
    return []


def refresh_folder(output: Path, invocation: dict | None = None) -> list[Path]:
    """Rebuild results, Table 1 and ``run.json`` over all finished cells of ``output``.

    ``invocation`` (what a run did: its config, times, counts and outcome) is appended
    to ``run.json``'s history; ``--report`` passes none. Returns the paths written.
    """
    output = Path(output)
    lock = CellLock(output / FOLDER_LOCK)
    locked = lock.acquire(wait=True, timeout=120)
    if not locked:
        log.warning("%s: another run is rebuilding the folder's files; rebuilding anyway", output)
    try:
        records = folder_records(output)
        previous = read_manifest(output)
        _check_nothing_dropped(output, previous, records)
        frame = collect_results(records)
        history = _history(previous)
        if invocation is not None:
            history.append(invocation)
        manifest = _manifest(records, history)
        # Table 1 in run.json's order of data sets and detectors, as the report shows it.
        paths = write_results(frame, output) + write_table1(
            frame, output, manifest["datasets"], manifest["detectors"]
        )
        atomic_write_json(output / "run.json", manifest)
        return [*paths, output / "run.json"]
    finally:
        lock.release()


def _check_nothing_dropped(output: Path, manifest: dict, records: list[dict]) -> None:
    """Refuse a rebuild that would describe fewer cells than ``run.json`` lists because
    their result files are gone.

    A folder whose cells are gone (a committed results folder without its ``cells/``, a
    copy of the tables alone, a deleted cell file) would otherwise get a results.csv,
    tables and report without those cells: results lost, not updated. A damaged cell
    file is still left out with a warning (:func:`folder_records`): the rerun that
    recomputes it is the only way to get it back either way.
    """
    present = {cell_name(r["cell"]) for r in records}
    listed = [c.get("cell") for c in manifest.get("cell_list") or [] if isinstance(c, dict)]
    missing = [n for n in listed if n and n not in present and not _record_exists(output, n)]
    if missing:
        raise IncompleteFolderError(
            f"{output}: run.json lists {len(missing)} of its {len(listed)} cells whose"
            f" result files are not under cells/ (first: {missing[0]}); rebuilding would drop them"
            " from results.csv, the tables and the report, so nothing was rewritten. Rerun"
            " the command in run.json's 'invocations' to recompute them (saved cells are"
            " reused), or move run.json aside to rebuild over the saved cells only"
        )


def _record_exists(output: Path, name: str) -> bool:
    """Whether the record file of the cell named ``name`` ("data set/label/fold<k>") exists."""
    parts = name.rsplit("/", 2)
    if len(parts) != 3:  # not a name this suite writes: nothing to look for
        return True
    dataset, label, fold = parts
    return record_path(output, dataset, label, fold.removeprefix("fold")).exists()
