"""``--study contamination``: AUROC when the "normal" training rows hold some anomalies.

One ``kfold-normal`` run per ALPHA in :data:`ALPHAS` (cells in ``<report stem>-run/
alpha-<percent>/``), every detector on every data set, on anomaly pools fixed once per
data set (:mod:`benchmark.evaluation.protocols`): the test rows are the same at every
ALPHA, and so are the training normals, so a detector's AUROC differences between ALPHAs
are paired. ALPHA = 0 is run on the pools too (its test rows are the test pool, not all
anomalies), which is why its AUROC differs a little from the main benchmark's.
The report (a Markdown file) and its figure (PNG) are written side by side.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.engine.harness import RunConfig, RunSummary, run
from benchmark.registry import DEFAULT_PRESET

__all__ = ["ALPHAS", "ContaminationStudy", "study_configs", "run_contamination_study"]

#: The shares of anomalies among the training rows the study compares.
ALPHAS: tuple[float, ...] = (0.0, 0.01, 0.05, 0.10)
DEFAULT_OUTPUT = Path("results") / "studies" / "contamination.md"


@dataclass
class ContaminationStudy:
    """What the study measured: one row per (ALPHA, data set, detector, fold), and its files."""

    output_md: Path
    figure: Path
    auroc: pd.DataFrame  # alpha, dataset, detector, fold, auroc, contamination_effective
    summaries: list[RunSummary]
    seconds: float

    @property
    def complete(self) -> bool:
        return all(s.complete for s in self.summaries)


def alpha_dir(run_dir: Path, alpha: float) -> Path:
    """The cells of one ALPHA: ``alpha-0``, ``alpha-1``, ``alpha-5``, ``alpha-10`` (percent)."""
    return Path(run_dir) / f"alpha-{alpha * 100:g}"


def default_run_dir(output_md: Path | str) -> Path:
    """Where the cells go: beside the report, ``<stem>-run/`` (not committed)."""
    output_md = Path(output_md)
    return output_md.with_name(f"{output_md.stem}-run")


def study_configs(
    datasets: Sequence[str],
    detectors: Sequence[str],
    run_dir: Path | str,
    alphas: Sequence[float] = ALPHAS,
    **options,
) -> list[RunConfig]:
    """One harness run per ALPHA (0 included: on the pools); ``options`` are RunConfig fields."""
    return [
        RunConfig(
            datasets=list(datasets),
            detectors=list(detectors),
            protocol="kfold-normal",
            output=alpha_dir(Path(run_dir), alpha),
            contamination=float(alpha),
            **options,
        )
        for alpha in alphas
    ]


def _auroc_rows(alpha: float, results: pd.DataFrame) -> pd.DataFrame:
    cols = ["alpha", "dataset", "detector", "repeat", "fold", "auroc", "contamination_effective"]
    if results.empty:
        return pd.DataFrame(columns=cols)
    sub = results[(results["policy"] == "native") & (results["status"] == "ok")].copy()
    sub["alpha"] = alpha
    return sub[cols].reset_index(drop=True)


def paired_by_dataset(auroc: pd.DataFrame) -> pd.DataFrame:
    """AUROC per (detector, data set) x ALPHA: the mean over the folds that have a result
    at every ALPHA (a fold failed at one ALPHA leaves all its ALPHAs out: pairs stay pairs)."""
    keys = ["detector", "dataset", "repeat", "fold"]
    per_fold = auroc.pivot_table(index=keys, columns="alpha", values="auroc", aggfunc="mean")
    per_fold = per_fold.dropna()
    return per_fold.groupby(["detector", "dataset"]).mean()


def paired_means(auroc: pd.DataFrame) -> pd.DataFrame:
    """Mean AUROC per (detector, ALPHA) over the data sets where that detector has a
    result at every ALPHA (so every ALPHA averages the same data sets); one row per detector."""
    per_ds = paired_by_dataset(auroc)
    means = per_ds.groupby("detector").mean()
    means["n_datasets"] = per_ds.groupby("detector").size()
    return means


def drops(auroc: pd.DataFrame, alphas: Sequence[float] = ALPHAS) -> pd.DataFrame:
    """Per detector: AUROC(ALPHA = 0) minus AUROC(largest ALPHA), per data set, summarised."""
    lo, hi = min(alphas), max(alphas)
    per_ds = paired_by_dataset(auroc)
    if lo not in per_ds or hi not in per_ds:
        return pd.DataFrame(columns=["mean", "median", "worse", "n"])
    diff = (per_ds[lo] - per_ds[hi]).dropna().groupby("detector")
    return pd.DataFrame(
        {
            "mean": diff.mean(),
            "median": diff.median(),
            "worse": diff.apply(lambda d: int((d > 0).sum())),
            "n": diff.size(),
        }
    )


def effective_table(auroc: pd.DataFrame) -> pd.DataFrame:
    """Mean effective share of anomalies in training per (data set, nominal ALPHA)."""
    cells = auroc.drop_duplicates(["alpha", "dataset", "repeat", "fold"])
    return cells.groupby(["dataset", "alpha"])["contamination_effective"].mean().unstack("alpha")


def auroc_figure(means: pd.DataFrame, alphas: Sequence[float], path: Path) -> Path:
    """AUROC (mean over data sets) against ALPHA, one line per detector; saved as PNG."""
    from benchmark.report.figures import distinct_colours, plt

    colours = distinct_colours(list(means.index))
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    x = [100 * a for a in alphas]
    for det in means.index:
        ax.plot(x, [means.loc[det, a] for a in alphas], marker="o", label=det, color=colours[det])
    ax.set_xlabel("nominal ALPHA: anomalies among the training rows (%)")
    ax.set_ylabel("AUROC (mean over data sets)")
    ax.set_xticks(x)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title("AUROC against training contamination (same test rows at every ALPHA)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path


def _pct(a: float) -> str:
    return f"{100 * a:g} %"


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def _cell_seconds(results: pd.DataFrame) -> float:
    """Fit + score seconds over a run's cells (one row per cell: one policy's rows)."""
    if results.empty or "fit_seconds" not in results:
        return 0.0
    rows = results[results["policy"] == results["policy"].iloc[0]]
    return float(rows[["fit_seconds", "score_seconds"]].sum().sum())


def write_report(
    study: ContaminationStudy, configs: list[RunConfig], alphas: Sequence[float], command: str
) -> None:
    """Write the study's Markdown report (tables, the figure, the closing note)."""
    auroc, first = study.auroc, configs[0]
    means, drop, eff = paired_means(auroc), drops(auroc, alphas), effective_table(auroc)
    n_cells = sum(s.n_cells for s in study.summaries)
    n_failed = sum(s.n_failed for s in study.summaries)
    cpu = sum(_cell_seconds(s.results) for s in study.summaries)
    md = [
        "# Contaminated training: AUROC against the share of anomalies in training",
        "",
        f"Command: `{command}`. Preset `{first.preset}`, protocol `kfold-normal`,"
        f" {first.folds} folds, seed {first.seed}; {len(first.datasets)} data sets,"
        f" {len(first.detectors)} detectors, ALPHA in {{{', '.join(_pct(a) for a in alphas)}}};"
        f" {n_cells} cells ({n_failed} failed), {cpu / 60:.0f} min of fit + score time over"
        f" all cells (the run that wrote this file: {study.seconds / 60:.0f} min wall)."
        f" Cells: `{default_run_dir(study.output_md)}/` (not committed).",
        "",
        "**Setting.** Each data set's anomalies are split once (seeded) into a leak pool"
        " (half of them, rounded down) and a test pool (the rest); no anomaly is in both."
        " Every test fold holds its held-out normals plus the test pool, at every ALPHA."
        " Every training fold holds the normals it has in the clean protocol plus"
        " `round(ALPHA n / (1 - ALPHA))` anomalies from the leak pool, so anomalies make up"
        " ALPHA of its rows; when the leak pool is smaller than that, the fold takes the"
        " whole pool and its effective share is lower (table below). The anomalies leaked at"
        " a smaller ALPHA are among those leaked at a larger one. So the test rows and the"
        " training normals are the same at every ALPHA: **the AUROC differences between"
        " ALPHAs are paired** (same data set, fold, detector seed and test rows), and they"
        " measure the contamination alone. ALPHA = 0 also tests on the test pool only, so"
        " its AUROC is not the main benchmark's (which tests on all anomalies).",
        "",
        "## AUROC per detector and ALPHA",
        "",
        "Mean over data sets of the per-data-set mean over folds; only folds with a result at"
        " every ALPHA count, and a detector is averaged over the data sets where it has"
        " such folds (n). Drop: AUROC at"
        f" {_pct(min(alphas))} minus AUROC at {_pct(max(alphas))}, per data set, then"
        " averaged; worse: data sets on which it dropped.",
        "",
    ]
    headers = ["detector", *(_pct(a) for a in alphas), "drop (mean)", "drop (median)", "worse"]
    rows = []
    for det in means.sort_values(min(alphas), ascending=False).index:
        d = drop.loc[det] if det in drop.index else None
        rows.append(
            [det, *(f"{means.loc[det, a]:.3f}" for a in alphas)]
            + (
                [f"{d['mean']:+.3f}", f"{d['median']:+.3f}", f"{int(d['worse'])} of {int(d['n'])}"]
                if d is not None
                else ["n/a", "n/a", "n/a"]
            )
        )
    md += _md_table(headers, rows)
    failed = [(a, f) for a, s in zip(alphas, study.summaries) for f in s.failed]
    if failed:
        md += ["", f"Failed cells ({len(failed)}; left out with their fold at every ALPHA):", ""]
        md += [f"- ALPHA {_pct(a)}, `{f['cell']}`: {f['error']}" for a, f in failed[:30]]
    md += ["", f"![AUROC against ALPHA]({study.figure.name})", ""]
    md += ["## Effective share of anomalies in training", ""]
    md += [
        "Mean over folds of (leaked anomalies) / (training rows), per data set and nominal"
        " ALPHA. Below the nominal value: the leak pool ran out (the data set has too few"
        " anomalies for that ALPHA while keeping half of them for testing).",
        "",
    ]
    eff_rows = [
        [ds, *(f"{100 * eff.loc[ds, a]:.2f} %" if a in eff else "n/a" for a in alphas)]
        for ds in eff.index
    ]
    md += _md_table(["data set", *(_pct(a) for a in alphas)], eff_rows)
    md += ["", "## Closing note", ""]
    if drop.empty:
        md.append("No detector has results at both ends of ALPHA.")
    else:
        parts = [
            f"{det} {drop.loc[det, 'mean']:+.3f}"
            for det in drop.sort_values("mean", ascending=False).index
        ]
        md.append(
            f"AUROC drop from ALPHA = {_pct(min(alphas))} to ALPHA = {_pct(max(alphas))} (mean"
            " over data sets, paired; positive = worse with contamination): "
            + "; ".join(parts)
            + ". At the largest ALPHA most bundled data sets reach only their capped effective"
            " share (table above), so the drop is that of a smaller contamination there."
        )
    atomic_write_text(study.output_md, "\n".join(md) + "\n")


def run_contamination_study(
    datasets: Sequence[str],
    detectors: Sequence[str],
    output_md: Path | str = DEFAULT_OUTPUT,
    *,
    alphas: Sequence[float] = ALPHAS,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    folds: int = 5,
    n_jobs: int = 1,
    device: str = "cpu",
    splits_dir: Path | str | None = None,
    variants: dict | None = None,
    run_dir: Path | str | None = None,
    progress: bool = True,
    command: str | None = None,
) -> ContaminationStudy:
    """Run every ALPHA (resuming saved cells) and write ``output_md`` and its PNG beside it."""
    start = time.perf_counter()
    output_md = Path(output_md)
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(output_md)
    options = dict(seed=seed, preset=preset, folds=folds, n_jobs=n_jobs, device=device)
    options["variants"] = dict(variants or {})  # pyod:Class labels (benchmark/cli)
    if splits_dir is not None:
        options["splits_dir"] = Path(splits_dir)
    configs = study_configs(datasets, detectors, run_dir, alphas, **options)
    summaries = [run(config, progress=progress) for config in configs]
    frames = [_auroc_rows(a, s.results) for a, s in zip(alphas, summaries)]
    auroc = pd.concat(frames, ignore_index=True)
    auroc["auroc"] = pd.to_numeric(auroc["auroc"], errors="coerce")
    auroc["contamination_effective"] = pd.to_numeric(auroc["contamination_effective"])
    figure = output_md.with_suffix(".png")
    means = paired_means(auroc.dropna(subset=["auroc"]))
    auroc_figure(means, list(alphas), figure)
    study = ContaminationStudy(output_md, figure, auroc, summaries, time.perf_counter() - start)
    command = command or f"run_contamination_study({list(datasets)!r}, {list(detectors)!r})"
    write_report(study, configs, alphas, command)
    auroc.to_csv(run_dir / "contamination_auroc.csv", index=False)
    return study
