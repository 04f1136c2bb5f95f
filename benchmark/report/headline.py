"""The README's headline and verdict, written from a run folder's report tables.

``python -m benchmark.report.headline results/paper`` prints the two Markdown blocks;
``--readme README.md`` rewrites them between their markers (``<!-- headline:start -->`` /
``<!-- headline:end -->``, ``<!-- verdict:start -->`` / ``<!-- verdict:end -->``);
``--check`` exits 1 when the README's blocks are not the folder's. The test suite runs the
check on the committed paper run, so the README cannot cite numbers the run does not hold.
Everything comes from files the report writes (``run.json``, ``tables/ranks.csv``,
``tables/ranks_auroc.csv``, ``tables/verdict.csv``); nothing is recomputed but Friedman's
statistic, from the committed per-data-set ranks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmark.registry import datasets
from benchmark.report.pairwise import ALPHA, ROPE
from benchmark.report.stats import friedman
from benchmark.report.verdict import MIN_DATASETS, VerdictRow

__all__ = ["BLOCKS", "HeadlineError", "headline_block", "verdict_block", "rewrite", "main"]

#: The README blocks this module owns, each between ``<!-- NAME:start -->`` and ``:end``.
BLOCKS = ("headline", "verdict")

#: The paper's names of the two OCNN variants, shown beside ours.
PAPER_NAMES = {"ocnn-neighbor": "kNN distance", "ocnn-network": "OC-NN"}

#: How the headline describes a preset.
PRESET_WORDS = {
    "paper": "Paper preset (the paper's budgets, no caps)",
    "quick": "Quick preset (capped budgets)",
    "smoke": "Smoke preset (a few steps: a check, not a result)",
}


class HeadlineError(ValueError):
    """A run folder or README the blocks cannot be written from (names the file)."""


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The report table at ``path``; an error naming it if it or a needed column is missing."""
    if not path.is_file():
        raise HeadlineError(f"{path} is missing: rebuild the report (run_benchmark.py --report)")
    frame = pd.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise HeadlineError(f"{path} lacks column(s) {', '.join(missing)}: rebuild the report")
    return frame


def _manifest(run_dir: Path) -> dict:
    path = run_dir / "run.json"
    if not path.is_file():
        raise HeadlineError(f"{path} is missing: {run_dir} is not a run folder")
    return json.loads(path.read_text())


def _sets_text(names: Sequence[str]) -> str:
    """ "all 13 bundled data sets" when it is all of them, else their names."""
    bundled = sorted(n for n, spec in datasets().items() if spec.bundled)
    if sorted(names) == bundled:
        return f"all {len(bundled)} bundled data sets"
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"{len(names)} data sets ({listed})"


def _link(run_dir: Path, base: Path) -> str:
    return Path(os.path.relpath(run_dir.resolve(), base.resolve())).as_posix()


def headline_block(run_dir: Path, base: Path) -> str:
    """The headline: what ran, the average ranks and wins per detector, Friedman's test.

    Links are relative to ``base`` (the README's folder)."""
    manifest = _manifest(run_dir)
    config = manifest.get("config", {})
    wanted = ["detector", "avg. rank auroc", "avg. rank auprc", "wins auroc"]
    ranks = _read_csv(run_dir / "tables" / "ranks.csv", wanted).sort_values(
        ["avg. rank auroc", "avg. rank auprc", "detector"]
    )
    per_set = _read_csv(run_dir / "tables" / "ranks_auroc.csv", ["dataset"]).set_index("dataset")
    names = list(manifest.get("datasets", per_set.index))
    failed = len(manifest.get("failed_cells") or [])
    status = "all ok" if not failed else f"{failed} failed"
    link = _link(run_dir, base)
    preset = config.get("preset", "?")
    lines = [
        f"{PRESET_WORDS.get(preset, f'Preset {preset!r}')} on {_sets_text(names)},"
        f" {config.get('folds', '?')} folds each, seed {config.get('seed', '?')}:"
        f" {manifest.get('cells', '?')} cells, {status}. Average rank of the AUROC and AUPRC"
        " (1 = best) and the number of sets won (ties count); full tables, figures and"
        f" timings in [`{link}/`]({link}/README.md) ([report]({link}/report.md)).",
        "",
        "| detector | avg. AUROC rank | avg. AUPRC rank | AUROC wins |",
        "|---|---|---|---|",
    ]
    best = (ranks["avg. rank auroc"].min(), ranks["avg. rank auprc"].min())
    most = ranks["wins auroc"].max()
    for r in ranks.to_dict("records"):
        det, auroc, auprc, wins = (
            r["detector"],
            r["avg. rank auroc"],
            r["avg. rank auprc"],
            r["wins auroc"],
        )
        paper_name = PAPER_NAMES.get(det)
        name = f"`{det}`" + (f" ({paper_name})" if paper_name else "")
        cells = [f"{auroc:.2f}", f"{auprc:.2f}", f"{wins}"]
        marks = [auroc == best[0], auprc == best[1], wins == most]
        cells = [f"**{c}**" if m else c for c, m in zip(cells, marks)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    test = friedman(per_set)
    lines.append("")
    if test.ok:
        lines.append(
            f"Friedman test over the {test.n_datasets} sets: AUROC chi² = {test.statistic:.1f},"
            f" p = {test.pvalue:.2g}."
        )
    else:
        lines.append(test.note + ".")
    return "\n".join(lines)


def _names(rows: list[VerdictRow], probs: bool) -> str:
    if probs:
        return ", ".join(f"`{r.other}` ({r.call()[1]:.2f})" for r in rows)
    return ", ".join(f"`{r.other}`" for r in rows)


def verdict_block(run_dir: Path, base: Path) -> str:
    """Each MMOC-GAN variant's calls against the other detectors, from ``tables/verdict.csv``."""
    frame = _read_csv(run_dir / "tables" / "verdict.csv", list(VerdictRow.__dataclass_fields__))
    rows = [VerdictRow(**rec) for rec in frame.to_dict("records")]
    if not rows:
        raise HeadlineError(f"{run_dir / 'tables' / 'verdict.csv'} has no rows")
    n_sets = int(frame["n"].max())
    link = _link(run_dir, base)
    lines = [
        f"**Verdict** over the {n_sets} data sets of this run (AUROC, fold means; Wilcoxon"
        f" signed-rank, Holm-adjusted over every pair, at {ALPHA}; Bayesian signed-rank with a"
        f" region of practical equivalence of {ROPE}, a call at probability ≥ 0.95; needs"
        f" {MIN_DATASETS} data sets; [table and power note]({link}/report.md#verdict)):",
        "",
    ]
    order = [
        ("better", "better than (Wilcoxon-Holm)", False),
        ("worse", "worse than (Wilcoxon-Holm)", False),
        ("probably better", "probably better than", True),
        ("probably equivalent", "probably equivalent to", True),
        ("probably worse", "probably worse than", True),
        ("too few", "too few data sets against", False),
        ("none", "no verdict against", False),
    ]
    for subject in dict.fromkeys(r.subject for r in rows):
        mine = [r for r in rows if r.subject == subject]
        parts = []
        for kind, words, probs in order:
            these = [r for r in mine if r.call()[0] == kind]
            if these:
                parts.append(f"{words} {_names(these, probs)}")
        lines.append(f"- `{subject}`: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"


def rewrite(readme_text: str, blocks: dict[str, str], where: str = "README") -> str:
    """``readme_text`` with each block's text put between its markers (which must exist)."""
    out = readme_text
    for name, body in blocks.items():
        start, end = _markers(name)
        i, j = out.find(start), out.find(end)
        if i < 0 or j < i:
            raise HeadlineError(f"{where} has no {start.strip()} ... {end} pair")
        out = out[: i + len(start)] + body + "\n" + out[j:]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark.report.headline", description=__doc__
    )
    parser.add_argument("run_dir", type=Path, help="a run folder with its report (results/paper)")
    parser.add_argument("--readme", type=Path, help="rewrite this README's blocks in place")
    parser.add_argument(
        "--check", action="store_true", help="with --readme: change nothing, exit 1 if it differs"
    )
    args = parser.parse_args(argv)
    base = args.readme.parent if args.readme else Path.cwd()
    try:
        blocks = {
            "headline": headline_block(args.run_dir, base),
            "verdict": verdict_block(args.run_dir, base),
        }
        if args.readme is None:
            print("\n\n".join(blocks.values()))
            return 0
        if not args.readme.is_file():
            raise HeadlineError(f"{args.readme} is not a file")
        text = args.readme.read_text()
        new = rewrite(text, blocks, str(args.readme))
    except HeadlineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{args.readme}: its blocks differ from {args.run_dir}'s tables", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
