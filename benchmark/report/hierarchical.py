"""The hierarchical Bayesian test on fold scores (Corani et al., Machine Learning 2017; via
``baycomp``), optional: it needs Stan (``pip install 'mmoc-bench[hierarchical]'``: pystan
and a C++ compiler; the model compiles once, about 3 minutes, then about 15 s per pair).

Unlike the signed-rank test on data-set means, it models every fold x repetition score of
each data set, with the correlation of cross-validation folds (rho = 1 / folds), and
pools the data sets through a hierarchy. It runs on request, never during a report::

    python -m benchmark.report.hierarchical results/quick-r3

and writes ``tables/hierarchical.csv`` with a digest of the fold scores it used; the
report shows the table while the digest still matches the folder's results.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.report.pairwise import BAYES_SEED, ROPE, SUBJECT_PREFIX
from benchmark.report.text_table import Table
from benchmark.store.results import cell_keys

__all__ = ["CSV_NAME", "fold_scores", "hierarchical_rows", "load_cached", "main"]

CSV_NAME = "hierarchical.csv"
#: Posterior samples per chain (baycomp's default is 10,000; 4 chains as in baycomp).
N_SAMPLES = 10_000


def fold_scores(results: pd.DataFrame, a: str, b: str, metric: str = "auroc"):
    """Data sets x cells arrays of ``a`` and ``b`` over the (repetition, fold) cells both
    have; data sets with fewer common cells than the most are left out (the model needs
    the same count everywhere). Returns (x, y, data sets kept, data sets left out)."""
    ok = results[(results["policy"] == "train-quantile") & (results["status"] == "ok")]
    keys = cell_keys(ok)
    pairs = {}
    for ds, sub in ok.groupby("dataset", sort=False):
        va = sub[sub["detector"] == a].set_index(keys)[metric]
        vb = sub[sub["detector"] == b].set_index(keys)[metric]
        joint = pd.concat([va, vb], axis=1, keys=["a", "b"]).dropna().sort_index()
        if len(joint) >= 2:
            pairs[ds] = joint
    most = max((len(j) for j in pairs.values()), default=0)
    kept = [ds for ds, j in pairs.items() if len(j) == most]
    left = [ds for ds in dict.fromkeys(ok["dataset"]) if ds not in kept]
    x = np.array([pairs[ds]["a"].to_numpy(dtype=float) for ds in kept])
    y = np.array([pairs[ds]["b"].to_numpy(dtype=float) for ds in kept])
    return x, y, kept, left


def _digest(results: pd.DataFrame) -> str:
    """sha256 (16 hex digits) of the fold AUROCs the test reads."""
    ok = results[(results["policy"] == "train-quantile") & (results["status"] == "ok")]
    cols = ["dataset", "detector", *cell_keys(ok), "auroc"]
    text = ok[cols].sort_values(cols[:-1]).to_csv(index=False, float_format="%.12g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def hierarchical_rows(results: pd.DataFrame, rope: float = ROPE) -> pd.DataFrame:
    """Each MMOC-GAN variant against each other detector: P(better), P(equivalent),
    P(worse) of the hierarchical test on the fold AUROCs (seeded)."""
    from baycomp import HierarchicalTest

    detectors = list(dict.fromkeys(results["detector"]))
    subjects = [d for d in detectors if d.startswith(SUBJECT_PREFIX)]
    runs = int(results["repeat"].nunique()) if "repeat" in results else 1
    rows = []
    for i, subject in enumerate(subjects):
        for other in [d for d in detectors if d != subject and d not in subjects[:i]]:
            x, y, kept, left = fold_scores(results, subject, other)
            if len(kept) < 2:
                continue
            # baycomp pickles its last sample into the working directory: keep it out
            with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
                better, equivalent, worse = HierarchicalTest.probs(
                    x, y, rope=rope, runs=runs, nsamples=N_SAMPLES, random_state=BAYES_SEED
                )
            rows.append(
                {
                    "subject": subject,
                    "other": other,
                    "datasets": len(kept),
                    "cells_per_dataset": int(x.shape[1]),
                    "left_out": ", ".join(left),
                    "better": float(better),
                    "equivalent": float(equivalent),
                    "worse": float(worse),
                }
            )
    return pd.DataFrame(rows)


def load_cached(run_dir: Path, results: pd.DataFrame) -> Table | str | None:
    """The cached table while its digest matches ``results``; a one-line note when it is
    stale; None when it was never computed."""
    path = Path(run_dir) / "tables" / CSV_NAME
    if not path.exists():
        return None
    frame = pd.read_csv(path, keep_default_na=False)
    if frame.empty or str(frame["digest"].iloc[0]) != _digest(results):
        return (
            f"`tables/{CSV_NAME}` was computed from other results than this folder's now;"
            " rerun `python -m benchmark.report.hierarchical RUN_DIR` to refresh it."
        )
    body = [
        [r.subject, r.other, str(r.datasets), f"{r.better:.2f}", f"{r.equivalent:.2f}",
         f"{r.worse:.2f}"]
        for r in frame.itertuples()
    ]  # fmt: skip
    bold = [[False, False, False, r.better >= 0.95, r.equivalent >= 0.95, r.worse >= 0.95]
            for r in frame.itertuples()]  # fmt: skip
    note = (
        "Hierarchical Bayesian test (Corani et al. 2017; baycomp with Stan, seeded) on every"
        f" fold x repetition AUROC, rope {ROPE}, fold correlation 1 / folds. Bold: >= 0.95."
        f" Computed by `python -m benchmark.report.hierarchical`; digest {frame['digest'][0]}."
    )
    headers = ["MMOC-GAN", "against", "data sets", "P(better)", "P(equivalent)", "P(worse)"]
    return Table("Hierarchical Bayesian test on the folds", headers, body, bold, note=note)


def main(argv: list[str] | None = None) -> int:
    """Compute ``tables/hierarchical.csv`` for a run folder (needs Stan)."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.report.hierarchical")
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    csv = args.run_dir / "results.csv"
    if not csv.exists():
        print(f"error: {csv} not found: is {args.run_dir} a run folder?", file=sys.stderr)
        return 2
    try:
        import stan  # noqa: F401
    except ImportError as exc:
        print(
            f"error: the hierarchical test needs Stan ({exc}); pip install"
            " 'mmoc-bench[hierarchical]' (pystan; a C++ compiler on the machine)",
            file=sys.stderr,
        )
        return 2
    results = pd.read_csv(csv)
    frame = hierarchical_rows(results)
    frame["digest"] = _digest(results)
    out = args.run_dir / "tables" / CSV_NAME
    out.parent.mkdir(exist_ok=True)
    atomic_write_text(out, frame.to_csv(index=False))
    print(f"wrote {out} ({len(frame)} comparisons)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
