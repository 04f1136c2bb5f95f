"""Command line of the suite: ``python run_benchmark.py --help``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from benchmark.atomic import atomic_write_text
from benchmark.data.dataset import DataError
from benchmark.protocols import PROTOCOLS
from benchmark.registry import UnknownNameError, datasets, detectors, resolve_names
from benchmark.studies import STUDIES

__all__ = ["main", "build_parser"]

EPILOG = """\
examples:
  python run_benchmark.py --list
  python run_benchmark.py --datasets all --preset quick          # what `make bench` runs
  python run_benchmark.py --datasets thyroid,cardio --detectors ocsvm,gmm --n-jobs 2
  python run_benchmark.py --data-file my.csv --label-column y --normal-label ok
  python run_benchmark.py --datasets all --dry-run                # list cells, compute nothing
  python run_benchmark.py --ablation modes --datasets production-line   # Table 2
  python run_benchmark.py --reproduce dagmm --seeds 10            # DAGMM paper check
  python run_benchmark.py --study mmoc-design --n-jobs 2          # MMOC-GAN design switches
  python run_benchmark.py --report results/quick-kfold-normal-seed0     # rebuild the report

Results go to --output (default results/<preset>-<protocol>-seed<seed>): one file per
(data set, detector, fold) cell, results.csv (one row per cell and threshold policy) and
Table 1 as table1.md/.csv/.tex. Rerunning the same command skips finished cells, so an
interrupted run resumes where it stopped; --force recomputes everything.
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
    what.add_argument("--datasets", default=None, help="'all' (every bundled data set) or a,b,c")
    what.add_argument("--detectors", default="all", help="'all' or a comma-separated list")
    what.add_argument("--data-file", type=Path, help="your own .csv, .parquet or .npz file")
    what.add_argument("--label-column", default="y", help="label column of --data-file")
    what.add_argument(
        "--normal-label",
        default=None,
        help="value of the label column that means 'normal' (else labels must be 0/1, 1=anomaly)",
    )
    how = p.add_argument_group("how")
    how.add_argument(
        "--protocol", default="kfold-normal", choices=sorted(PROTOCOLS), help="split protocol"
    )
    how.add_argument("--folds", type=int, default=5, help="folds (or repetitions) per data set")
    how.add_argument(
        "--seed", type=int, default=0, help="run seed; every cell seed derives from it"
    )
    how.add_argument(
        "--preset", default="quick", choices=["quick", "paper"], help="training budgets"
    )
    how.add_argument("--device", default="cpu", help="cpu, cuda or auto (neural detectors)")
    how.add_argument("--n-jobs", type=int, default=1, help="cells run in parallel (-1: all cores)")
    how.add_argument("--timeout", type=float, default=None, help="seconds before a cell is failed")
    how.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        metavar="MB",
        help="address space a cell may add before it fails with MemoryError",
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
        "--seeds", type=int, default=10, help="repetitions for --reproduce (default 10)"
    )
    extra.add_argument("--study", choices=sorted(STUDIES), help="; ".join(STUDIES.values()))
    out = p.add_argument_group("output")
    out.add_argument("--output", type=Path, default=None, help="run folder")
    out.add_argument(
        "--splits-dir", type=Path, default=None, help="where splits are saved (results/splits)"
    )
    out.add_argument("--force", action="store_true", help="recompute finished cells")
    out.add_argument("--dry-run", action="store_true", help="list the cells and which are done")
    out.add_argument("--list", action="store_true", help="list detectors and data sets, then exit")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument(
        "--report",
        type=Path,
        metavar="RUN_DIR",
        help="regenerate RUN_DIR/report.md and report.html from saved results, then exit",
    )
    out.add_argument(
        "--update-reference",
        action="store_true",
        help="rerun the smoke configuration and rewrite results/reference/smoke.csv",
    )
    return p


def _print_list() -> None:
    from tabulate import tabulate

    det_rows = [[name, spec.summary] for name, spec in sorted(detectors().items())]
    print("Detectors (score: higher = more anomalous)")
    print(tabulate(det_rows, headers=["name", "what it is"], tablefmt="simple"))
    ds_rows = []
    for name, spec in datasets().items():
        pct = f"{spec.anomaly_pct:.2f}" if spec.anomaly_pct is not None else "?"
        ds_rows.append([name, spec.n, spec.d, spec.n_anomalies, pct, spec.source[:70]])
    print("\nData sets")
    print(tabulate(ds_rows, headers=["name", "n", "d", "anomalies", "anomaly %", "source"]))


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0 when every cell succeeded, 1 if some failed, 2 on bad input."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.list:
        _print_list()
        return 0
    if args.report is not None or args.update_reference:
        from benchmark.report.commands import report_command, update_reference_command

        return report_command(args.report) if args.report else update_reference_command()
    if args.study:
        return _design_study(args, sys.argv[1:] if argv is None else argv)
    if args.ablation or args.reproduce:
        return _study(args, argv)
    from benchmark.data import load_user_file
    from benchmark.harness import RunConfig, plan, run
    from benchmark.results import write_results
    from benchmark.tables import write_table1

    extra = {}
    try:
        if args.data_file is not None:
            ds = load_user_file(args.data_file, args.label_column, args.normal_label)
            extra[ds.name] = ds
            if ds.n_anomalies == 0:
                print(
                    f"warning: {args.data_file} has no anomalies: AUROC, AUPRC and anomaly"
                    " recall are undefined (n/a); the run goes on",
                    file=sys.stderr,
                )
        if args.datasets is None:
            args.datasets = "" if extra else "all"
        all_ds = list(datasets())
        names = resolve_names("data set", args.datasets, all_ds, all_ds) if args.datasets else []
        names += [n for n in extra if n not in names]
        det_names = list(detectors(include_hidden=True))
        dets = resolve_names("detector", args.detectors, det_names, list(detectors()))
    except (DataError, UnknownNameError) as exc:
        return _fail(str(exc))
    if args.folds < 1:
        return _fail(f"--folds must be a positive integer, got {args.folds}")
    if args.timeout is not None and args.timeout <= 0:
        return _fail(f"--timeout must be positive, got {args.timeout}")
    if args.memory_limit is not None and args.memory_limit <= 0:
        return _fail(f"--memory-limit must be positive, got {args.memory_limit}")
    output = args.output or Path("results") / f"{args.preset}-{args.protocol}-seed{args.seed}"
    config = RunConfig(
        datasets=names,
        detectors=dets,
        protocol=args.protocol,
        folds=args.folds,
        seed=args.seed,
        preset=args.preset,
        output=output,
        n_jobs=args.n_jobs,
        timeout=args.timeout,
        force=args.force,
        device=args.device,
        extra_datasets=extra,
        splits_dir=args.splits_dir,
        memory_limit=int(args.memory_limit * 2**20) if args.memory_limit else None,
    )
    try:
        if args.dry_run:
            planned = plan(config)
            for p in planned:
                print(f"{'done   ' if p.done else 'pending'}  {p.cell.name}  ({p.reason})")
            n_done = sum(p.done for p in planned)
            print(f"{len(planned)} cells: {n_done} done, {len(planned) - n_done} to compute")
            return 0
        summary = run(config, progress=not args.quiet)
    except (DataError, ValueError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        planned = plan(config)
        n_done = sum(p.done for p in planned)
        print(
            f"\ninterrupted: {n_done} of {len(planned)} cells are finished and saved in {output};"
            " rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    try:
        paths = write_results(summary.results, output) + write_table1(summary.results, output)
    except OSError as exc:  # e.g. a full disk: the saved cells stay valid, the tables are not
        print(f"error: could not write the results and tables in {output}: {exc}", file=sys.stderr)
        return 1
    print(
        f"{summary.n_cells} cells: {summary.n_ok} ok, {summary.n_failed} failed,"
        f" {summary.n_skipped} reused from earlier runs; {summary.seconds:.0f} s"
    )
    for f in summary.failed[:20]:
        print(f"  FAILED {f['cell']}: {f['error']}", file=sys.stderr)
    for path in paths:
        print(f"wrote {path}")
    from benchmark.report.commands import report_command

    try:
        report_command(output)
    except KeyboardInterrupt:
        print(
            f"\ninterrupted while writing the report; rerun with --report {output}", file=sys.stderr
        )
        return 130
    return 0 if summary.complete else 1


def _study(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """``--ablation modes`` (Table 2) or ``--reproduce dagmm`` (the published-number check)."""
    if args.reproduce:
        from benchmark.reproduce import reproduce_dagmm

        if args.seeds < 1:
            return _fail(f"--seeds must be a positive integer, got {args.seeds}")
        path = args.output or Path("results") / "reproductions" / "dagmm.md"
        reproduce_dagmm(path, seeds=range(args.seeds), n_jobs=args.n_jobs, progress=not args.quiet)
        print(f"wrote {path}")
        return 0
    from benchmark.ablation import ABLATION_DATASETS, run_modes_ablation

    all_ds = list(datasets())
    default = ",".join(ABLATION_DATASETS)
    try:
        names = resolve_names("data set", args.datasets or default, all_ds, all_ds)
    except UnknownNameError as exc:
        return _fail(str(exc))
    parent = Path("results") / f"{args.preset}-kfold-normal-seed{args.seed}"
    output = args.output or parent / "ablation"
    table = run_modes_ablation(
        names,
        output,
        seed=args.seed,
        preset=args.preset,
        folds=args.folds,
        n_jobs=args.n_jobs,
        device=args.device,
        progress=not args.quiet,
        command=" ".join(
            ["python run_benchmark.py", *(argv if argv is not None else sys.argv[1:])]
        ),
    )
    print(table.to_string())
    print(f"wrote {output / 'table2.md'}")
    if args.output is None:
        study = Path("results") / "studies" / "mmoc-gan-table2.md"
        study.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(study, (output / "table2.md").read_text())
        print(f"wrote {study}")
    if args.output is None and (parent / "run.json").exists():
        from benchmark.report.commands import report_command

        report_command(parent)
    return 0


def _design_study(args: argparse.Namespace, argv: list[str]) -> int:
    """``--study mmoc-design``: MMOC-GAN's core design switches (issue 9, item 3)."""
    import shlex

    from benchmark.harness import plan
    from benchmark.studies.mmoc_design import (
        DEFAULT_DATASETS,
        default_run_dir,
        design_config,
        run_design_study,
    )

    all_ds = list(datasets())
    try:
        text = args.datasets or ",".join(DEFAULT_DATASETS)
        names = resolve_names("data set", text, all_ds, all_ds)
    except UnknownNameError as exc:
        return _fail(str(exc))
    if args.folds < 2:
        return _fail(f"--folds must be >= 2 for the design study, got {args.folds}")
    output = args.output or Path("results") / "studies" / "mmoc-gan-design.md"
    common = dict(
        seed=args.seed,
        preset=args.preset,
        folds=args.folds,
        n_jobs=args.n_jobs,
        device=args.device,
        splits_dir=args.splits_dir,
    )
    if args.dry_run:
        planned = plan(design_config(names, default_run_dir(output), **common))
        for p in planned:
            print(f"{'done   ' if p.done else 'pending'}  {p.cell.name}  ({p.reason})")
        n_done = sum(p.done for p in planned)
        print(f"{len(planned)} cells: {n_done} done, {len(planned) - n_done} to compute")
        return 0
    command = f"python run_benchmark.py {shlex.join(argv)}"
    study = run_design_study(names, output, progress=not args.quiet, command=command, **common)
    print(f"wrote {output} and {study.figure}")
    for f in study.summary.failed[:20]:
        print(f"  FAILED {f['cell']}: {f['error']}", file=sys.stderr)
    if not study.refit_ok:
        print(
            "error: some refits did not reproduce their cell's AUROC; see the report",
            file=sys.stderr,
        )
    return 0 if study.summary.complete and study.refit_ok else 1
