"""The harness: plan the (data set, detector, fold) cells, run the unfinished ones, collect.

Cells are independent, so they run under ``joblib.Parallel`` (threads that each drive an
isolated child process, see :mod:`benchmark.isolation`), or with ``backend="dask"`` on the
workers of a Dask cluster (:mod:`benchmark.dask_engine`). Every cell writes its own result
file atomically; a rerun skips finished cells, a failed cell is never cached as a success.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from benchmark.atomic import clean_stale_temp
from benchmark.backends import BackendError
from benchmark.cells import ROUTINE_REASONS, TRAIN_CAP, Cell, cell_seed, load_cell
from benchmark.cost import longest_first
from benchmark.data.dataset import Dataset
from benchmark.fold_groups import fold_groups, group_outcomes
from benchmark.folder import IncompleteFolderError, now, refresh_folder
from benchmark.inputs import FoldInputs, shared_rows
from benchmark.interrupt import Terminated
from benchmark.isolation import abort_all, execute_cell, reset_abort
from benchmark.progress import cell_counter, cost_weighted_bar
from benchmark.registry import (
    DetectorSpec,
    get_dataset,
    get_detector,
)
from benchmark.results import collect_results
from benchmark.run_config import RunConfig, variants_config
from benchmark.splits import get_splits

__all__ = ["RunConfig", "RunSummary", "plan", "run", "variants_config", "DEFAULT_SPLITS_DIR"]

log = logging.getLogger(__name__)

DEFAULT_SPLITS_DIR = Path("results") / "splits"


@dataclass
class PlannedCell:
    """A cell, the rows it needs, and whether a valid result already exists."""

    cell: Cell
    cls: type
    inputs: FoldInputs  # the data set once + the fold's indices; rows built when computed
    done: bool
    reason: str


@dataclass
class RunSummary:
    """What a run did: the long-format results and counts of done/failed/skipped cells."""

    results: pd.DataFrame
    n_cells: int
    n_ok: int
    n_failed: int
    n_skipped: int
    n_computed: int
    failed: list[dict]
    seconds: float
    output: Path
    recovered: list[dict] = field(default_factory=list)  # damaged files found and recomputed
    written: list[Path] = field(default_factory=list)  # the folder's files rebuilt at the end
    write_error: str | None = None  # why they could not be rebuilt (the cells stay valid)

    @property
    def complete(self) -> bool:
        return self.n_failed == 0 and self.n_ok == self.n_cells


def _load_dataset(name: str, config: RunConfig) -> Dataset:
    if name in config.extra_datasets:
        return config.extra_datasets[name]
    return get_dataset(name).load()


def _detector(label: str, config: RunConfig) -> tuple[str, DetectorSpec, dict[str, Any]]:
    """Resolve a table label to (registered name, spec, constructor params).

    A parameter the class does not have is an error here, before any cell runs.
    """
    name, extra = config.variants.get(label, (label, {}))
    spec = get_detector(name)
    params = spec.params(config.preset) | config.detector_params.get(label, {}) | extra
    spec.check_params(params, f"detector {label!r}" + (f" ({name})" if name != label else ""))
    return name, spec, params


def _preprocessing(cls: type, params: dict[str, Any]) -> str:
    """How the cell scales its features: the detector's choice for these parameters."""
    choose = getattr(cls, "preprocessing_for", None)
    return choose(params) if choose else getattr(cls, "preprocessing", "standard")


def _train_cap(label: str, spec: DetectorSpec, config: RunConfig) -> int | None:
    """The training-row cap of ``label``'s cells: ``--train-cap``, else the spec's."""
    if label in config.train_caps:
        return config.train_caps[label] or None  # 0 or None: no cap
    return spec.cap(config.preset)


def plan(config: RunConfig, dry: bool = False) -> list[PlannedCell]:
    """Every cell of the run with its inputs, the splits loaded or created once.

    No fold's rows are copied here: each cell gets the data set (once, shared by all its
    cells; a large one as a row file) and its fold's indices. A detector's training cap
    enters the cell's configuration only where it binds (more training rows than it).
    With ``dry`` (``--dry-run``) nothing is written: new splits are not saved.
    """
    splits_dir = Path(config.splits_dir or DEFAULT_SPLITS_DIR)
    detectors = [(label, *_detector(label, config)) for label in config.detectors]
    planned: list[PlannedCell] = []
    for ds_name in config.datasets:
        ds = _load_dataset(ds_name, config)
        splits = get_splits(
            ds, config.protocol, config.folds, config.seed, splits_dir, save=not dry
        )
        hashes = splits.hashes
        X = shared_rows(ds.X)
        for fold in range(config.folds):
            train, test = splits.train[fold], splits.test[fold]
            inputs = FoldInputs(X, ds.y, train, test)
            for label, name, spec, params in detectors:
                cls = spec.cls
                seed = cell_seed(config.seed, ds_name, label, fold)
                params = params | spec.runtime_params(seed, config.device)
                cap = _train_cap(label, spec, config)
                binds = cap is not None and len(train) > cap
                cell = Cell(
                    dataset=ds_name,
                    label=label,
                    detector=name,
                    params=params,
                    fold=fold,
                    seed=seed,
                    protocol=config.protocol,
                    folds=config.folds,
                    run_seed=config.seed,
                    preset=config.preset,
                    data_hash=splits.data_hash,
                    split_hash=hashes[fold],
                    preprocessing=_preprocessing(cls, params),
                    rho=float(ds.anomaly_rate),
                    extra={TRAIN_CAP: cap} if binds else {},
                    revision=int(getattr(cls, "revision", 1)),
                )
                record, reason = (
                    (None, "forced") if config.force else load_cell(config.output, cell)
                )
                done = record is not None and reason == ""
                planned.append(PlannedCell(cell, cls, inputs, done, reason or "done"))
    return planned


#: Math threads (BLAS/OpenMP) per cell. Fixed, not ``cpu_count // n_jobs``: a reduction
#: summed by a different number of threads rounds differently (GMM thresholds differed
#: in the 10th digit between ``--n-jobs 1`` and ``--n-jobs 2``), and a cell's result must
#: not depend on how many cells ran beside it. Parallelism comes from ``--n-jobs``.
THREADS_PER_CELL = 1


def _report_damage(config: RunConfig, planned: list[PlannedCell]) -> list[dict]:
    """Log every unusable result file the plan found; those cells are recomputed."""
    damaged = []
    for p in planned:
        if not p.done and p.reason not in ROUTINE_REASONS and p.reason != "forced":
            path = p.cell.paths(config.output)[0]
            log.warning("%s: %s; recomputing cell %s", path, p.reason, p.cell.name)
            damaged.append({"cell": p.cell.name, "file": str(path), "reason": p.reason})
    return damaged


def _compute(config: RunConfig, pending: list[PlannedCell], bar: tqdm) -> list[tuple]:
    """Compute ``pending`` with the config's backend; (planned cell, record, outcome)."""
    on_done = cell_counter(bar)
    if config.backend == "dask":
        from benchmark.dask_engine import run_on_dask

        return run_on_dask(
            pending,
            config.output,
            scheduler=config.scheduler,
            local_workers=config.local_workers,
            threads=THREADS_PER_CELL,
            memory_limit=config.memory_limit,
            force=config.force,
            on_done=on_done,
        )
    outcomes = _execute(config, pending, wait=False, on_done=on_done, weights=bar.weights)
    locked = [p for p, _, outcome in outcomes if outcome == "locked"]
    outcomes = [o for o in outcomes if o[2] != "locked"]
    if locked:  # cells another run was computing: by now usually saved, so reused
        outcomes += _execute(config, locked, wait=True, on_done=on_done, weights=bar.weights)
    return outcomes


def _execute(
    config: RunConfig,
    pending: list[PlannedCell],
    wait: bool,
    on_done: Callable[[dict], None],
    weights: dict[str, float] | None = None,
) -> list[tuple[PlannedCell, dict, str]]:
    """Run ``pending`` cells in parallel, longest units first (by ``weights``, each cell's
    expected cost); a cell locked by another run is left for later."""
    n_jobs = max(
        1, min(config.n_jobs if config.n_jobs > 0 else (os.cpu_count() or 1), len(pending) or 1)
    )
    if not config.isolate:  # in-process cells share warning filters and thread pools
        n_jobs = 1
    threads = THREADS_PER_CELL

    def one(p: PlannedCell) -> tuple[PlannedCell, dict, str]:
        record, outcome = execute_cell(
            p.cell,
            p.inputs,
            p.cls,
            config.output,
            timeout=config.timeout,
            threads=threads,
            isolate=config.isolate,
            wait_for_lock=wait,
            memory_limit=config.memory_limit,
            force=config.force,
        )
        return p, record, outcome

    def unit(cells: list[PlannedCell]) -> list[tuple[PlannedCell, dict, str]]:
        if len(cells) == 1:
            return [one(cells[0])]
        options = dict(
            timeout=config.timeout,
            threads=threads,
            memory_limit=config.memory_limit,
            force=config.force,
        )
        return group_outcomes(cells, config.output, one, **options)

    batch = config.fold_batching and config.isolate and os.name == "posix"
    done: list[tuple[PlannedCell, dict, str]] = []
    gen = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator_unordered")(
        delayed(unit)(cells)
        for cells in longest_first(fold_groups(pending, batch), weights=weights)
    )
    try:
        for results in gen:
            for p, record, outcome in results:
                done.append((p, record, outcome))
                if outcome != "locked":
                    on_done(record)
    except BaseException:  # Ctrl-C: kill the children before joblib waits for its threads
        abort_all()
        raise
    return done


def run(config: RunConfig, progress: bool = True) -> RunSummary:
    """Run every unfinished cell of ``config`` and write results and tables to its output.

    Cells another run is computing in the same folder are done last: by then that run has
    usually saved them, and they are reused (each cell's lock guarantees it is computed
    by one process at a time). Damaged result files are reported and recomputed.
    """
    start, started = time.perf_counter(), now()
    output = Path(config.output)
    reset_abort()
    clean_stale_temp(output)
    clean_stale_temp(Path(config.splits_dir or DEFAULT_SPLITS_DIR), recursive=False)
    planned = plan(config)  # before creating the folder: bad data leaves no empty folder
    output.mkdir(parents=True, exist_ok=True)
    recovered = _report_damage(config, planned)
    pending = [p for p in planned if not p.done]
    bar = cost_weighted_bar(pending, progress)
    try:
        outcomes = _compute(config, pending, bar)
    except BaseException as exc:
        bar.close()
        clean_stale_temp(output)  # what the killed children were writing
        if isinstance(exc, KeyboardInterrupt | BackendError):
            _refresh(config, started, start, len(planned), _stopped_by(exc), None)
        raise
    finally:
        bar.close()
    unsaved = {p.cell.name: rec for p, rec, _ in outcomes}
    records = [load_cell(output, p.cell)[0] for p in planned]
    results = collect_results([r for r in records if r is not None])
    failed = [
        {
            "cell": p.cell.name,
            "error": (r or unsaved.get(p.cell.name) or {}).get("error") or "no result",
        }
        for p, r in zip(planned, records)
        if r is None or r.get("status") != "ok"
    ]
    n_computed = sum(outcome == "computed" for _, _, outcome in outcomes)
    seconds = time.perf_counter() - start
    summary = RunSummary(
        results=results,
        n_cells=len(planned),
        n_ok=len(planned) - len(failed),
        n_failed=len(failed),
        n_skipped=len(planned) - n_computed,
        n_computed=n_computed,
        failed=failed,
        seconds=seconds,
        output=output,
        recovered=recovered,
    )
    outcome = "complete" if summary.complete else "some cells failed"
    summary.written, summary.write_error = _refresh(
        config, started, start, len(planned), outcome, summary
    )
    return summary


def _stopped_by(exc: BaseException) -> str:
    """The outcome run.json records for a run that ``exc`` ended early."""
    if isinstance(exc, Terminated):
        return "terminated"
    return "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"


def _refresh(
    config: RunConfig,
    started: str,
    t0: float,
    n_cells: int,
    outcome: str,
    summary: RunSummary | None,
) -> tuple[list[Path], str | None]:
    """Rebuild the folder's files over all its cells, recording this invocation."""
    invocation = {
        "started": started,
        "finished": now(),
        "outcome": outcome,
        "argv": list(config.argv),
        "config": config.to_dict(),
        "cells": n_cells,
        "seconds": time.perf_counter() - t0,
    }
    if summary is not None:
        invocation |= {
            "computed": summary.n_computed,
            "reused": summary.n_skipped,
            "failed": summary.n_failed,
            "recomputed_damaged": summary.recovered,
        }
    try:
        return refresh_folder(config.output, invocation), None
    except OSError as exc:  # e.g. a full disk: the saved cells stay valid, the files do not
        log.error("could not rebuild the files of %s: %s", config.output, exc)
        return [], f"could not write the results and tables in {config.output}: {exc}"
    except IncompleteFolderError as exc:  # the saved cells stay; the old files too
        log.error("%s", exc)
        return [], str(exc)
