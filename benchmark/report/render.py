"""Write ``report.md`` and ``report.html`` for a finished run, from its saved results alone.

``python run_benchmark.py --report RUN_DIR`` calls :func:`write_report`; so does a normal
run at its end. Nothing is rerun except the one MMOC-GAN refit Figure 4 needs (cached).
Tables go to ``RUN_DIR/tables/``, figures (PNG and PDF) to ``RUN_DIR/figures/``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.registry import datasets as registered_datasets
from benchmark.report import figures
from benchmark.report.document import Document
from benchmark.report.leakage import leakage_section
from benchmark.report.load import RunData, load_run
from benchmark.report.paired_folds import paired_section
from benchmark.report.pairwise import wilcoxon_matrix
from benchmark.report.paper_tables import TABLE1_NOTE, table1
from benchmark.report.rank_tables import (
    matrix_table,
    nemenyi_table,
    per_dataset_rank_table,
    rank_table,
    runtime_table,
)
from benchmark.report.stats import (
    RANK_RULE,
    complete_block,
    friedman,
    metric_matrix,
    nemenyi,
    rank_matrix,
    wins,
)
from benchmark.report.table2 import table2_tables
from benchmark.report.text_table import Table, write_table
from benchmark.report.tsne import tsne_figure
from benchmark.report.verdict import verdict_section

__all__ = ["write_report"]

log = logging.getLogger(__name__)

#: The autoencoder whose reconstruction error Figure 2 shows (its score is that error).
RECONSTRUCTION_DETECTOR = "rda"


def _count_text(counter: Counter) -> str:
    if len(counter) == 1:
        return str(next(iter(counter)))
    return ", ".join(f"{k} ({n} cells)" for k, n in counter.most_common())


def _run_section(doc: Document, run: RunData) -> None:
    """What the folder holds, all of it read from its cells (so it agrees with the tables)."""
    cells = [r.get("cell") or {} for r in run.records]
    failed = [r for r in run.records if r.get("status") != "ok"]
    repeats = {c.get("repeat", 0) for c in cells}
    reps = f", {len(repeats)} repetitions" if len(repeats) > 1 else ""
    configs = Counter(
        f"protocol {c.get('protocol')}, {c.get('folds')} folds{reps}, seed {c.get('run_seed')},"
        f" preset {c.get('preset')}"
        for c in cells
    )
    devices = Counter(str(r.get("device") or "not recorded") for r in run.records)
    compute = sum(
        float(r.get("fit_seconds") or 0) + float(r.get("score_seconds") or 0) for r in run.records
    )
    invocations = run.manifest.get("invocations") or []
    rows = [
        ["data sets", ", ".join(run.datasets)],
        ["detectors", ", ".join(run.detectors)],
        ["cell configuration", _count_text(configs) if configs else "none"],
        ["device", _count_text(devices) if devices else "none"],
        [
            "cells",
            f"{len(run.records)} finished"
            f" ({len(run.records) - len(failed)} ok, {len(failed)} failed)",
        ],
        ["compute time", f"{compute:.0f} s of fit + score over all cells"],
        ["invocations", str(len(invocations))],
    ]
    doc.table(Table("Configuration", ["setting", "value"], rows))
    if len(configs) > 1:
        doc.note(
            f"This folder holds cells of {len(configs)} configurations; each table aggregates"
            " the cells of a (data set, detector) whatever their configuration."
        )
    if invocations:
        doc.table(_invocation_table(invocations))
    versions: dict[str, Counter] = {}
    for rec in run.records:
        for pkg, ver in (rec.get("versions") or {}).items():
            versions.setdefault(pkg, Counter())[str(ver)] += 1
    doc.table(
        Table(
            "Versions", ["package", "version"], [[k, _count_text(v)] for k, v in versions.items()]
        )
    )
    doc.heading("Failed cells", 3)
    if failed:
        doc.para(
            f"{len(failed)} cell(s) failed. They stay in every table as `failed` and"
            " count as the worst rank (see the ranking rule below)."
        )
        doc.table(
            Table(
                "Failed cells",
                ["cell", "error"],
                [[_cell_name(r), str(r.get("error"))[:200]] for r in failed],
            )
        )
    else:
        doc.para("No cell failed.")
    _warning_section(doc, run)


def _warning_section(doc: Document, run: RunData) -> None:
    """Warnings the detectors emitted, per detector and message (captured in the cells)."""
    doc.heading("Warnings", 3)
    groups: dict[tuple[str, str], dict] = {}
    for rec in run.records:
        cell = rec.get("cell") or {}
        for w in rec.get("warnings") or []:
            key = (str(cell.get("label")), f"{w.get('category')}: {w.get('message')}")
            g = groups.setdefault(key, {"cells": 0, "times": 0, "datasets": {}})
            g["cells"] += 1
            g["times"] += int(w.get("count") or 1)
            g["datasets"][str(cell.get("dataset"))] = None
    if not groups:
        doc.para("No detector emitted a warning.")
        return
    rows = [
        [det, msg[:160], str(g["cells"]), str(g["times"]), ", ".join(g["datasets"])[:120]]
        for (det, msg), g in sorted(groups.items())
    ]
    headers = ["detector", "warning", "cells", "times", "data sets"]
    doc.table(
        Table("Warnings emitted by the detectors (kept in each cell's record)", headers, rows)
    )


def _cell_name(rec: dict) -> str:
    c = rec.get("cell") or {}
    return f"{c.get('dataset')}/{c.get('label')}/fold{c.get('fold')}"


def _invocation_table(invocations: list[dict]) -> Table:
    """The runs that wrote into this folder, oldest first (from run.json's history)."""
    rows = []
    for inv in invocations:
        seconds = inv.get("seconds")
        rows.append(
            [
                str(inv.get("started") or "?"),
                str(inv.get("outcome") or "?"),
                str(inv.get("cells", "?")),
                str(inv.get("computed", "?")),
                str(inv.get("reused", "?")),
                str(inv.get("failed", "?")),
                f"{seconds:.0f}" if isinstance(seconds, int | float) else "?",
                " ".join(inv.get("argv") or []) or "(Python API)",
            ]
        )
    headers = ["started (UTC)", "outcome", "cells", "computed", "reused", "failed", "s", "command"]
    return Table("Invocations that wrote into this folder", headers, rows)


def _table_sections(doc: Document, run: RunData, tables_dir: Path) -> None:
    """Table 1 per data set (``table1_<data set>.*``, named after its own data set) and
    Table 2 when the folder holds ablation cells."""
    doc.heading("Table 1: per data set", 2)
    doc.para(TABLE1_NOTE)
    for ds, table in table1(run.results, run.datasets, run.detectors).items():
        doc.table(table, write_table(table, tables_dir, f"table1_{ds}"))
    paired_section(doc, run.results, tables_dir)
    doc.heading("Table 2: MMOC-GAN (cat) over the number of modes m", 2)
    t2 = table2_tables(run)
    if isinstance(t2, str):
        doc.note(t2)
    else:
        for i, table in enumerate(t2):
            doc.table(table, write_table(table, tables_dir, f"table2_{i}"))


def _rank_tests(
    doc: Document,
    ranks: pd.DataFrame,
    means: pd.DataFrame,
    metric: str,
    tables_dir: Path,
    fig_dir: Path,
) -> None:
    """The critical-difference diagram by pairwise Wilcoxon-Holm, then Friedman and Nemenyi
    as a secondary, labelled table (their pairwise verdicts depend on the pool)."""
    if ranks.shape[1] >= 2 and len(ranks) >= 2:
        png = figures.cd_diagram(
            ranks.mean(axis=0), wilcoxon_matrix(means), metric, len(ranks), fig_dir
        )
        doc.image(
            png,
            f"Critical-difference diagram, {metric.upper()}: average ranks; a bar joins"
            " detectors that the pairwise Wilcoxon signed-rank test on the data sets' means"
            " (scipy), Holm-adjusted over all pairs (statsmodels), does not separate at"
            " alpha = 0.05 (drawn by scikit-posthocs)",
        )
    fr = friedman(ranks)
    if not fr.ok:
        doc.note(fr.note)
        return
    doc.para(
        f"Secondary, mean-rank tests ({metric.upper()}): Friedman chi² = {fr.statistic:.3f},"
        f" p = {fr.pvalue:.3g} (N = {fr.n_datasets} data sets, k = {fr.n_detectors} detectors;"
        " scipy), then Nemenyi's post-hoc test (scikit-posthocs). They are kept for"
        " comparison with the literature, not for the verdict: whether a mean-rank test"
        " separates two detectors depends on which other detectors are in the pool"
        " (Benavoli, Corani and Mangili, JMLR 2016)."
    )
    table = nemenyi_table(nemenyi(ranks), metric)
    doc.table(table, write_table(table, tables_dir, f"nemenyi_{metric}"))


def _across_section(doc: Document, run: RunData, tables_dir: Path, fig_dir: Path) -> None:
    doc.heading("Across data sets", 2)
    avg, won = {}, {}
    for metric in ("auroc", "auprc"):
        mm = metric_matrix(run.results, metric, run.datasets, run.detectors)
        table = matrix_table(mm, f"{metric.upper()} (mean ± std [95 % interval] over folds)")
        doc.table(table, write_table(table, tables_dir, f"matrix_{metric}"))
        block = complete_block(mm.n_total)
        if block.left_out:
            doc.note(
                f"{metric.upper()}: left out of the ranks and tests because some cells were"
                f" never run (not failed): {'; '.join(block.left_out)}."
            )
        ranks, excluded = rank_matrix(mm.mean.loc[block.datasets, block.detectors])
        if excluded:
            doc.note(
                f"{metric.upper()}: left out of the ranking (no finite value):"
                f" {', '.join(excluded)}."
            )
        if ranks.empty:
            continue
        avg[metric], won[metric] = ranks.mean(axis=0), wins(ranks)
        table = per_dataset_rank_table(ranks, mm.failed, metric)
        doc.table(table, write_table(table, tables_dir, f"ranks_{metric}"))
        means = mm.mean.loc[ranks.index, ranks.columns]
        _rank_tests(doc, ranks, means, metric, tables_dir, fig_dir)
    doc.para(RANK_RULE)
    if avg:
        table = rank_table(avg, won)
        doc.table(table, write_table(table, tables_dir, "ranks"))
    doc.heading("Runtime", 2)
    table = runtime_table(run.results, run.datasets, run.detectors)
    doc.table(table, write_table(table, tables_dir, "runtime"))


def _load_dataset(name: str):
    spec = registered_datasets().get(name)
    return spec.load() if spec is not None else None


def _figure_section(doc: Document, run: RunData, fig_dir: Path, tsne: bool) -> None:
    doc.heading("Figures", 2)
    focus = run.focus_dataset()
    ds = _load_dataset(focus) if focus else None
    if ds is None:
        doc.note(f"Figure 1 skipped: data set {focus!r} cannot be reloaded from the registry.")
    else:
        doc.image(
            figures.pca_figure(ds.X, ds.y, focus, fig_dir),
            f"Figure 1: PCA of {focus}, normal (blue) vs anomalous (red) rows",
        )
    rec = {}
    for name in run.datasets:
        parts = [run.scores(name, RECONSTRUCTION_DETECTOR, k) for k in range(run.folds)]
        parts = [p for p in parts if p is not None]
        if parts:
            rec[name] = (
                pd.concat([pd.Series(p["test_scores"]) for p in parts]).to_numpy(),
                pd.concat([pd.Series(p["y_test"]) for p in parts]).to_numpy(),
            )
    if rec:
        doc.image(
            figures.reconstruction_histograms(rec, RECONSTRUCTION_DETECTOR, fig_dir),
            f"Figure 2: reconstruction loss ({RECONSTRUCTION_DETECTOR} test scores, all"
            " folds pooled), normal vs anomalous rows, as % of each class",
        )
    else:
        doc.note(
            f"Figure 2 skipped: no saved scores of the autoencoder"
            f" `{RECONSTRUCTION_DETECTOR}` in this run."
        )
    result = tsne_figure(run, fig_dir) if tsne else "Figure 4 skipped on request (no refit)."
    if isinstance(result, str):
        doc.note(result)
    else:
        doc.image(result[0], f"Figure 4: t-SNE of a test fold. {result[1]}")
    if run.datasets and run.detectors:
        doc.image(
            figures.auroc_boxplots(run.results, run.datasets, run.detectors, fig_dir),
            "AUROC over folds per data set and detector",
        )
    _loss_figures(doc, run, fig_dir)


def _loss_figures(doc: Document, run: RunData, fig_dir: Path) -> None:
    any_history = False
    for i, name in enumerate(run.datasets):
        hist = {}
        for det in run.detectors:
            rec = run.record(name, det, 0) or {}
            if rec.get("history"):
                hist[det] = rec["history"]
        if hist:
            any_history = True
            png = figures.loss_curves(hist, name, fig_dir, f"losses_{i:02d}")
            doc.image(png, f"Training losses of the neural detectors on {name} (fold 0)")
    if not any_history:
        doc.note("No training-loss history in this run (no neural detector succeeded).")


def _appendix(doc: Document, run: RunData) -> None:
    doc.heading("Appendix: split hashes", 2)
    splits = run.manifest.get("splits") or {}
    doc.table(
        Table(
            "Split hashes (sha256 of the index arrays, first 16 hex digits)",
            ["data set / fold", "hash"],
            [[k, v] for k, v in splits.items()],
        )
    )


def write_report(run_dir: Path, *, tsne: bool = True) -> Path:
    """Write ``report.md`` and ``report.html`` for ``run_dir``; returns the markdown path."""
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    tables_dir, fig_dir = run_dir / "tables", run_dir / "figures"
    tables_dir.mkdir(exist_ok=True)
    doc = Document(run_dir)
    title = f"Benchmark report: {run_dir.resolve().name}"
    doc.heading(title, 1)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc.para(
        f"Generated {stamp} from the saved results in this folder (nothing rerun)."
        " Score convention: higher = more anomalous. Files: `results.csv` (one row per"
        " cell and threshold policy), `run.json`, `tables/`, `figures/` (PNG and PDF)."
    )
    if not run.results.empty:
        verdict_section(doc, run, tables_dir)
    doc.heading("Run", 2)
    _run_section(doc, run)
    if run.results.empty:
        doc.note("The run has no results yet.")
    else:
        _table_sections(doc, run, tables_dir)
        _across_section(doc, run, tables_dir, fig_dir)
        _figure_section(doc, run, fig_dir, tsne)
    leakage_section(doc, run)  # benchmark/report/leakage.py: duplicates across the splits
    _appendix(doc, run)
    md = run_dir / "report.md"
    atomic_write_text(md, doc.markdown())
    atomic_write_text(run_dir / "report.html", doc.html(title))
    log.info("report written: %s", json.dumps(str(md)))
    return md
