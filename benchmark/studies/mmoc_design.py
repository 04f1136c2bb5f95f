"""MMOC-GAN's core design switches and the paper's equations, measured from the seed.

One harness run (``kfold-normal``) of ``mmoc-gan-cat`` with each design switch of the
complementary-GAN core flipped on its own (OCAN's code against the paper's equations
where they differ), all four of the earlier core's flipped (the core that scored far
anomalies as normal), every paper equation at once, the OCAN core itself and plain
``ocan`` as the reference row; then the variants whose epsilon uses the data set's
anomaly fraction (label information, the paper's rule), data set by data set.

On top of the cells it measures, per variant and data set (fold 0), where the generated
rows land relative to the training normals, refitting the cell's model exactly as the
cell did (and checking that the refit reproduces the cell's AUROC), and fits three
variants on a heavy-tailed 2-D toy (:mod:`benchmark.studies.toy`). The report is written
by :mod:`benchmark.studies.design_report`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from benchmark.engine.harness import PlannedCell, RunConfig, plan, run, variants_config
from benchmark.evaluation.compute import fit_cell
from benchmark.evaluation.metrics import ranking_metrics
from benchmark.registry import DEFAULT_PRESET, get_dataset
from benchmark.store.records import read_cell
from benchmark.studies.design_report import write_report
from benchmark.studies.design_variants import (
    LABEL_VARIANTS,
    N_GENERATED,
    VARIANTS,
    DesignStudy,
)
from benchmark.studies.toy import ToyPanel, fit_toy_panel, make_toy, toy_figure

__all__ = [
    "N_GENERATED",
    "VARIANTS",
    "DEFAULT_DATASETS",
    "TOY_VARIANTS",
    "GROUPS",
    "DesignStudy",
    "design_config",
    "default_run_dir",
    "label_variant_configs",
    "landing",
    "run_design_study",
]

#: Six real data sets plus the paper's production line.
DEFAULT_DATASETS: tuple[str, ...] = (
    "production-line",
    "thyroid",
    "cardio",
    "annthyroid",
    "satimage-2",
    "pendigits",
    "shuttle",
)

#: The toy figure's panels, left to right.
TOY_VARIANTS: tuple[str, ...] = ("earlier-core", "ocan-core", "ocan")
TOY_TITLES = {
    "earlier-core": "earlier core (all four switched)",
    "ocan-core": "MMOC-GAN on OCAN's core",
    "ocan": "OCAN",
}

#: The diagnostic's row groups, in table order.
GROUPS: tuple[str, ...] = ("held-out normals", "anomalies", "generated")
DIAGNOSTIC_FOLD = 0
REFIT_TOLERANCE = 1e-9


def default_run_dir(output_md: Path | str) -> Path:
    """Where the cells go: beside the report, ``<stem>-run/`` (not committed)."""
    output_md = Path(output_md)
    return output_md.with_name(f"{output_md.stem}-run")


def _variants(extra_params: Mapping[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    extra = dict(extra_params or {})
    return {label: (name, params | extra) for label, (name, params) in VARIANTS.items()}


def design_config(
    datasets: Sequence[str],
    run_dir: Path | str,
    *,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    folds: int = 5,
    n_jobs: int = 1,
    device: str = "cpu",
    splits_dir: Path | str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> RunConfig:
    """The harness configuration of the study (also what ``--dry-run`` plans)."""
    return variants_config(
        list(datasets),
        _variants(extra_params),
        run_dir,
        seed=seed,
        preset=preset,
        folds=folds,
        n_jobs=n_jobs,
        device=device,
        splits_dir=splits_dir,
    )


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Refit with one math thread, as cells run (so the refit is the cell's model)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(before)


class _Neighbours:
    """Nearest training normal and the normal spacing (median leave-one-out NN distance)."""

    def __init__(self, X_train: np.ndarray):
        self.nn = NearestNeighbors(n_neighbors=2).fit(X_train)
        loo = self.nn.kneighbors(X_train, n_neighbors=2)[0][:, 1]
        self.spacing = float(np.median(loo))
        self.spacing_note = ""
        if not self.spacing > 0:  # over half the normals have an exact duplicate
            self.spacing = float(np.median(loo[loo > 0])) if (loo > 0).any() else 1.0
            self.spacing_note = "median of the non-zero distances (many duplicate normals)"

    def units(self, X: np.ndarray) -> np.ndarray:
        return self.nn.kneighbors(X, n_neighbors=1)[0][:, 0] / self.spacing


def landing(
    planned: PlannedCell, record: Mapping[str, Any], n_generated: int = N_GENERATED
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Refit one cell's model and measure where its rows land in the space it saw.

    Returns the refit check (recorded AUROC, refit AUROC, whether they agree to
    :data:`REFIT_TOLERANCE`) and one row per group of :data:`GROUPS`: distance to the
    nearest training normal in units of the normal spacing (median, 90th percentile) and
    the mean P(real) = 1 - score that D gives the group.
    """
    cell, inputs = planned.cell, planned.inputs
    y = np.asarray(inputs.y_test).astype(int)
    with _one_thread():
        fitted = fit_cell(cell, inputs, planned.cls)  # the cell's own pipeline
        model, X_train, X_test = fitted.detector, fitted.X_train, fitted.X_test
        scores = np.asarray(model.decision_function(X_test), dtype=np.float64)
        if getattr(model, "inverse_transform_", None) is not None:  # rows must stay scaled
            raise RuntimeError(
                "the refitted model maps samples back; the diagnostic needs them scaled"
            )
        generated = model.sample(n_generated, random_state=cell.seed)
        p_gen = 1.0 - np.asarray(model.decision_function(generated), dtype=np.float64)
    refit_auroc = float(ranking_metrics(y, scores)["auroc"])
    recorded = float(record["ranking"]["auroc"])
    diff = abs(refit_auroc - recorded)
    check = {
        "dataset": cell.dataset,
        "variant": cell.label,
        "fold": cell.fold,
        "recorded_auroc": recorded,
        "refit_auroc": refit_auroc,
        "abs_diff": diff,
        "match": bool(diff <= REFIT_TOLERANCE),
        "preprocessing": cell.preprocessing,
    }
    nbrs = _Neighbours(X_train)
    parts = {
        "held-out normals": (X_test[y == 0], 1.0 - scores[y == 0]),
        "anomalies": (X_test[y == 1], 1.0 - scores[y == 1]),
        "generated": (generated, p_gen),
    }
    rows = []
    for group in GROUPS:
        X, p_real = parts[group]
        dist = nbrs.units(X) if len(X) else np.array([np.nan])
        rows.append(
            {
                "dataset": cell.dataset,
                "variant": cell.label,
                "group": group,
                "n": int(len(X)),
                "median": float(np.median(dist)),
                "p90": float(np.quantile(dist, 0.9)),
                "p_real": float(np.mean(p_real)) if len(p_real) else float("nan"),
                "spacing": nbrs.spacing,
                "spacing_note": nbrs.spacing_note,
                "preprocessing": cell.preprocessing,
            }
        )
    return check, rows


def _diagnose(config: RunConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Refit every fold-:data:`DIAGNOSTIC_FOLD` cell and measure its landing."""
    checks, rows = [], []
    for p in plan(config):
        if p.cell.fold != DIAGNOSTIC_FOLD:
            continue
        saved = read_cell(config.output, p.cell)
        record = saved.record
        if not saved.finished:
            checks.append(
                {
                    "dataset": p.cell.dataset,
                    "variant": p.cell.label,
                    "fold": p.cell.fold,
                    "recorded_auroc": float("nan"),
                    "refit_auroc": float("nan"),
                    "abs_diff": float("nan"),
                    "match": False,
                    "preprocessing": p.cell.preprocessing,
                    "error": f"no usable cell result ({saved.reason})",
                }
            )
            continue
        check, landed = landing(p, record)
        checks.append(check)
        rows += landed
    return pd.DataFrame(checks), pd.DataFrame(rows)


def _auroc_frame(results: pd.DataFrame) -> pd.DataFrame:
    if results.empty:
        return pd.DataFrame(columns=["dataset", "variant", "fold", "auroc"])
    sub = results[(results["policy"] == "native") & (results["status"] == "ok")]
    sub = sub.rename(columns={"detector": "variant"})
    return sub[["dataset", "variant", "fold", "auroc"]].reset_index(drop=True)


def _toy(
    seed: int,
    preset: str,
    device: str,
    extra_params: Mapping[str, Any] | None,
    toy_steps: int | None,
) -> tuple[Any, list[ToyPanel]]:
    toy = make_toy(seed)
    variants = _variants(extra_params)
    steps = {"max_steps": int(toy_steps)} if toy_steps is not None else {}
    panels = []
    with _one_thread():
        for label in TOY_VARIANTS:
            name, params = variants[label]
            panels.append(
                fit_toy_panel(
                    toy, label, name, params | steps, seed=seed, preset=preset, device=device
                )
            )
    return toy, panels


def anomaly_fraction(dataset: str) -> float:
    """The share of anomalies among a bundled data set's rows (label information)."""
    return float(np.mean(np.asarray(get_dataset(dataset).load().y) != 0))


def label_variant_configs(
    datasets: Sequence[str],
    run_dir: Path | str,
    extra_params: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[RunConfig]:
    """One run of :data:`LABEL_VARIANTS` per data set, each with ``eps_quantile`` set to
    that data set's anomaly fraction (the paper's rule), on the study's splits; cells in
    ``run_dir/anomaly-fraction/<data set>``."""
    configs = []
    for ds in datasets:
        frac = {"eps_quantile": anomaly_fraction(ds)}
        variants = {
            label: (name, params | frac | dict(extra_params or {}))
            for label, (name, params) in LABEL_VARIANTS.items()
        }
        out = Path(run_dir) / "anomaly-fraction" / ds
        configs.append(variants_config([ds], variants, out, **options))
    return configs


def _label_variant_runs(
    datasets: Sequence[str],
    run_dir: Path,
    extra_params: Mapping[str, Any] | None,
    progress: bool,
    **options: Any,
) -> pd.DataFrame:
    """Run :func:`label_variant_configs` and return their AUROC rows."""
    frames = [
        _auroc_frame(run(config, progress=progress).results)
        for config in label_variant_configs(datasets, run_dir, extra_params, **options)
    ]
    return pd.concat(frames, ignore_index=True) if frames else _auroc_frame(pd.DataFrame())


def run_design_study(
    datasets: Sequence[str] = DEFAULT_DATASETS,
    output_md: Path | str = Path("results") / "studies" / "mmoc-gan-design.md",
    *,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    folds: int = 5,
    n_jobs: int = 1,
    device: str = "cpu",
    progress: bool = True,
    splits_dir: Path | str | None = None,
    run_dir: Path | str | None = None,
    extra_params: Mapping[str, Any] | None = None,
    toy_steps: int | None = None,
    command: str | None = None,
) -> DesignStudy:
    """Run the design study and write ``output_md`` and its toy figure beside it.

    ``extra_params`` are added to every variant (a test uses a tiny ``max_steps``);
    ``toy_steps`` caps the toy fits' steps (None: the preset's). Cells go to ``run_dir``
    (default :func:`default_run_dir`), so an interrupted study resumes like any run.
    """

    start = time.perf_counter()
    output_md = Path(output_md)
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(output_md)
    config = design_config(
        datasets,
        run_dir,
        seed=seed,
        preset=preset,
        folds=folds,
        n_jobs=n_jobs,
        device=device,
        splits_dir=splits_dir,
        extra_params=extra_params,
    )
    summary = run(config, progress=progress)
    options = dict(seed=seed, preset=preset, folds=folds, n_jobs=n_jobs, device=device)
    labelled = _label_variant_runs(
        datasets, run_dir, extra_params, progress, splits_dir=splits_dir, **options
    )
    auroc = pd.concat([_auroc_frame(summary.results), labelled], ignore_index=True)
    refits, landed = _diagnose(config)
    toy, panels = _toy(seed, preset, device, extra_params, toy_steps)
    figure = output_md.with_name(f"{output_md.stem}-toy.png")
    toy_figure(toy, panels, figure, TOY_TITLES)
    study = DesignStudy(
        output_md=output_md,
        figure=figure,
        summary=summary,
        auroc=auroc,
        landing=landed,
        refits=refits,
        toy=panels,
        seconds=time.perf_counter() - start,
    )
    if command is None:
        command = (
            f"run_design_study({list(datasets)!r}, {str(output_md)!r}, seed={seed},"
            f" preset={preset!r}, folds={folds}, extra_params={dict(extra_params or {})!r},"
            f" toy_steps={toy_steps!r})"
        )
    write_report(study, config, command=command, toy_steps=toy_steps, extra_params=extra_params)
    auroc.to_csv(run_dir / "design_auroc.csv", index=False)
    landed.to_csv(run_dir / "design_landing.csv", index=False)
    refits.to_csv(run_dir / "design_refits.csv", index=False)
    return study
