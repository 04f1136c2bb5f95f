"""A run folder is a store of cells; every other file in it is derived from all of them
(rebuilt by :func:`benchmark.report.refresh.refresh_folder`).

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
from datetime import UTC, datetime
from pathlib import Path

from benchmark.evaluation.cell import SCHEMA

__all__ = [
    "ABOUT",
    "IncompleteFolderError",
    "folder_records",
    "FOLDER_LOCK",
    "cell_name",
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


def cell_name(cell: dict) -> str:
    """A recorded cell's name: "data set/label/fold<k>"."""
    return f"{cell.get('dataset')}/{cell.get('label')}/fold{cell.get('fold')}"
