"""The ablation behind the paper's Table 2: MMOC-GAN over the number of modes m.

One harness run with a table label per variant (``mmoc-gan-cat-m5`` is ``mmoc-gan-cat``
with ``n_modes=5``; ``mmoc-gan-mix-m10-nomi`` is ``mmoc-gan-mix`` with ``n_modes=10`` and
``mi_weight=0``), so every variant sees the same splits and preprocessing and the run
resumes like any other. The table reports mean ± std over the folds under the ``native``
policy (the discriminator's own P(real) < 0.5 rule, as the paper did) plus AUROC, and a
paired test across folds (x repetitions, ``--repeats``) of m = 10 against m = 1 answers the
paper's question: do the modes matter? The test is the corrected resampled t of Nadeau and
Bengio (2003): the folds share training rows, so the plain paired t-test is too liberal.
The table itself is defined in :mod:`benchmark.report.paper_tables`; ``table2.md`` here and
the report render that one definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from benchmark.atomic import atomic_write_text
from benchmark.registry import DEFAULT_PRESET
from benchmark.report.pairwise import corrected_resampled_t, holm
from benchmark.report.paper_tables import ModesVariant, modes_numeric, modes_table, table2_rows
from benchmark.report.stats import split_ratio
from benchmark.store.results import cell_keys

__all__ = [
    "ABLATION_DATASETS",
    "LATENTS",
    "PAPER_MODES",
    "TEST_PAIR",
    "modes_config",
    "modes_variants",
    "paired_modes_test",
    "run_modes_ablation",
    "write_table2",
]

#: The numbers of modes of the paper's Table 2.
PAPER_MODES: tuple[int, ...] = (1, 5, 10, 20)
#: Both MMOC-GAN variants; the paper's Table 2 shows ``cat`` only.
LATENTS: tuple[str, ...] = ("cat", "mix")
#: The synthetic production line (the paper's data set) and three multimodal real ones.
ABLATION_DATASETS: tuple[str, ...] = ("production-line", "pendigits", "satimage-2", "annthyroid")

#: The paired test's pair: the paper's default m against a single mode.
TEST_PAIR: tuple[int, int] = (10, 1)


def modes_variants(
    modes: Sequence[int] = PAPER_MODES, latents: Sequence[str] = LATENTS
) -> list[ModesVariant]:
    """Table 2's rows: each m with MI, plus the largest m up to 10 without MI."""
    if not modes or any(int(m) < 1 for m in modes):
        raise ValueError(f"modes must be positive integers, got {list(modes)}")
    bad = [x for x in latents if x not in LATENTS]
    if bad or not latents:
        raise ValueError(f"latents must be among {list(LATENTS)}, got {list(latents)}")
    multi = [int(m) for m in modes if int(m) > 1]
    no_mi = max([m for m in multi if m <= TEST_PAIR[0]] or multi or [0])
    out = []
    for latent in latents:
        out += [ModesVariant(latent, int(m)) for m in sorted(set(modes))]
        if no_mi:
            out.append(ModesVariant(latent, no_mi, mi=False))
    return out


def paired_modes_test(results: pd.DataFrame, pair: tuple[int, int] = TEST_PAIR) -> pd.DataFrame:
    """Paired test of AUROC, m = ``pair[0]`` against m = ``pair[1]`` (both with MI), per
    data set and detector, over the (repetition, fold) cells both have: mean difference,
    the corrected resampled t and its two-sided p, cells won, and Holm's p over the rows."""
    sub = table2_rows(results)
    if sub.empty:
        return pd.DataFrame()
    sub = sub[sub["status"] == "ok"]
    sub = sub.assign(base=sub["variant"].map(lambda v: v.detector))
    keys = cell_keys(sub)
    out = []
    for (dataset, detector), g in sub.groupby(["dataset", "base"], sort=False):
        a_m, b_m = pair
        latent = detector.rsplit("-", 1)[-1]
        cells = {m: g[g["detector"] == ModesVariant(latent, m).label] for m in pair}
        by_m = {m: c.set_index(keys)["auroc"] for m, c in cells.items()}
        joint = pd.concat(by_m, axis=1).dropna()
        if len(joint) < 2:
            continue
        diff = joint[a_m] - joint[b_m]
        r = corrected_resampled_t(diff.to_numpy(dtype=float), split_ratio(g))
        out.append(
            {
                "dataset": dataset,
                "detector": detector,
                "comparison": f"m = {a_m} vs m = {b_m}",
                "folds": len(joint),
                "mean AUROC difference": r.mean,
                "t": r.t,
                "p (corrected t, two-sided)": r.p,
                "folds won": f"{int((diff > 0).sum())}/{len(joint)}",
            }
        )
    frame = pd.DataFrame(out)
    if not frame.empty:
        frame["p (Holm)"] = holm(frame["p (corrected t, two-sided)"]).to_numpy()
    return frame


def _verdict(tests: pd.DataFrame, alpha: float = 0.05) -> str:
    if tests.empty:
        return "No paired test: fewer than two folds with both m = 10 and m = 1."
    sig = tests[tests["p (Holm)"] < alpha]
    better = sig[sig["mean AUROC difference"] > 0]
    worse = sig[sig["mean AUROC difference"] < 0]
    n = len(tests)
    if sig.empty:
        return (
            f"**The modes do not matter measurably here**: in none of the {n} (data set,"
            f" variant) pairs is m = 10 different from m = 1 at Holm-adjusted p < {alpha}"
            " (corrected resampled t-test across folds of AUROC)."
        )
    return (
        f"m = 10 beats m = 1 at Holm-adjusted p < {alpha} in {len(better)} of {n} (data set,"
        f" variant) pairs ({', '.join(better['dataset'] + ' ' + better['detector'])}) and"
        f" loses in {len(worse)} (corrected resampled t-test across folds of AUROC, {n}"
        f" tests); in the other {n - len(sig)} the difference is not significant."
    )


def _cpu_minutes(results: pd.DataFrame) -> float:
    """Fit + score seconds summed over the cells (one row per cell), in minutes."""
    if results.empty or "fit_seconds" not in results:
        return float("nan")
    cells = results.drop_duplicates(subset=["dataset", "detector", *cell_keys(results)])
    return float(cells[["fit_seconds", "score_seconds"]].sum().sum()) / 60


def write_table2(
    results: pd.DataFrame,
    output: Path,
    *,
    preset: str,
    folds: int,
    command: str,
    repeats: int = 1,
) -> str:
    """Write ``table2.md`` and ``table2.csv`` into ``output``; returns the markdown."""
    from benchmark.evaluation.compute import versions

    table = modes_table(results, folds=folds * repeats)
    tests = paired_modes_test(results)
    reps = f" x {repeats} repetitions" if repeats > 1 else ""
    md = [
        "# Table 2: MMOC-GAN over the number of modes m",
        "",
        f"Produced by `{command}` (preset `{preset}`, {folds} folds{reps}, protocol"
        f" `kfold-normal`; {_cpu_minutes(results):.1f} CPU minutes of fit + score time"
        f" over all cells, one thread each). Mean ± std over folds{reps}; pass acc., non-pass"
        " acc. and F1 under the `native` threshold (P(real) < 0.5); F1 (normal) takes"
        " the normal class as positive (the paper's column). With one mode the MI term"
        ' is identically 0, so the paper\'s m = 1 row is also the "m = 1, no MI" row;'
        ' "m = 10, no MI" keeps the ten modes and drops the MI term.',
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "",
        "## Do the modes matter?",
        "",
        _verdict(tests),
        "",
    ]
    if not tests.empty:
        md += [tabulate(tests, headers="keys", tablefmt="github", showindex=False, floatfmt=".3f")]
        md += [""]
    for dataset in dict.fromkeys(table.index.get_level_values("dataset")):
        md += [f"## {dataset}", ""]
        sub = table.xs(dataset, level="dataset")
        body = [[det, row, *vals] for (det, row), vals in zip(sub.index, sub.to_numpy().tolist())]
        md += [tabulate(body, headers=["detector", "variant", *table.columns], tablefmt="github")]
        md += [""]
    text = "\n".join(md)
    output.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output / "table2.md", text)
    atomic_write_text(output / "table2.csv", modes_numeric(results).to_csv(index=False))
    return text


def modes_config(
    datasets: Sequence[str],
    output: Path | str,
    *,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    folds: int = 5,
    repeats: int = 1,
    n_jobs: int = 1,
    device: str = "cpu",
    modes: Sequence[int] = PAPER_MODES,
    latents: Sequence[str] = LATENTS,
    splits_dir: Path | None = None,
    extra_params: dict | None = None,
):
    """The harness run of the ablation (also what ``--dry-run`` plans)."""
    from benchmark.engine.harness import variants_config

    chosen = modes_variants(modes, latents)
    variants = {v.label: (v.detector, v.params() | dict(extra_params or {})) for v in chosen}
    return variants_config(
        list(datasets),
        variants,
        output,
        seed=seed,
        preset=preset,
        folds=folds,
        repeats=repeats,
        n_jobs=n_jobs,
        device=device,
        splits_dir=splits_dir,
    )


def run_modes_ablation(
    datasets: Sequence[str],
    output: Path | str,
    *,
    progress: bool = True,
    command: str = "python run_benchmark.py --ablation modes",
    **options,
) -> pd.DataFrame:
    """Run every Table 2 variant and write ``table2.md``/``table2.csv`` into ``output``.

    ``options`` are :func:`modes_config`'s (seed, preset, folds, repeats, n_jobs, device, modes,
    latents, splits_dir, ``extra_params`` such as a smaller ``max_steps``). Uses the
    ``kfold-normal`` protocol (the paper's). Returns the formatted table.
    """
    from benchmark.engine.harness import run

    config = modes_config(datasets, output, **options)
    summary = run(config, progress=progress)
    write_table2(
        summary.results,
        Path(output),
        preset=config.preset,
        folds=config.folds,
        repeats=config.repeats,
        command=command,
    )
    return modes_table(summary.results, folds=config.folds * config.repeats)
