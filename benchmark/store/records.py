"""A cell's record on disk: ``foldK.npz`` (scores) then ``foldK.json`` (metadata and
metrics), both written atomically. The JSON, written last, records the sha256 of the
npz, so a cell is finished exactly when :func:`load_cell` accepts its JSON."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmark.atomic import atomic_save_npz, atomic_write_json
from benchmark.evaluation.cell import SCHEMA, Cell
from benchmark.evaluation.compute import versions
from benchmark.evaluation.thresholds import POLICIES

__all__ = ["ROUTINE_REASONS", "failure_record", "load_cell", "write_cell"]

#: Reasons from :func:`load_cell` that are ordinary (nothing on disk is damaged).
ROUTINE_REASONS = frozenset({"", "missing", "configuration changed", "failed before"})


def write_cell(output: Path, cell: Cell, record: dict, arrays: dict) -> None:
    """Write the score arrays, then the JSON that marks the cell finished (both atomic)."""
    json_path, npz_path = cell.paths(output)
    if arrays:
        record["scores_sha256"] = atomic_save_npz(npz_path, **arrays)
    try:
        atomic_write_json(json_path, record)
    except BaseException:
        if arrays:  # scores without their record are never used: do not leave them behind
            npz_path.unlink(missing_ok=True)
        raise


def failure_record(cell: Cell, error: str, tb: str | None = None) -> dict:
    """A ``failed`` record for a cell that could not even report (timeout, crash)."""
    return {
        "schema": SCHEMA,
        "config_hash": cell.config_hash(),
        "cell": asdict(cell),
        "status": "failed",
        "error": error,
        "traceback": tb,
        "versions": versions(),
    }


def load_cell(output: Path, cell: Cell) -> tuple[dict | None, str]:
    """The saved record of ``cell`` and ``""``, or ``None`` and why it cannot be used."""
    json_path, npz_path = cell.paths(output)
    if not json_path.exists():
        return None, "missing"
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None, "corrupt result file"
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        return None, "result file of another schema"
    if record.get("config_hash") != cell.config_hash():
        return None, "configuration changed"
    if record.get("status") != "ok":
        return record, "failed before"
    ranking, policies = record.get("ranking"), record.get("policies")
    if (
        not isinstance(ranking, dict)
        or not isinstance(policies, dict)
        or set(policies) != set(POLICIES)
        or not isinstance(record.get("scores_sha256"), str)
    ):
        return None, "result file is incomplete (metrics or score digest missing)"
    try:
        digest = hashlib.sha256(npz_path.read_bytes()).hexdigest()
        if digest != record.get("scores_sha256"):
            return None, "score file does not match its record"
        with np.load(npz_path, allow_pickle=False) as z:
            z["test_scores"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None, "score file missing or corrupt"
    return record, ""
