"""``--ablation modes`` (Table 2) and ``--reproduce dagmm`` on the command line.

Both honour ``--dry-run`` (list their cells, compute nothing, write nothing), check
their output before any work, and stop on Ctrl-C or SIGTERM with the same one line as
the main run: how many cells are saved, and that rerunning resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli.checks import check_output_dir, check_output_file
from benchmark.cli.exits import fail, interrupted, stop_code
from benchmark.engine.cost import estimate_lines
from benchmark.registry import UnknownNameError, datasets, resolve_names

__all__ = ["study", "design_study", "print_plan"]


def print_plan(plans: list[list], n_jobs: int | None = 1) -> int:
    """``--dry-run``: one line per cell (done, or pending and why), the counts, the cost.

    ``n_jobs``: cells computed at a time, for the wall-time estimate (None: unknown).
    """
    n = n_done = 0
    for planned in plans:
        for p in planned:
            status = "done   " if p.done else "pending"
            why = "" if p.done else f"  ({p.reason})"
            print(f"{status}  {p.cell.name}{why}")
            n += 1
            n_done += p.done
    print(f"{n} cells: {n_done} done, {n - n_done} to compute (dry run: nothing computed)")
    for line in estimate_lines([p for planned in plans for p in planned], n_jobs):
        print(line)
    return 0


def study(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Run (or with ``--dry-run`` plan) the study ``args`` asks for; the exit code."""
    return _reproduce(args) if args.reproduce else _ablation(args, argv)


def _reproduce(args: argparse.Namespace) -> int:
    from benchmark.engine.harness import plan
    from benchmark.studies.reproduce import WORK_DIR, reproduce_configs, reproduce_dagmm

    if args.repeats != 1:
        return fail("--reproduce dagmm repeats through --seeds N, not --repeats")
    path = args.output or Path("results") / "reproductions" / "dagmm.md"
    error = check_output_file(path) or check_output_dir(WORK_DIR, "the reproduction's cells")
    if error:
        return fail(error)
    configs = reproduce_configs(range(args.seeds))
    if args.dry_run:
        return print_plan([plan(c, dry=True) for c in configs])
    try:
        reproduce_dagmm(path, seeds=range(args.seeds), n_jobs=args.n_jobs, progress=not args.quiet)
    except KeyboardInterrupt as exc:
        return interrupted(exc, configs, WORK_DIR)
    print(f"wrote {path}")
    return 0


def _ablation(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    from benchmark.atomic import atomic_write_text
    from benchmark.engine.harness import plan
    from benchmark.studies.ablation import ABLATION_DATASETS, modes_config, run_modes_ablation

    all_ds = list(datasets())
    default = ",".join(ABLATION_DATASETS)
    try:
        names = resolve_names("data set", args.datasets or default, all_ds, all_ds)
    except UnknownNameError as exc:
        return fail(str(exc))
    parent = Path("results") / f"{args.preset}-kfold-normal-seed{args.seed}"
    output = args.output or parent / "ablation"
    error = check_output_dir(output)
    if error:
        return fail(error)
    options = dict(
        seed=args.seed,
        preset=args.preset,
        folds=args.folds,
        repeats=args.repeats,
        device=args.device,
    )
    config = modes_config(names, output, **options)
    if args.dry_run:
        return print_plan([plan(config, dry=True)])
    command = " ".join(["python run_benchmark.py", *(sys.argv[1:] if argv is None else argv)])
    try:
        table = run_modes_ablation(
            names, output, n_jobs=args.n_jobs, progress=not args.quiet, command=command, **options
        )
    except KeyboardInterrupt as exc:
        return interrupted(exc, [config], output)
    print(table.to_string())
    print(f"wrote {output / 'table2.md'}")
    if args.output is None:
        copy = Path("results") / "studies" / "mmoc-gan-table2.md"
        copy.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(copy, (output / "table2.md").read_text())
        print(f"wrote {copy}")
    if args.output is None and (parent / "run.json").exists():
        from benchmark.report.commands import report_command

        try:
            report_command(parent)
        except KeyboardInterrupt as exc:
            print(f"\ninterrupted while writing the report; rerun with --report {parent}")
            return stop_code(exc)
    return 0


def design_study(args: argparse.Namespace, argv: list[str]) -> int:
    """``--study mmoc-design``: MMOC-GAN's core design switches (docs/design.md)."""
    import shlex

    from benchmark.engine.harness import plan
    from benchmark.studies.mmoc_design import (
        DEFAULT_DATASETS,
        default_run_dir,
        design_config,
        label_variant_configs,
        run_design_study,
    )

    all_ds = list(datasets())
    try:
        text = args.datasets or ",".join(DEFAULT_DATASETS)
        names = resolve_names("data set", text, all_ds, all_ds)
    except UnknownNameError as exc:
        return fail(str(exc))
    if args.folds < 2:
        return fail(f"--folds must be >= 2 for the design study, got {args.folds}")
    if args.repeats != 1:
        return fail("--study mmoc-design takes no --repeats: its diagnostics refit fold 0")
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
        run_dir = default_run_dir(output)
        configs = [design_config(names, run_dir, **common)]
        configs += label_variant_configs(names, run_dir, **common)
        return print_plan([plan(config, dry=True) for config in configs])
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
