"""``--study contamination`` on the command line: checks, ``--dry-run``, the run, the lines."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmark.cli.checks import check_output_dir, check_output_file
from benchmark.cli.exits import fail, interrupted
from benchmark.registry import UnknownNameError, datasets, resolve_names

__all__ = ["contamination_study"]


def contamination_study(args: argparse.Namespace, argv: list[str]) -> int:
    """Run (or with ``--dry-run`` plan) the contamination study; the exit code."""
    from benchmark.cli.detector_names import resolve_detectors
    from benchmark.cli.studies import print_plan
    from benchmark.engine.harness import plan
    from benchmark.studies.contamination import (
        ALPHAS,
        DEFAULT_OUTPUT,
        default_run_dir,
        run_contamination_study,
        study_configs,
    )

    if args.data_file is not None or getattr(args, "data_dir", None) is not None:
        return fail("--study contamination runs on registered data sets; use --datasets")
    if args.protocol != "kfold-normal" or args.repeats != 1:
        return fail("--study contamination uses --protocol kfold-normal and one repetition")
    all_ds = list(datasets())
    try:
        names = resolve_names("data set", args.datasets or "all", all_ds, all_ds)
        dets, variants = resolve_detectors(args.detectors)  # groups and pyod:Class too
    except (UnknownNameError, ValueError) as exc:
        return fail(str(exc))
    output = args.output or DEFAULT_OUTPUT
    run_dir = default_run_dir(output)
    error = check_output_file(output) or check_output_dir(run_dir, "the study's cells")
    if error:
        return fail(error)
    options = dict(
        seed=args.seed, preset=args.preset, folds=args.folds, n_jobs=args.n_jobs, device=args.device
    )
    options["variants"] = variants
    if args.splits_dir is not None:
        options["splits_dir"] = Path(args.splits_dir)
    configs = study_configs(names, dets, run_dir, ALPHAS, **options)
    if args.dry_run:
        return print_plan([plan(c, dry=True) for c in configs], args.n_jobs)
    command = f"python run_benchmark.py {shlex.join(argv)}"
    try:
        study = run_contamination_study(
            names,
            dets,
            output,
            run_dir=run_dir,
            progress=not args.quiet,
            command=command,
            **options,
        )
    except KeyboardInterrupt as exc:
        return interrupted(exc, configs, run_dir)
    for summary in study.summaries:
        for f in summary.failed[:20]:
            print(f"  FAILED {f['cell']}: {f['error']}", file=sys.stderr)
    print(f"wrote {output} and {study.figure}")
    return 0 if study.complete else 1
