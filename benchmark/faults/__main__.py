"""Fault injection: run the suite under crashes, corruption, concurrency and broken parts.

``python -m benchmark.faults`` runs every injection and prints one row per fault: trials,
how many the run survived (finished with every result intact), results lost (must be 0)
and cells recomputed. ``python -m benchmark.faults cli ARGS`` is the ordinary command
line with the deliberately broken ``fault-*`` detectors registered as well.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path

from benchmark.faults.cli_trials import (
    concurrency_trial,
    crash_trial,
    detector_fault_trial,
    sigint_trial,
)
from benchmark.faults.inprocess_trials import (
    CELL_DAMAGE,
    SPLIT_DAMAGE,
    bad_data_trial,
    corruption_trial,
    disk_full_trial,
    lock_trial,
    memory_trial,
)
from benchmark.faults.runs import Outcome, reference_run

__all__ = ["run_all", "main"]


def run_all(work: Path, kills: int = 10, bad_files: int = 200, seed: int = 0) -> list[Outcome]:
    """Every injection, in order; returns one Outcome per fault."""
    ref = reference_run(work)
    rows = [crash_trial(work, ref, kills=kills, seed=seed)]
    rows += [sigint_trial(work, ref, whole_group=g) for g in (False, True)]
    rows += [corruption_trial(work, ref, [kind]) for kind in (*CELL_DAMAGE, *SPLIT_DAMAGE)]
    rows += [concurrency_trial(work, ref), lock_trial(work)]
    rows += [detector_fault_trial(work), memory_trial(work), disk_full_trial(work)]
    rows.append(bad_data_trial(work, bad_files, seed))
    return rows


def _cli(argv: list[str]) -> int:
    import benchmark.faults.detectors  # noqa: F401  (registers the fault-* detectors)
    from benchmark.cli.main import main as cli_main

    return cli_main(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every fault injection and print the survival table (or ``cli ARGS``)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cli"]:
        return _cli(argv[1:])
    p = argparse.ArgumentParser(prog="python -m benchmark.faults", description=__doc__)
    p.add_argument("--kills", type=int, default=10, help="SIGKILLs in the crash trial")
    p.add_argument("--bad-files", type=int, default=200, help="random malformed data files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    with contextlib.ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rows = run_all(work, kills=args.kills, bad_files=args.bad_files, seed=args.seed)
    from tabulate import tabulate

    headers = ["fault", "trials", "survived", "results lost", "cells recomputed"]
    print(tabulate([o.row() for o in rows], headers=headers, tablefmt="github"))
    for o in rows:
        for problem in o.problems[:10]:
            print(f"  {o.fault}: {problem}")
    ok = all(o.lost == 0 and o.survived == o.trials and not o.problems for o in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
