"""Long-format results: one row per (cell, threshold policy), with full provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmark.atomic import atomic_write_bytes, atomic_write_text
from benchmark.evaluation.metrics import RANKING, THRESHOLDED
from benchmark.evaluation.thresholds import ORACLE_POLICIES, POLICIES

__all__ = ["CELL_KEYS", "cell_keys", "collect_results", "n_cells", "write_results"]

#: What tells the cells of one (data set, detector) apart: the repetition and the fold.
CELL_KEYS = ["repeat", "fold"]

ID_COLUMNS = ["dataset", "detector", "repeat", "fold", "protocol", "policy", "oracle", "status"]


def cell_keys(rows: pd.DataFrame) -> list[str]:
    """:data:`CELL_KEYS` that ``rows`` has (a table from before ``--repeats`` has no
    ``repeat`` column: all its cells are repetition 0)."""
    return [k for k in CELL_KEYS if k in rows]


def n_cells(rows: pd.DataFrame) -> int:
    """How many cells (distinct repetition and fold) ``rows`` of one grouping hold."""
    return len(rows.drop_duplicates(cell_keys(rows)))


def collect_results(records: list[dict]) -> pd.DataFrame:
    """Flatten cell records into the long table; a failed cell keeps its rows, metrics NaN."""
    rows = []
    for rec in records:
        cell = rec.get("cell", {})
        base = {
            "dataset": cell.get("dataset"),
            "detector": cell.get("label"),
            "registered_name": cell.get("detector"),
            "repeat": cell.get("repeat", 0),
            "fold": cell.get("fold"),
            "protocol": cell.get("protocol"),
            "status": rec.get("status"),
            "error": rec.get("error"),
            "run_seed": cell.get("run_seed"),
            "cell_seed": cell.get("seed"),
            "split_hash": cell.get("split_hash"),
            "data_hash": cell.get("data_hash"),
            "preset": cell.get("preset"),
            "config": json.dumps(cell.get("params", {}), sort_keys=True, default=str),
            "config_hash": rec.get("config_hash"),
            "preprocessing": json.dumps(rec.get("preprocessing") or {}, sort_keys=True),
            "fit_seconds": rec.get("fit_seconds"),
            "score_seconds": rec.get("score_seconds"),
            "fit_cpu_seconds": rec.get("fit_cpu_seconds"),
            "score_cpu_seconds": rec.get("score_cpu_seconds"),
            "n_train": rec.get("n_train"),
            "train_cap": rec.get("train_cap"),
            "n_train_fit": rec.get("n_train_fit"),
            "peak_rss_mb": rec.get("peak_rss_mb"),
            "n_test": rec.get("n_test"),
            "n_test_anomalies": rec.get("n_test_anomalies"),
            "device": rec.get("device"),
            "warnings": "; ".join(
                f"{w.get('category')}: {w.get('message')} (x{w.get('count')})"
                for w in rec.get("warnings") or []
            ),
            "versions": json.dumps(rec.get("versions") or {}, sort_keys=True),
        }
        base |= _contamination_columns(cell)
        ranking = rec.get("ranking") or {}
        for policy in POLICIES:
            pol = (rec.get("policies") or {}).get(policy) or {}
            row = base | {"policy": policy, "oracle": policy in ORACLE_POLICIES}
            row["threshold"] = pol.get("threshold")
            row["policy_note"] = pol.get("note")
            for m in THRESHOLDED:
                row[m] = pol.get(m)
            for m in RANKING:
                row[m] = ranking.get(m)
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    timings = ("fit_seconds", "score_seconds", "fit_cpu_seconds", "score_cpu_seconds")
    for m in (*THRESHOLDED, *RANKING, "threshold", *timings):
        frame[m] = pd.to_numeric(frame[m], errors="coerce")
    order = [c for c in ID_COLUMNS if c in frame] + [c for c in frame if c not in ID_COLUMNS]
    return frame[order].sort_values(["dataset", "detector", "fold", "policy"], kind="stable")


#: Contaminated training (--contamination): the columns results.csv gains from a cell's
#: configuration; cells without it add none, so other runs' tables keep their columns.
CONTAMINATION_COLUMNS = (
    "contamination",
    "contamination_effective",
    "train_anomalies",
    "leak_pool",
    "test_pool",
    "pools_hash",
)


def _contamination_columns(cell: dict) -> dict:
    """ALPHA, the fold's effective share and the anomaly pools, when the cell has them."""
    extra = cell.get("extra") or {}
    return {k: extra[k] for k in CONTAMINATION_COLUMNS if k in extra}


def write_results(frame: pd.DataFrame, output: Path) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet`` when pyarrow is installed)."""
    output = Path(output)
    paths = [output / "results.csv"]
    atomic_write_text(paths[0], frame.to_csv(index=False))
    try:
        import io

        import pyarrow  # noqa: F401

        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        atomic_write_bytes(output / "results.parquet", buf.getvalue())
        paths.append(output / "results.parquet")
    except ImportError:
        pass
    return paths
