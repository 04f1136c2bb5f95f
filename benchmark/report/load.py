"""Read a finished run folder: its manifest, cell records, long results and saved scores.

Everything is read through paths relative to the run folder, so a report regenerates
after the folder was copied or moved elsewhere (nothing is rerun).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.evaluation.cell import Cell
from benchmark.store.folder import folder_records
from benchmark.store.results import collect_results

__all__ = ["RunData", "load_run", "FOCUS_DATASET"]

#: The data set the single-data-set figures use when the run has it (the paper's).
FOCUS_DATASET = "production-line"


@dataclass
class RunData:
    """A finished run as the report sees it (all of it read from the run folder)."""

    root: Path
    manifest: dict
    records: list[dict]
    results: pd.DataFrame
    datasets: list[str] = field(default_factory=list)
    detectors: list[str] = field(default_factory=list)

    @property
    def config(self) -> dict:
        return self.manifest.get("config") or {}

    @property
    def folds(self) -> int:
        """Folds of the folder's cells (the most any of its cells has)."""
        return int(self.results["fold"].max()) + 1 if not self.results.empty else 0

    def record(self, dataset: str, detector: str, fold: int, repeat: int = 0) -> dict | None:
        """The cell record of (data set, detector label, fold, repetition), if there is one."""
        want = (dataset, detector, fold, repeat)
        for rec in self.records:
            cell = rec.get("cell") or {}
            if (
                cell.get("dataset"),
                cell.get("label"),
                cell.get("fold"),
                cell.get("repeat", 0),
            ) == want:
                return rec
        return None

    def scores(self, dataset: str, detector: str, fold: int) -> dict[str, np.ndarray] | None:
        """The saved score arrays of a successful cell, or None (failed, missing, corrupt)."""
        rec = self.record(dataset, detector, fold)
        if rec is None or rec.get("status") != "ok":
            return None
        try:
            _, npz_path = Cell(**rec["cell"]).paths(self.root)
            with np.load(npz_path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, TypeError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
            return None

    def focus_dataset(self, preferred: str = FOCUS_DATASET) -> str | None:
        """``preferred`` when the run has it, else the run's first data set."""
        if preferred in self.datasets:
            return preferred
        return self.datasets[0] if self.datasets else None


def _ordered(config_names: list[str] | None, seen: list[str]) -> list[str]:
    names = [n for n in (config_names or []) if n in seen]
    return names + [n for n in seen if n not in names]


def load_run(root: Path) -> RunData:
    """Load run folder ``root``; raises FileNotFoundError when it holds no run."""
    root = Path(root)
    manifest_path = root / "run.json"
    if not manifest_path.is_file() and not (root / "cells").is_dir():
        raise FileNotFoundError(f"{root}: not a run folder (no run.json and no cells/)")
    manifest = {}
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    records = folder_records(root)
    results = collect_results(records)
    config = {"datasets": manifest.get("datasets"), "detectors": manifest.get("detectors")}
    seen_ds = list(dict.fromkeys(results["dataset"])) if not results.empty else []
    seen_det = list(dict.fromkeys(results["detector"])) if not results.empty else []
    return RunData(
        root=root,
        manifest=manifest,
        records=records,
        results=results,
        datasets=_ordered(config.get("datasets"), seen_ds),
        detectors=_ordered(config.get("detectors"), seen_det),
    )
