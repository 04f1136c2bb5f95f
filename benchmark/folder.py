"""A run folder is a store of cells; every other file in it is derived from all of them.

The folder holds one record per (data set, detector, fold) cell under ``cells/``, from
however many invocations wrote into it. ``results.csv`` (+ ``.parquet``), Table 1
(``table1.md``/``.csv``/``.tex``) and ``run.json`` are rebuilt by :func:`refresh_folder`
over **every** finished cell the folder holds, after each run (also an interrupted one)
and by ``--report``; so a small run into a big run's folder adds its cells instead of
replacing the files, and no file describes fewer cells than the folder has. ``run.json``
lists the cells and keeps the history of the invocations that wrote into the folder; a
folder whose listed cell files are gone (tables kept without their cells) is not rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from benchmark.atomic import atomic_write_json
from benchmark.cells import SCHEMA, record_path
from benchmark.locking import CellLock
from benchmark.results import collect_results, write_results
from benchmark.tables import write_table1

__all__ = [
    "ABOUT",
    "IncompleteFolderError",
    "folder_records",
    "refresh_folder",
    "read_manifest",
    "now",
]

log = logging.getLogger(__name__)

ABOUT = (
    "A store of cells: one record per (data set, detector, fold) under cells/, from every"
    " invocation listed in 'invocations'. results.csv, table1.*, this file and the report"
    " are rebuilt over all finished cells in the folder."
)
#: Serialises the rebuild of the derived files when two runs end at the same time.
FOLDER_LOCK = ".folder.lock"


class IncompleteFolderError(RuntimeError):
    """run.json lists cells the folder no longer holds: a rebuild would drop them."""


def now() -> str:
    """The current UTC time as an ISO 8601 string (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _intact(record: dict, json_path: Path) -> str:
    """Why a parsed cell record cannot be used ("" if it can)."""
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        return "result file of another schema"
    if not isinstance(record.get("cell"), dict):
        return "result file without its cell"
    if record.get("status") != "ok":
        return ""
    try:
        digest = hashlib.sha256(json_path.with_suffix(".npz").read_bytes()).hexdigest()
    except OSError:
        return "score file missing"
    return "" if digest == record.get("scores_sha256") else "score file does not match its record"


def folder_records(output: Path) -> list[dict]:
    """Every finished cell record under ``output/cells`` (ok with intact scores, or failed).

    A damaged record is named in a warning and left out (the next run recomputes it).
    """
    out = []
    for path in sorted(Path(output).glob("cells/*/*/fold*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            log.warning("%s: unreadable result file; left out (a rerun recomputes it)", path)
            continue
        why = _intact(record, path)
        if why:
            log.warning("%s: %s; left out (a rerun recomputes it)", path, why)
            continue
        out.append(record)
    return out


def read_manifest(output: Path) -> dict:
    """``run.json`` of ``output`` as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(output) / "run.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


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
        {"cell": _name(r["cell"]), "error": r.get("error") or "no error recorded"}
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
                "cell": _name(r["cell"]),
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


def _name(cell: dict) -> str:
    return f"{cell.get('dataset')}/{cell.get('label')}/fold{cell.get('fold')}"


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
    present = {_name(r["cell"]) for r in records}
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
