"""The command line's arguments: ``build_parser`` (what ``run_benchmark.py --help`` shows)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from benchmark.cli.data_args import add_data_arguments
from benchmark.engine.backends import BACKENDS
from benchmark.evaluation.protocols import PROTOCOLS
from benchmark.registry import DEFAULT_PRESET, PRESETS
from benchmark.studies import STUDIES

__all__ = ["build_parser"]


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
        "--stop-after",
        type=parse_duration,
        default=None,
        metavar="DURATION",
        help="start no more work after this long (e.g. 90m, 2h, 1h30m): a cell or fold group"
        " whose estimated time no longer fits is left for a later run; nothing started is"
        " cut short (local backend)",
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
        " instead of the cap its registration declares for the preset; repeatable; a pyod:"
        " detector is named as in --detectors, e.g. 'pyod:KNN(n_neighbors=10)=5000'",
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


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> float:
    """Seconds in ``90m``, ``2h``, ``1h30m``, ``45s`` (h, m, s in that order)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"want a duration such as 90m, 2h or 1h30m, got {text!r}")
    h, m, sec = (float(g) if g else 0.0 for g in match.groups())
    seconds = 3600 * h + 60 * m + sec
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"want a positive duration, got {text!r}")
    return seconds
