"""Take the timings of a rerun into a run folder: ``python -m benchmark.store.retime RUN RERUN``.

Cells saved before 2026-12-05 record only the wall clock, which a busy machine stretches
(the cost model predicts CPU time). To give them CPU time, compute the same cells again
into another folder (the same command with the same ``--splits-dir`` and another
``--output``), then run this: each finished cell of RERUN whose configuration hash and
every score array equal RUN's cell takes its timings into RUN's record (wall and CPU
seconds, fit and score, ``fit_group``, with ``retimed_from`` naming RERUN). Nothing else
of RUN's record changes, nor its score file; a cell whose scores differ keeps its record
and is listed, so a number is never replaced by this command.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.atomic import atomic_write_json
from benchmark.store.folder import cell_name, folder_records, now
from benchmark.store.locking import CellLock, lock_path

__all__ = ["TIMINGS", "Retimed", "main", "retime"]

#: The record fields a rerun's cell gives the saved one.
TIMINGS = (
    "fit_seconds",
    "score_seconds",
    "fit_cpu_seconds",
    "score_cpu_seconds",
    "fit_group",
)


@dataclass
class Retimed:
    """What :func:`retime` did, by cell name."""

    retimed: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)  # scores not equal: left alone
    missing: list[str] = field(default_factory=list)  # not finished in the run folder
    busy: list[str] = field(default_factory=list)  # locked by a run computing it


def _path(folder: Path, rec: dict) -> Path:
    return folder / "cells" / f"{cell_name(rec['cell'])}.json"


def _same_scores(a: Path, b: Path) -> bool:
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        return sorted(x.files) == sorted(y.files) and all(
            np.array_equal(x[k], y[k]) for k in x.files
        )


def retime(run: Path, rerun: Path) -> Retimed:
    """Give ``run``'s finished cells the timings of ``rerun``'s equal cells (see above)."""
    saved = {r["config_hash"]: r for r in folder_records(run) if r.get("status") == "ok"}
    out = Retimed()
    for new in folder_records(rerun):
        if new.get("status") != "ok":
            continue
        name = cell_name(new["cell"])
        old = saved.get(new.get("config_hash"))
        if old is None:
            out.missing.append(name)
            continue
        path, new_path = _path(run, old), _path(rerun, new)
        if not _same_scores(path.with_suffix(".npz"), new_path.with_suffix(".npz")):
            out.differ.append(name)
            continue
        lock = CellLock(lock_path(path))
        if not lock.acquire(wait=False):
            out.busy.append(name)
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            for key in TIMINGS:
                record.pop(key, None)
                if key in new:
                    record[key] = new[key]
            record["retimed_from"] = {"folder": str(rerun), "at": now()}
            atomic_write_json(path, record)
        finally:
            lock.release()
        out.retimed.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: retime RUN from RERUN and say what was done."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.store.retime", description=__doc__)
    parser.add_argument("run", type=Path, help="the run folder whose records get the timings")
    parser.add_argument("rerun", type=Path, help="a folder holding the same cells, recomputed")
    args = parser.parse_args(argv)
    for folder in (args.run, args.rerun):
        if not (folder / "cells").is_dir():
            print(f"error: {folder} has no cells/ folder: not a run folder", file=sys.stderr)
            return 2
    done = retime(args.run, args.rerun)
    print(f"{len(done.retimed)} cells of {args.run} took their timings from {args.rerun}")
    for label, names in (
        ("scores differ, record kept", done.differ),
        ("not finished in the run folder", done.missing),
        ("being computed by another run, left", done.busy),
    ):
        if names:
            more = " ..." if len(names) > 10 else ""
            print(f"{len(names)} {label}: {', '.join(names[:10])}{more}")
    return 1 if done.differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
