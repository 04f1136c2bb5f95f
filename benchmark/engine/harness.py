"""The harness: plan the (data set, detector, fold) cells, run the unfinished ones, collect.

Cells are independent, so they run under ``joblib.Parallel`` (threads that each drive an
isolated child process, see :mod:`benchmark.engine.workers`), or with ``backend="dask"`` on the
workers of a Dask cluster (:mod:`benchmark.engine.dask_backend`). Every cell writes its own result
file atomically; a rerun skips finished cells, a failed cell is never cached as a success.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from benchmark.atomic import clean_stale_temp
from benchmark.engine.backends import BackendError
from benchmark.engine.config import RunConfig, variants_config
from benchmark.engine.cost import longest_first
from benchmark.engine.execute import execute_cell, group_outcomes
from benchmark.engine.fold_groups import fold_groups
from benchmark.engine.interrupt import Terminated
from benchmark.engine.plan import DEFAULT_SPLITS_DIR, PlannedCell, plan
from benchmark.engine.progress import cell_counter, cost_weighted_bar
from benchmark.engine.workers import abort_all, close_workers, reset_abort
from benchmark.report.refresh import refresh_folder
from benchmark.store.folder import IncompleteFolderError, now
from benchmark.store.records import read_cell
from benchmark.store.results import collect_results
from benchmark.store.states import Outcome, RecordState

__all__ = ["RunConfig", "RunSummary", "plan", "run", "variants_config", "DEFAULT_SPLITS_DIR"]

log = logging.getLogger(__name__)


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
    n_deferred: int = 0  # not started: they would not have finished before --stop-after

    @property
    def complete(self) -> bool:
        return self.n_failed == 0 and self.n_ok == self.n_cells


#: Math threads (BLAS/OpenMP) per cell. Fixed, not ``cpu_count // n_jobs``: a reduction
#: summed by a different number of threads rounds differently (GMM thresholds differed
#: in the 10th digit between ``--n-jobs 1`` and ``--n-jobs 2``), and a cell's result must
#: not depend on how many cells ran beside it. Parallelism comes from ``--n-jobs``.
THREADS_PER_CELL = 1


def _report_damage(config: RunConfig, planned: list[PlannedCell]) -> list[dict]:
    """Log every unusable result file the plan found; those cells are recomputed."""
    damaged = []
    for p in planned:
        if p.state is RecordState.DAMAGED:
            path = p.cell.paths(config.output)[0]
            log.warning("%s: %s; recomputing cell %s", path, p.reason, p.cell.name)
            damaged.append({"cell": p.cell.name, "file": str(path), "reason": p.reason})
    return damaged


def _compute(config: RunConfig, pending: list[PlannedCell], bar: tqdm) -> list[tuple]:
    """Compute ``pending`` with the config's backend; (planned cell, record, outcome)."""
    on_done = cell_counter(bar)
    if config.backend == "dask":
        from benchmark.engine.dask_backend import run_on_dask

        return run_on_dask(
            pending,
            config.output,
            scheduler=config.scheduler,
            local_workers=config.local_workers,
            threads=THREADS_PER_CELL,
            memory_limit=config.memory_limit_bytes,
            force=config.force,
            on_done=on_done,
            fold_batching=config.fold_batching,
        )
    deadline = None if config.stop_after is None else time.monotonic() + config.stop_after
    outcomes = _execute(
        config, pending, wait=False, on_done=on_done, weights=bar.weights, deadline=deadline
    )
    locked = [p for p, _, outcome in outcomes if outcome is Outcome.LOCKED]
    outcomes = [o for o in outcomes if o[2] is not Outcome.LOCKED]
    if locked:  # cells another run was computing: by now usually saved, so reused
        outcomes += _execute(config, locked, wait=True, on_done=on_done, weights=bar.weights)
    return outcomes


def _execute(
    config: RunConfig,
    pending: list[PlannedCell],
    wait: bool,
    on_done: Callable[[dict], None],
    weights: dict[str, float] | None = None,
    deadline: float | None = None,
) -> list[tuple[PlannedCell, dict, str]]:
    """Run ``pending`` cells in parallel, longest units first (by ``weights``, each cell's
    expected cost); a cell locked by another run is left for later. A unit that would not
    finish by ``deadline`` (``time.monotonic()``; its expected cost from now) is not
    started: its cells come back ``DEFERRED``."""
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
            memory_limit=config.memory_limit_bytes,
            force=config.force,
        )
        return p, record, outcome

    def unit(cells: list[PlannedCell]) -> list[tuple[PlannedCell, dict, str]]:
        if deadline is not None:
            need = sum((weights or {}).get(p.cell.name, 0.0) for p in cells)
            if time.monotonic() + need > deadline:
                return [(p, {}, Outcome.DEFERRED) for p in cells]
        if len(cells) == 1:
            return [one(cells[0])]
        options = dict(
            timeout=config.timeout,
            threads=threads,
            memory_limit=config.memory_limit_bytes,
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
                if outcome not in (Outcome.LOCKED, Outcome.DEFERRED):
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
        clean_stale_temp(output)  # what the killed workers were writing
        if isinstance(exc, KeyboardInterrupt | BackendError):
            _refresh(config, started, start, len(planned), _stopped_by(exc), None)
        raise
    finally:
        bar.close()
        close_workers()
    unsaved = {p.cell.name: rec for p, rec, _ in outcomes}
    deferred = {p.cell.name for p, _, outcome in outcomes if outcome is Outcome.DEFERRED}
    records = [read_cell(output, p.cell).record for p in planned]
    results = collect_results([r for r in records if r is not None])
    failed = [
        {
            "cell": p.cell.name,
            "error": (r or unsaved.get(p.cell.name) or {}).get("error") or "no result",
        }
        for p, r in zip(planned, records)
        if (r.get("status") != "ok" if r is not None else p.cell.name not in deferred)
    ]
    n_computed = sum(outcome is Outcome.COMPUTED for _, _, outcome in outcomes)
    seconds = time.perf_counter() - start
    summary = RunSummary(
        results=results,
        n_cells=len(planned),
        n_ok=len(planned) - len(failed) - len(deferred),
        n_failed=len(failed),
        n_skipped=len(planned) - n_computed - len(deferred),
        n_computed=n_computed,
        failed=failed,
        seconds=seconds,
        output=output,
        recovered=recovered,
        n_deferred=len(deferred),
    )
    outcome = "complete" if summary.complete else "some cells failed"
    if deferred:
        outcome = f"stopped after --stop-after: {len(deferred)} cells left for a later run"
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
