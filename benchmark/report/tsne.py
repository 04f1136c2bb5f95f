"""Figure 4: t-SNE of a test fold with samples from a refitted MMOC-GAN generator.

Models are not saved by a run, so the figure refits the detector on that fold's training
rows with exactly the parameters (seed and preset included) its cell record holds; the
fold's indices are recomputed from the run seed and checked against the recorded split
hash. The embedding is cached in the figure folder (``fig4_tsne.npz``) so regenerating a
report does not refit again. Above :data:`MAX_TSNE_ROWS` test rows, normal rows are
subsampled (all anomalies kept) to bound t-SNE's cost.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmark.evaluation.cell import Cell, repeat_seed
from benchmark.evaluation.compute import fit_cell
from benchmark.evaluation.inputs import CellInputs
from benchmark.evaluation.protocols import make_splits
from benchmark.evaluation.splits import split_hash
from benchmark.registry import datasets, detectors
from benchmark.report.figures import ANOMALY_COLOUR, plt, save_figure
from benchmark.report.load import RunData

__all__ = ["MAX_TSNE_ROWS", "N_GENERATED", "tsne_figure"]

#: Test rows embedded at most (normal rows are subsampled above it, anomalies all kept).
MAX_TSNE_ROWS = 3000
#: Generated rows drawn from the generator for the figure.
N_GENERATED = 300
MODE_COLOURS = [
    "tab:blue",
    "tab:green",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:gray",
    "tab:cyan",
    "navy",
    "teal",
    "olive",
    "darkorange",
    "black",
]


def _refit(run: RunData, dataset: str, detector: str, fold: int) -> dict | str:
    """Refit ``detector`` on the fold's training rows through the cell pipeline
    (:func:`benchmark.evaluation.compute.fit_cell`); the arrays the figure needs."""
    rec = run.record(dataset, detector, fold)
    if rec is None or rec.get("status") != "ok":
        return f"Figure 4 skipped: {dataset}/{detector}/fold{fold} has no successful result"
    if dataset not in datasets():
        return f"Figure 4 skipped: data set {dataset!r} is not registered (cannot reload it)"
    cell = Cell(**rec["cell"])
    ds = datasets()[dataset].load()
    if ds.content_hash() != cell.data_hash:
        return f"Figure 4 skipped: {dataset} content differs from the run's (data hash)"
    seed = repeat_seed(cell.run_seed, cell.repeat)
    alpha = cell.extra.get("contamination")  # None: the protocol as published
    train, test = make_splits(ds.y, cell.protocol, cell.folds, seed, contamination=alpha)[fold]
    if split_hash(train, test) != cell.split_hash:
        return f"Figure 4 skipped: recomputed split of {dataset} fold {fold} differs from the run's"
    if "device" in cell.params:
        cell = replace(cell, params=cell.params | {"device": "cpu"})
    inputs = CellInputs(ds.X[train], ds.X[test], ds.y[test])
    fitted = fit_cell(cell, inputs, detectors()[cell.detector].cls)
    model, X_test, y_test = fitted.detector, fitted.X_test, ds.y[test].astype(int)
    rng = np.random.default_rng(cell.run_seed)
    keep = np.arange(len(test))
    if len(keep) > MAX_TSNE_ROWS:
        normal, anomal = keep[y_test == 0], keep[y_test == 1]
        room = max(MAX_TSNE_ROWS - len(anomal), 1)
        keep = np.sort(np.r_[rng.choice(normal, room, replace=False), anomal])
    modes = getattr(ds, "modes", None)
    mode_source = "true mode"
    if modes is None:
        modes, mode_source = model.predict_mode(X_test), "mode predicted by Q(c|x)"
    else:
        modes = np.asarray(modes)[test]
    generated = model.sample(N_GENERATED, random_state=cell.seed)
    return {
        "X": np.vstack([X_test[keep], generated]),
        "kind": np.r_[y_test[keep], np.full(N_GENERATED, 2)],
        "modes": np.r_[np.asarray(modes)[keep], np.full(N_GENERATED, -1)],
        "meta": json.dumps(
            {
                "config_hash": rec.get("config_hash"),
                "mode_source": mode_source,
                "n_test": int(len(test)),
                "n_shown": int(len(keep)),
            }
        ),
    }


def _embed(X: np.ndarray, seed: int) -> np.ndarray:
    from openTSNE import TSNE

    perplexity = float(min(30, max(5, (len(X) - 1) / 3)))
    return np.asarray(
        TSNE(n_components=2, perplexity=perplexity, random_state=seed, n_jobs=1).fit(X)
    )


def tsne_figure(
    run: RunData,
    folder: Path,
    dataset: str | None = None,
    detector: str = "mmoc-gan-cat",
    fold: int = 0,
) -> tuple[Path, str] | str:
    """Figure 4 (PNG path and caption note) or a note saying why it was skipped."""
    if detector not in detectors():
        return f"Figure 4 skipped: detector {detector!r} is not registered yet"
    if detector not in run.detectors:
        return f"Figure 4 skipped: {detector} was not part of this run"
    dataset = dataset or run.focus_dataset()
    if dataset is None:
        return "Figure 4 skipped: the run has no data set"
    folder = Path(folder)
    cache = folder / "fig4_tsne.npz"
    rec = run.record(dataset, detector, fold) or {}
    data = None
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(str(data["meta"]))
        if meta.get("config_hash") != rec.get("config_hash") or meta.get("dataset") != dataset:
            data = None
    if data is None:
        fitted = _refit(run, dataset, detector, fold)
        if isinstance(fitted, str):
            return fitted
        meta = json.loads(fitted["meta"]) | {"dataset": dataset}
        emb = _embed(fitted["X"], int(run.config.get("seed", 0)))
        data = {
            "embedding": emb,
            "kind": fitted["kind"],
            "modes": fitted["modes"],
            "meta": np.array(json.dumps(meta)),
        }
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **data)
    meta = json.loads(str(data["meta"]))
    emb, kind, modes = data["embedding"], data["kind"], data["modes"]
    fig, ax = plt.subplots(figsize=(8.5, 6))
    normal = kind == 0
    for i, m in enumerate(np.unique(modes[normal])):
        sel = normal & (modes == m)
        ax.scatter(
            *emb[sel].T,
            s=6,
            alpha=0.6,
            c=MODE_COLOURS[i % len(MODE_COLOURS)],
            label=f"normal, mode {m}",
        )
    ax.scatter(*emb[kind == 1].T, s=28, c=ANOMALY_COLOUR, marker="x", label="anomaly")
    ax.scatter(
        *emb[kind == 2].T,
        s=14,
        c="gold",
        edgecolors="black",
        linewidths=0.3,
        label=f"generated ({detector})",
    )
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(
        f"Figure 4: t-SNE of {dataset}, test fold {fold}"
        f" ({meta['n_shown']} of {meta['n_test']} test rows)"
    )
    ax.legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.01, 0.5))
    note = (
        f"Normal rows coloured by their {meta['mode_source']}; {N_GENERATED} rows drawn from"
        f" the generator of {detector} refitted on fold {fold}'s training rows with the run's"
        f" parameters and seed; t-SNE (openTSNE) on standardised features"
        f" (at most {MAX_TSNE_ROWS} test rows, anomalies all kept)."
    )
    return save_figure(fig, folder, "fig4_tsne"), note
