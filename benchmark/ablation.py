"""The paper's Table 2: MMOC-GAN (cat) over the number of modes m in {1, 5, 10, 20}.

One harness run with a table label per m (``mmoc-gan-cat-m5`` is ``mmoc-gan-cat`` with
``n_modes=5``), so every m sees the same splits, seeds and preprocessing and the run
resumes like any other. The table reports mean ± std over the folds under the ``native``
policy (the discriminator's own P(real) < 0.5 rule, as the paper did).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from benchmark.atomic import atomic_write_text
from benchmark.harness import RunConfig, run
from benchmark.tables import fmt_mean_std

__all__ = ["PAPER_MODES", "TABLE2_METRICS", "modes_config", "modes_table", "run_modes_ablation"]

#: The numbers of modes of the paper's Table 2.
PAPER_MODES: tuple[int, ...] = (1, 5, 10, 20)

#: Table 2's columns; F1 (normal) is the paper's F1 column, F1 (anomaly) the usual one.
TABLE2_METRICS: dict[str, str] = {
    "pass_acc": "pass acc.",
    "non_pass_acc": "non-pass acc.",
    "f1_normal": "F1 (normal)",
    "f1_anomaly": "F1 (anomaly)",
    "auroc": "AUROC",
}

_DETECTOR = "mmoc-gan-cat"
_POLICY = "native"


def _label(m: int) -> str:
    return f"{_DETECTOR}-m{m}"


def modes_table(
    results: pd.DataFrame, modes: Sequence[int] = PAPER_MODES, *, folds: int | None = None
) -> pd.DataFrame:
    """Table 2 from the harness's long results: rows (dataset, m), mean ± std strings.

    Only ``native``-policy rows of the ``mmoc-gan-cat-m<m>`` labels are used; a failed
    fold is left out of the mean and noted (``(4/5)``), a fully failed cell reads
    ``failed``.
    """
    rows: dict[tuple[str, int], dict[str, str]] = {}
    native = results[results["policy"] == _POLICY] if len(results) else results
    for dataset in dict.fromkeys(native["dataset"]) if len(native) else []:
        for m in modes:
            sub = native[(native["dataset"] == dataset) & (native["detector"] == _label(m))]
            if sub.empty:
                continue
            ok = sub[sub["status"] == "ok"]
            expected = folds if folds is not None else int(sub["fold"].nunique())
            rows[(dataset, int(m))] = {
                label: fmt_mean_std(ok[metric], expected) if len(ok) else "failed"
                for metric, label in TABLE2_METRICS.items()
            }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(TABLE2_METRICS.values()))
    table.index = pd.MultiIndex.from_tuples(list(rows), names=["dataset", "m"])
    return table


def _numeric(results: pd.DataFrame, modes: Sequence[int]) -> pd.DataFrame:
    """Mean, std and fold count per (dataset, m): the machine-readable Table 2."""
    labels = {_label(m): int(m) for m in modes}
    sub = results[
        (results["policy"] == _POLICY)
        & (results["status"] == "ok")
        & (results["detector"].isin(list(labels)))
    ].assign(m=lambda f: f["detector"].map(labels))
    stats = sub.groupby(["dataset", "m"], sort=False)[list(TABLE2_METRICS)].agg(
        ["mean", "std", "count"]
    )
    stats.columns = [f"{metric}_{stat}" for metric, stat in stats.columns]
    return stats.reset_index()


def _write(table: pd.DataFrame, numeric: pd.DataFrame, output: Path, preset: str) -> None:
    md = [
        "# Table 2: MMOC-GAN (cat) over the number of modes m",
        "",
        f"Mean ± std over folds, `native` threshold (P(real) < 0.5), preset `{preset}`.",
        "F1 (normal) takes the normal class as positive (the paper's F1 column).",
        "",
    ]
    for dataset, sub in table.groupby(level="dataset", sort=False):
        body = [[m, *vals] for (_, m), vals in zip(sub.index, sub.to_numpy().tolist())]
        headers = ["m", *table.columns]
        md += [f"## {dataset}", "", tabulate(body, headers=headers, tablefmt="github"), ""]
    atomic_write_text(output / "table2.md", "\n".join(md))
    atomic_write_text(output / "table2.csv", numeric.to_csv(index=False))


def modes_config(
    datasets: Sequence[str],
    output: Path | str,
    seed: int = 0,
    preset: str = "quick",
    folds: int = 5,
    n_jobs: int = 1,
    device: str = "cpu",
    modes: Sequence[int] = PAPER_MODES,
) -> RunConfig:
    """The harness run of the ablation (also what ``--dry-run`` plans)."""
    if not modes or any(int(m) < 1 for m in modes):
        raise ValueError(f"modes must be positive integers, got {list(modes)}")
    variants = {_label(m): (_DETECTOR, {"n_modes": int(m)}) for m in modes}
    return RunConfig(
        datasets=list(datasets),
        detectors=list(variants),
        protocol="kfold-normal",
        folds=folds,
        seed=seed,
        preset=preset,
        output=Path(output),
        n_jobs=n_jobs,
        device=device,
        variants=variants,
    )


def run_modes_ablation(
    datasets: Sequence[str],
    output: Path | str,
    *,
    seed: int = 0,
    preset: str = "quick",
    folds: int = 5,
    n_jobs: int = 1,
    device: str = "cpu",
    modes: Sequence[int] = PAPER_MODES,
    progress: bool = True,
) -> pd.DataFrame:
    """Run MMOC-GAN (cat) for each m in ``modes`` and write ``table2.md``/``table2.csv``.

    Uses the ``kfold-normal`` protocol (the paper's). Returns the formatted table
    (rows (dataset, m); pass acc., non-pass acc., F1 (normal), F1 (anomaly), AUROC as
    mean ± std). ``table2.csv`` holds the numeric means, stds and fold counts.
    """
    config = modes_config(datasets, output, seed, preset, folds, n_jobs, device, modes)
    output = Path(output)
    summary = run(config, progress=progress)
    table = modes_table(summary.results, modes, folds=folds)
    _write(table, _numeric(summary.results, modes), output, preset)
    return table
