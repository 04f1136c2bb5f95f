"""A cell's record on disk: ``foldK.npz`` (scores) then ``foldK.json`` (metadata and
metrics), both written atomically. The JSON, written last, records the sha256 of the
npz, so a cell is finished exactly when :func:`read_cell` accepts its JSON."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmark.atomic import atomic_save_npz, atomic_write_json
from benchmark.evaluation.cell import SCHEMA, Cell
from benchmark.evaluation.compute import versions
from benchmark.evaluation.thresholds import POLICIES
from benchmark.store.states import RecordState

__all__ = ["SavedCell", "failure_record", "is_finished", "read_cell", "write_cell"]


@dataclass(frozen=True)
class SavedCell:
    """What :func:`read_cell` found for a cell: its record (when readable and its own),
    the record's :class:`~benchmark.store.states.RecordState`, and what is damaged."""

    record: dict | None
    state: RecordState
    detail: str = ""  # for DAMAGED: what is wrong with the files, for humans

    @property
    def finished(self) -> bool:
        """The one test of a finished cell: its record and scores are usable as saved."""
        return self.state is RecordState.FINISHED

    @property
    def reason(self) -> str:
        return self.detail or self.state.value


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


def read_cell(output: Path, cell: Cell) -> SavedCell:
    """The saved record of ``cell`` and what it is worth (see :class:`SavedCell`)."""
    json_path, npz_path = cell.paths(output)
    if not json_path.exists():
        return SavedCell(None, RecordState.MISSING)
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return _damaged("corrupt result file")
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        return _damaged("result file of another schema")
    if record.get("config_hash") != cell.config_hash():
        return SavedCell(None, RecordState.STALE)
    if record.get("status") != "ok":
        return SavedCell(record, RecordState.FAILED)
    ranking, policies = record.get("ranking"), record.get("policies")
    if (
        not isinstance(ranking, dict)
        or not isinstance(policies, dict)
        or set(policies) != set(POLICIES)
        or not isinstance(record.get("scores_sha256"), str)
    ):
        return _damaged("result file is incomplete (metrics or score digest missing)")
    try:
        digest = hashlib.sha256(npz_path.read_bytes()).hexdigest()
        if digest != record.get("scores_sha256"):
            return _damaged("score file does not match its record")
        with np.load(npz_path, allow_pickle=False) as z:
            z["test_scores"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return _damaged("score file missing or corrupt")
    return SavedCell(record, RecordState.FINISHED)


def _damaged(detail: str) -> SavedCell:
    return SavedCell(None, RecordState.DAMAGED, detail)


def is_finished(output: Path, cell: Cell) -> bool:
    """Whether ``cell`` has a usable record in ``output`` (:attr:`SavedCell.finished`)."""
    return read_cell(output, cell).finished
