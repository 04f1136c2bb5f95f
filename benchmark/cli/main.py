"""Command line of the suite: ``python run_benchmark.py --help``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from benchmark.cli.checks import check_cluster, check_device, check_numbers, check_output_dir
from benchmark.cli.detector_names import canonical_cap_items, resolve_detectors
from benchmark.cli.exits import fail, interrupted, stop_code
from benchmark.cli.listing import print_list
from benchmark.cli.parser import build_parser
from benchmark.cli.studies import design_study, print_plan
from benchmark.data.dataset import DataError
from benchmark.engine.backends import BackendError
from benchmark.engine.interrupt import stop_on_sigterm
from benchmark.registry import (
    UnknownNameError,
    datasets,
    resolve_names,
)

__all__ = ["main", "build_parser"]  # build_parser lives in benchmark/cli/parser.py


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0 when every cell succeeded, 1 if some failed, 2 on bad input.

    An interrupted run (Ctrl-C: 130, SIGTERM: 143) says how many cells are saved.
    """
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in run.json
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.list:
        print_list(args.verbose)
        return 0
    if args.report is not None or args.update_reference:
        if args.dry_run:
            return _dry_report(args.report)
        if args.report is None:
            from benchmark.studies.smoke_reference import update_reference_command

            return update_reference_command()
        from benchmark.report.commands import report_command

        return report_command(args.report)
    error = check_numbers(args) or check_device(args.device) or check_cluster(args)
    if error:
        return fail(error)
    with stop_on_sigterm():
        if args.study == "contamination":
            from benchmark.cli.contamination import contamination_study

            return contamination_study(args, sys.argv[1:] if argv is None else argv)
        if args.study:
            return design_study(args, sys.argv[1:] if argv is None else argv)
        if args.ablation or args.reproduce:
            from benchmark.cli.studies import study

            return study(args, argv)
        return _benchmark(args)


def _benchmark(args: argparse.Namespace) -> int:
    """The main run: every (data set, detector, fold) cell, then the folder's files."""
    from benchmark.cli.data_args import contamination_alpha, extra_datasets, print_caps
    from benchmark.engine.config import parse_train_caps
    from benchmark.engine.harness import RunConfig, plan, run

    try:
        extra = extra_datasets(args)
        if args.datasets is None:
            args.datasets = "" if extra else "all"
        all_ds = list(datasets())
        names = resolve_names("data set", args.datasets, all_ds, all_ds) if args.datasets else []
        names += [n for n in extra if n not in names]
        dets, variants = resolve_detectors(args.detectors)
    except (DataError, UnknownNameError) as exc:
        return fail(str(exc))
    output = args.output or Path("results") / f"{args.preset}-{args.protocol}-seed{args.seed}"
    error = check_output_dir(output) or (
        check_output_dir(args.splits_dir, "--splits-dir") if args.splits_dir else None
    )
    if error:
        return fail(error)
    try:
        caps = parse_train_caps(canonical_cap_items(args.train_cap), dets)
    except ValueError as exc:
        return fail(str(exc))
    config = RunConfig(
        datasets=names,
        detectors=dets,
        protocol=args.protocol,
        folds=args.folds,
        repeats=args.repeats,
        seed=args.seed,
        preset=args.preset,
        output=output,
        n_jobs=args.n_jobs,
        timeout=args.timeout,
        force=args.force,
        device=args.device,
        extra_datasets=extra,
        splits_dir=args.splits_dir,
        memory_limit_mb=args.memory_limit,
        argv=args.argv,
        backend=args.backend,
        scheduler=args.scheduler,
        local_workers=args.local_workers,
        fold_batching=args.fold_batching,
        stop_after=args.stop_after,
        train_caps=caps,
        contamination=contamination_alpha(args),
        variants=variants,
    )
    try:
        if args.dry_run:
            planned = plan(config, dry=True)
            print_caps(planned)
            return print_plan([planned], _cells_at_a_time(config))
        summary = run(config, progress=not args.quiet)
    except (DataError, ValueError) as exc:
        return fail(str(exc))
    except BackendError as exc:
        planned = plan(config)
        n_done = sum(p.done for p in planned)
        print(
            f"error: {exc}: {n_done} of {len(planned)} cells are finished and saved in {output};"
            " rerun the same command (or with --backend local) to resume",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt as exc:
        return interrupted(exc, [config], output)
    print(
        f"{summary.n_cells} cells: {summary.n_ok} ok, {summary.n_failed} failed,"
        f" {summary.n_skipped} reused from earlier runs; {summary.seconds:.0f} s"
    )
    if summary.n_deferred:
        print(
            f"--stop-after: {summary.n_deferred} cells not started (they would not have"
            " finished in time); rerun the same command to compute them"
        )
    for f in summary.failed[:20]:
        print(f"  FAILED {f['cell']}: {f['error']}", file=sys.stderr)
    print_caps(summary.results)
    for path in summary.written:
        print(f"wrote {path}")
    if summary.write_error:
        print(f"error: {summary.write_error}", file=sys.stderr)
        return 1
    from benchmark.report.commands import report_command

    try:
        report_command(output, refresh=False)
    except KeyboardInterrupt as exc:
        print(
            f"\ninterrupted while writing the report; rerun with --report {output}", file=sys.stderr
        )
        return stop_code(exc)
    return 0 if summary.complete else 1


def _cells_at_a_time(config) -> int | None:
    """How many cells the run computes side by side (None: a remote cluster's workers)."""
    if config.backend == "dask":
        return config.local_workers
    return config.n_jobs if config.n_jobs > 0 else (os.cpu_count() or 1)


def _dry_report(run_dir: Path | None) -> int:
    """``--report``/``--update-reference`` with ``--dry-run``: say what would be done."""
    if run_dir is None:
        from benchmark.studies.smoke_reference import REFERENCE, smoke_config

        config = smoke_config(Path("smoke"))
        n = len(config.datasets) * len(config.detectors) * config.folds
        print(f"would rerun the smoke configuration ({n} cells) and rewrite {REFERENCE}")
    else:
        from benchmark.store.folder import folder_records

        if not (run_dir / "run.json").is_file() and not (run_dir / "cells").is_dir():
            return fail(f"{run_dir}: not a run folder (no run.json and no cells/)")
        records = folder_records(run_dir)
        n_ok = sum(r.get("status") == "ok" for r in records)
        print(
            f"would rebuild results.csv, table1.*, run.json and the report of {run_dir} over"
            f" its {len(records)} finished cells ({n_ok} ok, {len(records) - n_ok} failed)"
        )
    print("dry run: nothing computed, nothing written")
    return 0
