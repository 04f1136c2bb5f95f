"""``python -m benchmark.perf``: measure every figure, print it with its target, save it.

``--cases a,b`` picks some (``--list`` names them). The figures go to ``results/perf.json``
(``--output``) with the machine, the versions and the time they were measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import torch

from benchmark.perf import (  # noqa: F401  (the cases modules register their cases)
    PERF_CASES,
    cases_folds,
    cases_harness,
    cases_memory,
    cases_search,
    run_cases,
)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the selected cases, print each figure, write them to --output."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.perf", description=__doc__)
    parser.add_argument("--cases", default="all", help="comma-separated case names or 'all'")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--rows", type=int, default=1000, help="held-out rows to score")
    parser.add_argument("--dataset", default="thyroid", help="data set of the AnoGAN case")
    parser.add_argument(
        "--fold-steps", type=int, default=100, help="gradient steps of the fold-batching cases"
    )
    parser.add_argument(
        "--memory-detectors",
        default="rda,mmoc-gan-mix",
        help="detectors of the memory-500k case (default: the largest peaks of the 500k run)",
    )
    parser.add_argument("--output", type=Path, default=Path("results") / "perf.json")
    args = parser.parse_args(argv)
    if args.list:
        for case in PERF_CASES.values():
            print(f"{case.name}: {case.description}")
        return 0
    torch.set_num_threads(args.threads)
    names = list(PERF_CASES) if args.cases == "all" else [c.strip() for c in args.cases.split(",")]
    loads: dict[str, float] = {}  # the 1-minute load average as each figure came in

    def on_figure(figure) -> None:
        loads[figure.case] = round(os.getloadavg()[0], 2)
        print(figure.line(), flush=True)

    figures = run_cases(names, args, on_figure=on_figure)
    missed = [f.case for f in figures if f.met is False]
    print(f"{len(figures)} figures; targets missed: {', '.join(missed) if missed else 'none'}")
    old = json.loads(args.output.read_text()) if args.output.exists() else {}
    measured = datetime.now(UTC).isoformat(timespec="seconds")
    # figures merge with those of earlier runs: each says when, and under what load
    figures_by_case = old.get("figures", {}) | {
        f.case: f.to_dict() | {"measured": measured, "load_average_1min": loads.get(f.case)}
        for f in figures
    }
    uname = platform.uname()
    record = {
        "machine": f"{uname.node} {uname.machine}",
        "cpus": os.cpu_count(),
        "measured": measured,
        "command": "python -m benchmark.perf " + " ".join(argv or sys.argv[1:]),
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "figures": figures_by_case,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
