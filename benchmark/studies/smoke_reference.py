"""CI regression guard: rerun the ``smoke`` configuration and compare its metric table.

The smoke run is small on purpose (two small data sets, two folds, every registered
detector with its ``smoke`` preset, seed 0) so that CI can rerun it on every change. Its
AUROC/AUPRC means over folds are committed as ``results/reference/smoke.csv`` with a
tolerance per row; :func:`check` names detector, data set and metric of every value that
left its tolerance, and every registered detector that the reference lacks.
``python run_benchmark.py --update-reference`` refreshes the file on purpose
(``results/reference/README.md`` says when one should).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.data.synthetic import production_line
from benchmark.engine.harness import RunConfig, run
from benchmark.registry import detectors

__all__ = [
    "REFERENCE",
    "SMOKE_PRESET",
    "TOLERANCE",
    "Mismatch",
    "smoke_config",
    "smoke_table",
    "run_smoke",
    "tolerance_for",
    "compare",
    "check",
    "update_reference",
    "update_reference_command",
]

#: Where the committed reference table lives (relative to the repository root).
REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference" / "smoke.csv"

#: Smoke data sets: one small real set and a small multimodal production line.
SMOKE_REGISTERED = ["vowels"]
SMOKE_SEED = 0
SMOKE_FOLDS = 2
METRICS = ("auroc", "auprc")

#: The preset of the smoke run: every registered detector declares one (its ``quick``
#: preset with the training budgets cut), so a new detector cannot be left out of it.
SMOKE_PRESET = "smoke"

#: Absolute tolerance on a fold-mean AUROC/AUPRC, by detector family (see the README of
#: ``results/reference``): deterministic classical detectors must agree to float noise;
#: neural ones are seeded and bit-identical on one machine, but float reductions differ
#: across thread counts, CPUs and library builds and tiny training runs amplify that.
TOLERANCE = {"deterministic": 1e-6, "neural": 0.02}


@dataclass(frozen=True)
class Mismatch:
    """One value (or one missing detector) that fails the reference check."""

    dataset: str
    detector: str
    metric: str
    reference: float | None
    current: float | None
    tolerance: float | None
    why: str

    def __str__(self) -> str:
        if self.why != "out of tolerance":
            return f"{self.detector} on {self.dataset} ({self.metric}): {self.why}"
        return (
            f"{self.detector} on {self.dataset} ({self.metric}): {self.current:.6f} vs reference"
            f" {self.reference:.6f} (|diff| {abs(self.current - self.reference):.2e} >"
            f" tolerance {self.tolerance:g})"
        )


def smoke_config(
    output: Path,
    detector_names: list[str] | None = None,
    *,
    seed: int = SMOKE_SEED,
    n_jobs: int = 1,
    isolate: bool = False,
) -> RunConfig:
    """The fixed smoke configuration: every registered detector unless names are given.

    Cells run one after another in this process (``isolate=False``): a fresh child per
    cell would pay torch's start-up cost 44 times, which dominated the run. ``seed``,
    ``n_jobs`` and ``isolate`` are for measuring variability only; the reference is
    always made with the defaults.
    """
    names = sorted(detectors()) if detector_names is None else list(detector_names)
    small_line = production_line(n_normal=500, n_anomalies=15, seed=0)
    small_line.name = "production-line-small"
    return RunConfig(
        datasets=[*SMOKE_REGISTERED, small_line.name],
        detectors=names,
        folds=SMOKE_FOLDS,
        seed=seed,
        preset=SMOKE_PRESET,
        output=Path(output),
        n_jobs=n_jobs,
        isolate=isolate,
        splits_dir=Path(output) / "splits",
        extra_datasets={small_line.name: small_line},
    )


def tolerance_for(detector: str) -> tuple[str, float]:
    """(family, absolute tolerance) of a registered detector's smoke values."""
    spec = detectors().get(detector)
    family = "neural" if spec is not None and getattr(spec.cls, "neural", False) else None
    family = family or "deterministic"
    return family, TOLERANCE[family]


def smoke_table(results: pd.DataFrame) -> pd.DataFrame:
    """Long table (dataset, detector, metric, value, family, tolerance) of fold means."""
    rows = []
    ok = results[(results["status"] == "ok") & (results["policy"] == "train-quantile")]
    for (dataset, detector), sub in results.groupby(["dataset", "detector"], sort=True):
        good = ok[(ok["dataset"] == dataset) & (ok["detector"] == detector)]
        family, tol = tolerance_for(detector)
        n_folds = sub["fold"].nunique()
        for metric in METRICS:
            value = float(good[metric].mean()) if good["fold"].nunique() == n_folds else np.nan
            rows.append([dataset, detector, metric, value, family, tol])
    cols = ["dataset", "detector", "metric", "value", "family", "tolerance"]
    return pd.DataFrame(rows, columns=cols)


def run_smoke(
    output: Path | None = None, detector_names: list[str] | None = None, **kwargs: Any
) -> pd.DataFrame:
    """Run the smoke configuration (in ``output`` or a temporary folder); its table.

    ``kwargs`` go to :func:`smoke_config` (``seed``, ``n_jobs``: variability studies).
    """
    if output is None:
        with tempfile.TemporaryDirectory(prefix="mmoc-smoke-") as tmp:
            return run_smoke(Path(tmp), detector_names, **kwargs)
    summary = run(smoke_config(Path(output), detector_names, **kwargs), progress=False)
    table = smoke_table(summary.results)
    table.attrs["seconds"] = summary.seconds
    table.attrs["failed"] = summary.failed
    return table


def compare(current: pd.DataFrame, reference: pd.DataFrame) -> list[Mismatch]:
    """Every value of ``current`` outside the reference's tolerance, or absent from it.

    A NaN (failed cell) matches only a NaN. Detectors in the reference but not in
    ``current`` are ignored (they may have been deliberately left out of the run).
    """
    ref = reference.set_index(["dataset", "detector", "metric"])
    out: list[Mismatch] = []
    known = set(reference["detector"])
    for row in current.itertuples(index=False):
        if row.detector not in known:
            out.append(
                Mismatch(
                    row.dataset,
                    row.detector,
                    row.metric,
                    None,
                    row.value,
                    None,
                    "registered detector missing from the reference"
                    " (run `python run_benchmark.py --update-reference`)",
                )
            )
            continue
        key = (row.dataset, row.detector, row.metric)
        if key not in ref.index:
            out.append(Mismatch(*key, None, row.value, None, "value missing from the reference"))
            continue
        expected, tol = float(ref.loc[key, "value"]), float(ref.loc[key, "tolerance"])
        cur = float(row.value)
        if np.isnan(expected) or np.isnan(cur):
            if np.isnan(expected) != np.isnan(cur):
                why = (
                    "failed now but not in the reference"
                    if np.isnan(cur)
                    else ("failed in the reference but works now")
                )
                out.append(Mismatch(*key, expected, cur, tol, why))
            continue
        if abs(cur - expected) > tol:
            out.append(Mismatch(*key, expected, cur, tol, "out of tolerance"))
    return out


def load_reference(path: Path = REFERENCE) -> pd.DataFrame:
    """The committed reference table."""
    return pd.read_csv(path)


def check(path: Path = REFERENCE, output: Path | None = None) -> list[Mismatch]:
    """Rerun the smoke configuration and compare it with the reference at ``path``."""
    return compare(run_smoke(output), load_reference(path))


def update_reference(path: Path = REFERENCE, output: Path | None = None) -> pd.DataFrame:
    """Rerun the smoke configuration and write its table as the new reference."""
    t0 = time.perf_counter()
    table = run_smoke(output)
    failed = table.attrs.get("failed", [])
    text = table.to_csv(index=False, float_format="%.10g")
    atomic_write_text(Path(path), text)
    print(
        f"wrote {path}: {len(table)} values, {len(failed)} failed cells,"
        f" {time.perf_counter() - t0:.0f} s"
    )
    for f in failed:
        print(f"  FAILED {f['cell']}: {f['error']}")
    return table


def update_reference_command() -> int:
    """``--update-reference``: rewrite the committed reference; 0 when every cell succeeded."""
    table = update_reference(REFERENCE)
    print("review the change with `git diff results/reference/` before committing it")
    return 0 if table["value"].notna().all() else 1
