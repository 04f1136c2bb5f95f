"""Command line of the suite: ``python run_benchmark.py --help``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from benchmark.cli.checks import check_cluster, check_device, check_numbers, check_output_dir
from benchmark.cli.data_args import add_data_arguments
from benchmark.cli.detector_names import resolve_detectors
from benchmark.cli.exits import fail, interrupted, stop_code
from benchmark.cli.listing import print_list
from benchmark.cli.studies import design_study, print_plan
from benchmark.data.dataset import DataError
from benchmark.engine.backends import BACKENDS, BackendError
from benchmark.engine.interrupt import stop_on_sigterm
from benchmark.evaluation.protocols import PROTOCOLS
from benchmark.registry import (
    DEFAULT_PRESET,
    PRESETS,
    UnknownNameError,
    datasets,
    resolve_names,
)
from benchmark.studies import STUDIES

__all__ = ["main", "build_parser"]

EPILOG = """\
examples:
  python run_benchmark.py --list
  python run_benchmark.py --datasets all --preset quick          # what `make bench` runs
  python run_benchmark.py --datasets thyroid,cardio --detectors ocsvm,gmm --n-jobs 2
  python run_benchmark.py --datasets thyroid --backend dask --local-workers 2
  python run_benchmark.py --datasets all --backend dask --scheduler tcp://HOST:8786
  python run_benchmark.py --data-file my.csv --label-column y --normal-label ok
  python run_benchmark.py --data-dir ~/adbench/Classical --preset quick   # a folder of sets
  python run_benchmark.py --datasets all --contamination 0.05     # 5 % anomalies in training
  python run_benchmark.py --datasets all --dry-run                # list cells, compute nothing
  python run_benchmark.py --ablation modes --datasets production-line   # Table 2
  python run_benchmark.py --reproduce dagmm --seeds 10            # DAGMM paper check
  python run_benchmark.py --study mmoc-design --n-jobs 2          # MMOC-GAN design switches
  python run_benchmark.py --report results/quick-kfold-normal-seed0     # rebuild the report

Results go to --output (default results/<preset>-<protocol>-seed<seed>), a store of
cells: one file per (data set, detector, fold) cell, and results.csv, Table 1
(table1.md/.csv/.tex), run.json and the report rebuilt over every finished cell the
folder holds. Rerunning the same command skips finished cells, so an interrupted run
(Ctrl-C, SIGTERM, a kill) resumes where it stopped; --force recomputes them.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests and docs can inspect it)."""
    p = argparse.ArgumentParser(
        prog="run_benchmark.py",
        description="Benchmark one-class anomaly detectors (MMOC-GAN and baselines) on tabular"
        " data: each detector is trained on normal rows only and tested on held-out normals"
        " plus anomalies, over several folds.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_argument_group("what to run")
    what.add_argument(
        "--datasets",
        default=None,
        help="'all' (every bundled data set) or a,b,c (default: all; only the --data-file"
        " set when one is given)",
    )
    what.add_argument(
        "--detectors",
        default="all",
        help="comma-separated detectors and groups: paper (the seed paper's methods),"
        " extended (the PyOD baseline pack), all (both); pyod:Class or"
        " 'pyod:Class(arg=value,...)' runs any PyOD detector (see --list) (default: all)",
    )
    what.add_argument("--data-file", type=Path, help="your own .csv, .parquet or .npz file")
    what.add_argument(
        "--label-column", default="y", help="label column of --data-file (default: y)"
    )
    what.add_argument(
        "--sep",
        default=None,
        help="column separator of a --data-file CSV (default: ',', or ';' or a tab when the"
        " header has those and no comma)",
    )
    what.add_argument(
        "--normal-label",
        default=None,
        help="value of the label column that means 'normal' (default: labels must be 0/1,"
        " 1 = anomaly)",
    )
    how = p.add_argument_group("how")
    how.add_argument(
        "--protocol",
        default="kfold-normal",
        choices=sorted(PROTOCOLS),
        help="split protocol (default: kfold-normal)",
    )
    how.add_argument(
        "--folds", type=int, default=5, help="folds (or repetitions) per data set (default: 5)"
    )
    add_data_arguments(what, how)
    how.add_argument(
        "--seed", type=int, default=0, help="run seed; every cell seed derives from it (default: 0)"
    )
    how.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="independent repetitions of the protocol, each with its own splits and seeds"
        " derived from --seed (default: 1)",
    )
    how.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=PRESETS,
        help="training budgets: quick (capped), paper (the paper's) or smoke (the tiny ones of"
        f" the CI regression check) (default: {DEFAULT_PRESET})",
    )
    how.add_argument(
        "--device",
        default="cpu",
        help="cpu, cuda, cuda:N or auto, for the neural detectors; checked before any cell"
        " runs (default: cpu)",
    )
    how.add_argument(
        "--n-jobs", type=int, default=1, help="cells run in parallel, -1: all cores (default: 1)"
    )
    how.add_argument(
        "--backend",
        default="local",
        choices=BACKENDS,
        help="where cells are computed: local (child processes here, --n-jobs at a time) or"
        " dask (the workers of a Dask cluster; results are still written here; needs"
        " pip install 'mmoc-bench[dask]') (default: local)",
    )
    how.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="with --backend dask: the address of a running Dask scheduler, e.g. tcp://HOST:8786",
    )
    how.add_argument(
        "--local-workers",
        type=int,
        metavar="N",
        default=None,
        help="with --backend dask: start a Dask cluster of N worker processes (one thread"
        " each) on this machine for the run",
    )
    how.add_argument(
        "--no-fold-batching",
        dest="fold_batching",
        action="store_false",
        help="fit each fold of the GAN detectors on its own (the default fits a data set's"
        " folds together as one batched model: the same scores, faster)",
    )
    how.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds before a cell is failed (default: no limit)",
    )
    how.add_argument(
        "--train-cap",
        action="append",
        default=[],
        metavar="DETECTOR=ROWS",
        help="fit DETECTOR on a seeded subsample of at most ROWS training rows (0: all rows),"
        " instead of the cap its registration declares for the preset; repeatable",
    )
    how.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        metavar="MB",
        help="address space a cell may add before it fails with MemoryError (default: no limit)",
    )
    extra = p.add_argument_group("studies")
    extra.add_argument(
        "--ablation",
        choices=["modes"],
        help="Table 2: MMOC-GAN cat and mix with m in {1, 5, 10, 20} and m = 10 without MI,"
        " with a paired test of m = 10 vs m = 1 (default data sets: production-line, pendigits,"
        " satimage-2, annthyroid); cells in <run>/ablation so the run's report includes it,"
        " the table also in results/studies/mmoc-gan-table2.md",
    )
    extra.add_argument(
        "--reproduce",
        choices=["dagmm"],
        help="DAGMM and OC-SVM under the dagmm protocol on thyroid and arrhythmia, side by side"
        " with the DAGMM paper (results/reproductions/dagmm.md)",
    )
    extra.add_argument(
        "--seeds", type=int, default=10, help="repetitions for --reproduce (default: 10)"
    )
    extra.add_argument(
        "--study", choices=sorted(STUDIES), help="; ".join(f"{k}: {v}" for k, v in STUDIES.items())
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--output",
        type=Path,
        default=None,
        help="run folder (default: results/<preset>-<protocol>-seed<seed>)",
    )
    out.add_argument(
        "--splits-dir",
        type=Path,
        default=None,
        help="where splits are saved (default: results/splits)",
    )
    out.add_argument("--force", action="store_true", help="recompute finished cells")
    out.add_argument(
        "--dry-run",
        action="store_true",
        help="list the cells (also of --ablation and --reproduce) and which are done",
    )
    out.add_argument("--list", action="store_true", help="list detectors and data sets, then exit")
    out.add_argument(
        "--verbose",
        action="store_true",
        help="with --list: each detector's cost model (how its time grows with the data)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument(
        "--report",
        type=Path,
        metavar="RUN_DIR",
        help="rebuild results.csv, the tables, run.json and the report of RUN_DIR from its"
        " saved cells, then exit",
    )
    out.add_argument(
        "--update-reference",
        action="store_true",
        help="rerun the smoke configuration and rewrite results/reference/smoke.csv",
    )
    return p


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
        caps = parse_train_caps(args.train_cap, dets)
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
