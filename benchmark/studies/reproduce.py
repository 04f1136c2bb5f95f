"""Reproductions of published numbers under their own protocol, written as Markdown reports.

``reproduce_dagmm`` re-runs Zong et al.'s (ICLR 2018) Table 2 cells for Thyroid and
Arrhythmia: the ``dagmm`` protocol (train on the normal rows of a random half of all
rows, test on the other half), the ``top-rho`` threshold (flag the top rho of the test
rows, rho = the data set's anomaly rate), anomaly = positive class, mean +- std over seeds.
Nothing is tuned on test rows: the detectors run with their ``paper`` preset.
"""

from __future__ import annotations

import platform
import shlex
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.engine.harness import RunConfig, run
from benchmark.evaluation.compute import versions
from benchmark.report.text_table import mean_std_of_values

__all__ = ["DAGMM_PAPER", "WORK_DIR", "reproduce_configs", "reproduce_dagmm"]

#: Zong et al. 2018, Table 2 (submission version; ``docs/design.md``, "DAGMM"): P, R, F1.
DAGMM_PAPER: dict[tuple[str, str], tuple[float, float, float]] = {
    ("dagmm", "thyroid"): (0.4766, 0.4834, 0.4782),
    ("dagmm", "arrhythmia"): (0.4909, 0.5078, 0.4983),
    ("ocsvm", "thyroid"): (0.3639, 0.4239, 0.3887),
    ("ocsvm", "arrhythmia"): (0.5397, 0.4082, 0.4581),
}

_METRICS = ("precision", "recall", "f1_anomaly")


def _table(frame: pd.DataFrame, datasets: Sequence[str], detectors: Sequence[str]) -> list[str]:
    lines = [
        "| data set | detector | n seeds | precision (ours) | paper | recall (ours) | paper "
        "| F1 (ours) | paper | F1 gap | AUROC (ours) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ds in datasets:
        for det in detectors:
            sub = frame[(frame.dataset == ds) & (frame.detector == det)]
            ok = sub[sub.status == "ok"]
            paper = DAGMM_PAPER.get((det, ds))
            cells = [ds, det, str(len(ok))]
            for i, m in enumerate(_METRICS):
                cells.append(mean_std_of_values(ok[m], digits=4))
                cells.append(f"{paper[i]:.4f}" if paper else "—")
            gap = ok["f1_anomaly"].mean() - paper[2] if paper and len(ok) else float("nan")
            cells.append(f"{gap:+.4f}")
            cells.append(mean_std_of_values(ok["auroc"], digits=4))
            lines.append("| " + " | ".join(cells) + " |")
    return lines


#: Where the reproduction's cells are cached (one run folder per seed beneath it).
WORK_DIR = Path("results") / "reproduce-dagmm"


def reproduce_configs(
    seeds: Iterable[int],
    datasets: Sequence[str] = ("thyroid", "arrhythmia"),
    detectors: Sequence[str] = ("dagmm", "ocsvm"),
    preset: str = "paper",
    detector_params: dict[str, dict[str, Any]] | None = None,
    work_dir: str | Path | None = None,
) -> list[RunConfig]:
    """One harness run per seed (what :func:`reproduce_dagmm` runs and ``--dry-run`` plans)."""
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("reproduce_dagmm needs at least one seed")
    work = Path(work_dir) if work_dir else WORK_DIR
    return [
        RunConfig(
            datasets=list(datasets),
            detectors=list(detectors),
            protocol="dagmm",
            folds=1,
            seed=seed,
            preset=preset,
            output=work / f"seed{seed}",
            device="cpu",
            detector_params=dict(detector_params or {}),
        )
        for seed in seeds
    ]


def reproduce_dagmm(
    output_path: str | Path = Path("results") / "reproductions" / "dagmm.md",
    seeds: Iterable[int] = range(10),
    *,
    datasets: Sequence[str] = ("thyroid", "arrhythmia"),
    detectors: Sequence[str] = ("dagmm", "ocsvm"),
    preset: str = "paper",
    detector_params: dict[str, dict[str, Any]] | None = None,
    work_dir: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    command: str | None = None,
    compare_with: dict[str, str | Path] | None = None,
    notes: Sequence[str] = (),
) -> str:
    """Run DAGMM and OC-SVM under the ``dagmm`` protocol over ``seeds``; write the report.

    One harness run per seed (one repetition each, so any seed list works); cell results
    are cached under ``work_dir`` (default: ``results/reproduce-dagmm``, not versioned), so an
    interrupted reproduction resumes. Returns the Markdown text, also written to
    ``output_path`` (per-seed rows go to the ``.csv`` beside it). ``compare_with`` maps a
    heading to the ``.csv`` of an earlier reproduction, shown as an extra table; ``notes``
    are added to the list of differences from the paper's setting.
    """
    seeds = [int(s) for s in seeds]
    output_path = Path(output_path)
    configs = reproduce_configs(seeds, datasets, detectors, preset, detector_params, work_dir)
    frames, failures = [], []
    for seed, config in zip(seeds, configs):
        config.n_jobs = n_jobs
        summary = run(config, progress=progress)
        res = summary.results
        frames.append(res[res.policy == "top-rho"].assign(seed=seed))
        failures.extend(summary.failed)
    frame = pd.concat(frames, ignore_index=True)
    minutes = float((frame["fit_seconds"].fillna(0) + frame["score_seconds"].fillna(0)).sum()) / 60
    text = _report(frame, seeds, datasets, detectors, preset, detector_params, failures)
    text = text.replace("{COMMAND}", command or _default_command(seeds, preset))
    text = text.replace("{MINUTES}", f"{minutes:.1f}")
    text = text.replace("{DISCUSSION}", _discussion(frame, datasets, detectors, notes))
    extra = []
    for heading, csv in (compare_with or {}).items():
        earlier = pd.read_csv(csv)
        extra += [f"## {heading}", "", *_table(earlier, datasets, detectors), ""]
    text = text.replace("{EARLIER}\n", "\n".join(extra) + ("\n" if extra else ""))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_text(text, encoding="utf-8")
    frame.to_csv(output_path.with_suffix(".csv"), index=False)
    return text


def _default_command(seeds: list[int], preset: str) -> str:
    if seeds == list(range(len(seeds))) and preset == "paper":
        return (
            ".venv/bin/python -c 'from benchmark.studies.reproduce import reproduce_dagmm; "
            f"reproduce_dagmm(seeds=range({len(seeds)}))'"
        )
    return " ".join(shlex.quote(a) for a in sys.argv) or "reproduce_dagmm(...)"


def _report(
    frame: pd.DataFrame,
    seeds: list[int],
    datasets: Sequence[str],
    detectors: Sequence[str],
    preset: str,
    detector_params: dict[str, dict[str, Any]] | None,
    failures: list[dict],
) -> str:
    v = versions()
    lines = [
        "# Reproduction: DAGMM (Zong et al., ICLR 2018), Table 2, Thyroid and Arrhythmia",
        "",
        f"Generated {date.today().isoformat()} by `benchmark.studies.reproduce.reproduce_dagmm` "
        "({MINUTES} min of fit + score time over all cells, one torch thread each) on "
        f"{platform.machine()} ({platform.system()}), CPU only.",
        "",
        "**Protocol** `dagmm`: per seed, a random 50 % of all rows; the detector trains on "
        "the normal rows of that half and is tested on the other half (natural anomaly "
        "rate). **Threshold** `top-rho`: the top rho of the *test* scores are flagged, "
        "rho = the data set's anomaly rate (thyroid 93/3772 = 2.47 %, arrhythmia 66/452 = "
        "14.6 %). Anomaly = positive class. Mean ± sample std over seeds. Features "
        "scaled on the training rows as each detector asks (`dagmm`: min-max to [0, 1]; "
        "`ocsvm`: z-score). No parameter was tuned on test rows (any exception is "
        "disclosed under Discussion): both "
        f"detectors run with their `{preset}` preset"
        + (f" plus {detector_params}" if detector_params else "")
        + ".",
        "",
        "Detectors: `dagmm` with the paper's per-data-set networks (`architecture=auto` "
        "picks thyroid 6-12-4-1 / K=2 / 20 000 epochs / batch 1024 and arrhythmia "
        "274-10-2 / K=2 / 10 000 epochs / batch 128), lambda1 = 0.1, lambda2 = 0.005, "
        "Adam 1e-4; `ocsvm` with the suite's fixed nu = 0.5, gamma = 1/d (the paper's "
        "OC-SVM was tuned by an exhaustive search whose values were not published).",
        "",
        f"Seeds: {seeds} (run seed of the harness; one `dagmm`-protocol repetition each).",
        "",
        *_table(frame, datasets, detectors),
        "",
        'Paper numbers: Table 2 of the submission version (`docs/design.md`, "DAGMM"); '
        "the DAGMM F1 values are confirmed by secondary sources, the OC-SVM row and the "
        "P/R split of the camera-ready may differ.",
        "",
    ]
    if failures:
        lines += ["**Failed cells:**", ""]
        lines += [f"- `{f['cell']}`: {f['error']}" for f in failures]
        lines.append("")
    lines += [
        "{EARLIER}",
        "## Command",
        "",
        "```",
        "{COMMAND}",
        "```",
        "",
        "## Versions",
        "",
        ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        "## Discussion",
        "",
        "{DISCUSSION}",
        "",
    ]
    return "\n".join(lines)


#: Differences from the paper's setting that hold whatever the numbers (see the report).
KNOWN_DIFFERENCES = [
    "The paper averages 20 runs; we use the seeds listed above, and Thyroid (93 anomalies, "
    "about 46 per test half) and Arrhythmia (66, about 33 per test half, 226 test rows) "
    "make F1 move by several points from one split to the next: compare means with a "
    'tolerance of a few F1 points (`docs/design.md`, "DAGMM").',
    "The paper does not say whether the top-rho cut is taken over the test energies only "
    "or over train + test (reimplementations use train + test); the suite's `top-rho` "
    "policy cuts the test scores only.",
    "No official DAGMM code exists: preprocessing (min-max on the training rows; "
    "constant columns, common in Arrhythmia, become 0), weight initialisation "
    "(PyTorch defaults), the covariance jitter (1e-6, Cholesky) and the relative-distance "
    "epsilon are our choices; the paper's Arrhythmia net has a 2-d code and 10 000 epochs "
    "on about 190 training rows, which leaves the result sensitive to initialisation.",
    "Our OC-SVM is not tuned (nu = 0.5, gamma = 1/d, the suite's fixed baseline), while "
    "the paper's OC-SVM row came from an exhaustive parameter search; with nu = 0.5 the "
    "SVM is not calibrated for a 2.5 % anomaly rate, but top-rho only uses the ranking.",
]


def _discussion(
    frame: pd.DataFrame, datasets: Sequence[str], detectors: Sequence[str], notes: Sequence[str]
) -> str:
    """A factual paragraph: how far each mean F1 is from the paper, in standard errors."""
    sentences = []
    for det in detectors:
        for ds in datasets:
            paper = DAGMM_PAPER.get((det, ds))
            ok = frame[(frame.dataset == ds) & (frame.detector == det) & (frame.status == "ok")]
            if paper is None or ok.empty:
                continue
            f1 = ok["f1_anomaly"]
            se = f1.std(ddof=1) / max(1, len(f1)) ** 0.5 if len(f1) > 1 else float("nan")
            gap = f1.mean() - paper[2]
            verdict = (
                "within 2 standard errors of"
                if abs(gap) <= 2 * se
                else ("above" if gap > 0 else "below")
            )
            sentences.append(
                f"`{det}` on {ds}: F1 {f1.mean():.3f} vs {paper[2]:.3f} in the paper "
                f"(gap {gap:+.3f}, standard error {se:.3f}): {verdict} the published value."
            )
    body = " ".join(sentences) if sentences else "No finished cells."
    return (
        body
        + "\n\nWhat differs from the paper's setting:\n\n"
        + "\n".join(f"- {d}" for d in [*notes, *KNOWN_DIFFERENCES])
    )
