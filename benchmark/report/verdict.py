"""The report's Verdict: each MMOC-GAN variant against each other detector, over the data
sets, in numbers a reviewer accepts (:mod:`benchmark.report.pairwise`).

Per pair: wins / ties / losses over data sets (a tie is a difference of fold-mean AUROC
within the :data:`~benchmark.report.pairwise.ROPE`), the Wilcoxon signed-rank p over the
data sets' means, Holm-adjusted over every pair of detectors in the folder, and the
Bayesian signed-rank probabilities that the variant is better, practically equivalent or
worse; then one sentence. A power note says what the tests can see with this many data
sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.report.document import Document
from benchmark.report.pairwise import (
    ALPHA,
    ROPE,
    SUBJECT_PREFIX,
    bayesian_signed_rank,
    pairwise_wilcoxon,
)
from benchmark.report.stats import metric_matrix
from benchmark.report.text_table import Table, write_table

__all__ = [
    "MIN_DATASETS",
    "VerdictRow",
    "dataset_means",
    "power_note",
    "verdict_rows",
    "verdict_section",
    "verdict_table",
]

#: Fewer data sets than this give no sentence: with so few, baycomp's posterior leans on
#: its prior (two data sets both won already give P(better) = 0.96) and Wilcoxon cannot
#: reach ALPHA at all (its smallest two-sided p with 5 data sets is 0.0625).
MIN_DATASETS = 6


def dataset_means(results: pd.DataFrame, metric: str = "auroc") -> pd.DataFrame:
    """Data sets x detectors: the metric's mean over every successful fold (and repetition),
    as the report's matrices have it."""
    return metric_matrix(results, metric).mean


@dataclass(frozen=True)
class VerdictRow:
    """One subject against one other detector, over the data sets both have."""

    subject: str
    other: str
    n: int
    wins: int
    ties: int
    losses: int
    p_holm: float
    better: float
    equivalent: float
    worse: float

    def call(self) -> tuple[str, float | None]:
        """The verdict as (kind, probability): ``"too few"``, ``"better"`` or ``"worse"``
        (Wilcoxon-Holm p < ALPHA), ``"probably better"``, ``"probably equivalent"`` or
        ``"probably worse"`` (Bayesian probability >= 0.95, given), or ``"none"``."""
        if self.n < MIN_DATASETS:
            return "too few", None
        if self.p_holm < ALPHA:
            return ("better" if self.wins > self.losses else "worse"), None
        probs = {"better": self.better, "equivalent": self.equivalent, "worse": self.worse}
        likely, prob = max(probs.items(), key=lambda kv: kv[1])
        if prob >= 0.95:
            return f"probably {likely}", prob
        return "none", None

    def sentence(self) -> str:
        """The row in words."""
        kind, prob = self.call()
        if kind == "too few":
            return f"Too few data sets ({self.n}) for a verdict."
        if kind in ("better", "worse"):
            return f"{self.subject} is {kind} than {self.other} (Wilcoxon-Holm p < {ALPHA})."
        if prob is not None:
            word = {"better": "better than", "equivalent": "equivalent to", "worse": "worse than"}
            return (
                f"{self.subject} is probably {word[kind.split()[1]]} {self.other} (Bayesian"
                f" {prob:.2f}); the Wilcoxon-Holm test does not separate them."
            )
        return f"No verdict: the data do not separate {self.subject} from {self.other}."


def verdict_rows(means: pd.DataFrame, rope: float = ROPE) -> list[VerdictRow]:
    """Every MMOC-GAN variant (column) against every other detector (column) of ``means``."""
    tests = pairwise_wilcoxon(means)
    adjusted = {frozenset((r.a, r.b)): r.p_holm for r in tests.itertuples()}
    rows = []
    subjects = [c for c in means.columns if c.startswith(SUBJECT_PREFIX)]
    for i, subject in enumerate(subjects):
        # each other detector, the variants listed before this one excepted (done already)
        for other in [c for c in means.columns if c != subject and c not in subjects[:i]]:
            pair = means[[subject, other]].dropna()
            diff = pair[subject] - pair[other]
            bayes = bayesian_signed_rank(pair[subject], pair[other], rope=rope)
            rows.append(
                VerdictRow(
                    subject=subject,
                    other=other,
                    n=len(pair),
                    wins=int((diff > rope).sum()),
                    ties=int((diff.abs() <= rope).sum()),
                    losses=int((diff < -rope).sum()),
                    p_holm=float(adjusted[frozenset((subject, other))]),
                    better=bayes.better,
                    equivalent=bayes.equivalent,
                    worse=bayes.worse,
                )
            )
    return rows


def verdict_table(rows: list[VerdictRow], metric: str = "auroc") -> Table:
    """The Verdict as a table: one line per (MMOC-GAN variant, other detector)."""
    headers = ["MMOC-GAN", "against", "W / T / L", "Wilcoxon-Holm p", "P(better)",
               "P(equivalent)", "P(worse)", "in words"]  # fmt: skip
    body, bold = [], []
    for r in rows:
        body.append(
            [
                r.subject,
                r.other,
                f"{r.wins} / {r.ties} / {r.losses}",
                f"{r.p_holm:.3g}",
                f"{r.better:.2f}",
                f"{r.equivalent:.2f}",
                f"{r.worse:.2f}",
                r.sentence(),
            ]
        )
        sure = r.n >= MIN_DATASETS
        bold.append([False, False, False, sure and r.p_holm < ALPHA, sure and r.better >= 0.95,
                     sure and r.equivalent >= 0.95, sure and r.worse >= 0.95, False])  # fmt: skip
    frame = pd.DataFrame([r.__dict__ for r in rows])
    note = (
        f"{metric.upper()}, fold means per data set (over every fold and repetition). W / T / L:"
        f" data sets where MMOC-GAN is better by more than {ROPE}, within {ROPE}, worse by"
        f" more. Wilcoxon signed-rank over the data sets (scipy), Holm-adjusted over every"
        f" pair of detectors in this folder (statsmodels). P(...): Bayesian signed-rank test"
        f" with a region of practical equivalence of {ROPE} (baycomp, seeded). Bold:"
        f" p < {ALPHA} or probability >= 0.95, with at least {MIN_DATASETS} data sets."
    )
    return Table("Verdict", headers, body, bold, note=note, frame=frame)


def power_note(n_datasets: int, n_detectors: int) -> str:
    """What the Wilcoxon-Holm tests can detect with this many data sets and detectors."""
    pairs = n_detectors * (n_detectors - 1) // 2
    p_min = 2.0 / 2**n_datasets if n_datasets else float("nan")
    return (
        f"Power: with {n_datasets} data sets the smallest two-sided Wilcoxon p is"
        f" 2 / 2^{n_datasets} = {p_min:.2g} (one detector better on every data set); Holm's"
        f" correction over the {pairs} pairs multiplies the smallest p by {pairs}, to"
        f" {min(1.0, p_min * pairs):.2g}. A pair is separated at {ALPHA} only when one detector"
        " wins on nearly every data set; a difference that flips on a few data sets is not"
        " detectable here, whatever its size. The Bayesian probabilities say how the evidence"
        " leans when the test cannot decide."
    )


def verdict_section(doc: Document, run, tables_dir: Path) -> None:
    """The report's Verdict section (first): each MMOC-GAN variant against every other
    detector (AUROC); nothing when the folder has no variant or a single detector."""
    means = dataset_means(run.results).dropna(axis=0, how="all")
    if not any(c.startswith(SUBJECT_PREFIX) for c in means.columns) or means.shape[1] < 2:
        return
    doc.heading("Verdict", 2)
    if len(means) < 2:
        doc.note("A verdict needs at least 2 data sets; this folder has 1.")
        return
    table = verdict_table(verdict_rows(means))
    doc.table(table, write_table(table, tables_dir, "verdict"))
    doc.para(power_note(len(means), means.shape[1]))
    from benchmark.report.hierarchical import load_cached  # optional part: Stan

    cached = load_cached(run.root, run.results)
    if cached is None:
        doc.para(
            "The hierarchical Bayesian test on the fold scores was not computed for this"
            " folder (it needs Stan): `python -m benchmark.report.hierarchical RUN_DIR`"
            " (see docs/user-guide/reports.md)."
        )
    elif isinstance(cached, str):
        doc.note(cached)
    else:
        doc.table(cached)
