"""The report's figures (matplotlib, Agg backend), each saved as PNG and PDF.

Every function takes what it plots, writes ``<stem>.png`` and ``<stem>.pdf`` into the
figure folder and returns the PNG path, or returns a one-line note saying why it was
skipped (a figure is never silently missing from a report).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scikit_posthocs as sp  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

__all__ = [
    "save_figure",
    "pca_figure",
    "reconstruction_histograms",
    "auroc_boxplots",
    "loss_curves",
    "cd_diagram",
    "distinct_colours",
    "NORMAL_COLOUR",
    "ANOMALY_COLOUR",
]

NORMAL_COLOUR = "tab:blue"
ANOMALY_COLOUR = "tab:red"
plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "figure.dpi": 110})


def save_figure(fig: plt.Figure, folder: Path, stem: str) -> Path:
    """Save ``fig`` as ``stem``.png (150 dpi) and ``stem``.pdf; close it; the PNG path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{stem}.png"
    fig.savefig(png, dpi=150, bbox_inches="tight")
    fig.savefig(folder / f"{stem}.pdf", bbox_inches="tight")
    plt.close(fig)
    return png


def _grid(n: int, width: float = 4.0, height: float = 3.2, max_cols: int = 4):
    cols = max(1, min(max_cols, n))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _title_and_layout(fig: plt.Figure, title: str) -> None:
    """A figure title above the panels: the layout keeps 0.45 inch free for it.

    ``tight_layout`` ignores a suptitle, which then overlapped the first row's titles.
    """
    fig.suptitle(title, y=1 - 0.08 / fig.get_figheight())
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))


def pca_figure(X: np.ndarray, y: np.ndarray, name: str, folder: Path) -> Path:
    """Figure 1: the first two principal components, normal (blue) vs anomalous (red)."""
    finite = np.where(np.isfinite(X), X, np.nanmean(np.where(np.isfinite(X), X, np.nan), axis=0))
    finite = np.nan_to_num(finite)
    sd = finite.std(axis=0)
    Z = (finite - finite.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    pca = PCA(n_components=2, random_state=0).fit(Z)
    P = pca.transform(Z)
    fig, ax = plt.subplots(figsize=(6, 5))
    normal, anomalous = y == 0, y == 1
    ax.scatter(*P[normal].T, s=6, alpha=0.5, c=NORMAL_COLOUR, label=f"normal ({normal.sum()})")
    ax.scatter(
        *P[anomalous].T, s=18, c=ANOMALY_COLOUR, marker="x", label=f"anomaly ({anomalous.sum()})"
    )
    ev = pca.explained_variance_ratio_ * 100
    ax.set_xlabel(f"PC 1 ({ev[0]:.1f} % of variance)")
    ax.set_ylabel(f"PC 2 ({ev[1]:.1f} % of variance)")
    ax.set_title(f"Figure 1: PCA of {name} (standardised)")
    ax.legend(loc="best", markerscale=2)
    return save_figure(fig, folder, "fig1_pca")


def reconstruction_histograms(
    scores: dict[str, tuple[np.ndarray, np.ndarray]], detector: str, folder: Path
) -> Path:
    """Figure 2: per data set, histograms (percent) of the reconstruction loss by class.

    ``scores`` maps a data set to (test scores pooled over folds, their labels).
    """
    fig, axes = _grid(len(scores))
    for ax, (ds, (s, y)) in zip(axes, scores.items()):
        s = np.asarray(s, dtype=float)
        lo, hi = np.percentile(s, [0.5, 99.5])
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
        for cls, colour, label in ((0, NORMAL_COLOUR, "normal"), (1, "tab:orange", "anomaly")):
            v = np.clip(s[y == cls], bins[0], bins[-1])
            if v.size:
                w = np.full(v.size, 100.0 / v.size)
                ax.hist(v, bins=bins, weights=w, alpha=0.6, color=colour, label=label)
        below, above = int((s < bins[0]).sum()), int((s > bins[-1]).sum())
        if below or above:  # say so: the edge bars hold values beyond the axis
            ax.text(
                0.98,
                0.6,
                f"axis clipped at the 0.5 / 99.5 % quantiles:\n{below} row(s) below in the"
                f" first bar,\n{above} above in the last",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=7,
                color="dimgray",
            )
        ax.set_title(ds)
        ax.set_xlabel(f"{detector} reconstruction loss")
        ax.set_ylabel("% of the class")
        ax.legend(fontsize=8)
    _title_and_layout(
        fig, f"Figure 2: reconstruction loss of {detector}, normal vs anomalous test rows"
    )
    return save_figure(fig, folder, "fig2_reconstruction_loss")


def auroc_boxplots(
    results: pd.DataFrame, datasets: list[str], detectors: list[str], folder: Path
) -> Path:
    """Per data set, a box plot of AUROC over folds for each detector (failed: marked)."""
    frame = results[results["policy"] == "train-quantile"]
    fig, axes = _grid(len(datasets), width=0.45 * len(detectors) + 2, height=3.6, max_cols=3)
    for ax, ds in zip(axes, datasets):
        sub = frame[frame["dataset"] == ds]
        data, labels = [], []
        missing = {}
        for det in detectors:
            rows = sub[sub["detector"] == det]
            v = rows[rows["status"] == "ok"]["auroc"].dropna()
            data.append(v.to_numpy(dtype=float))
            if len(v) == 0:  # never run is not a failure; ok but undefined AUROC is n/a
                failed = (rows["status"] != "ok").any()
                missing[det] = "not run" if rows.empty else ("failed" if failed else "n/a")
            labels.append(f"{det} ({missing[det]})" if det in missing else det)
        positions = np.arange(1, len(detectors) + 1)
        present = [i for i, v in enumerate(data) if len(v)]
        if present:
            ax.boxplot([data[i] for i in present], positions=positions[present], widths=0.6)
        for i, det in enumerate(detectors):
            if det in missing:
                colour = "tab:red" if missing[det] == "failed" else "grey"
                ax.text(positions[i], 0.5, missing[det], rotation=90, ha="center", color=colour)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_xticks(positions, labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("AUROC over folds")
        ax.set_title(ds)
    _title_and_layout(fig, "AUROC over folds per data set (dashed: chance)")
    return save_figure(fig, folder, "auroc_boxplots")


def loss_curves(histories: dict[str, list[dict]], dataset: str, folder: Path, stem: str) -> Path:
    """Training-loss curves (per epoch, every recorded loss) of each neural detector."""
    fig, axes = _grid(len(histories), width=4.2, height=3.0)
    for ax, (det, hist) in zip(axes, histories.items()):
        frame = pd.DataFrame(hist)
        x = frame.pop("epoch") if "epoch" in frame else pd.Series(np.arange(1, len(frame) + 1))
        outer = frame.pop("outer") if "outer" in frame else None
        if outer is not None:  # RDA restarts its epochs each outer iteration: count on
            x = pd.Series(np.arange(1, len(frame) + 1))
            for boundary in x[outer.diff().fillna(0).to_numpy() > 0]:
                ax.axvline(boundary - 0.5, color="lightgrey", lw=0.8, ls=":")
        cols = [c for c in frame.columns if not c.startswith("n_")]  # counts are no losses
        for col in cols:
            ax.plot(x, frame[col], lw=1.2, label=col)
        values = frame[cols].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size and values.min() > 0 and values.max() / values.min() > 1e3:
            ax.set_yscale("log")  # positive losses over orders of magnitude
        ax.set_title(det)
        ax.set_xlabel("epoch" if outer is None else "epoch (all outer iterations; dotted: next)")
        ax.set_ylabel("loss (epoch mean)")
        ax.legend(fontsize=7)
    _title_and_layout(fig, f"Training losses on {dataset}, fold 0")
    return save_figure(fig, folder, stem)


def distinct_colours(names: list[str]) -> dict[str, str]:
    """One colour per name, all different (tab20 up to 20 names, then evenly spaced hues).

    Matplotlib's default cycle has 10 colours, so 11 detectors shared one.
    """
    n = len(names)
    cmap = matplotlib.colormaps["tab20"] if n <= 20 else matplotlib.colormaps["hsv"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]  # tab20's strong shades first
    picks = [cmap(order[i]) for i in range(n)] if n <= 20 else [cmap(i / n) for i in range(n)]
    return {name: matplotlib.colors.to_hex(c) for name, c in zip(names, picks)}


def cd_diagram(
    avg_ranks: pd.Series,
    pvalues: pd.DataFrame,
    metric: str,
    n_datasets: int,
    folder: Path,
    test: str = "Wilcoxon-Holm",
    stem: str | None = None,
) -> Path:
    """Critical-difference diagram (scikit-posthocs): average ranks on an axis; bars join
    detectors whose p in ``pvalues`` (named ``test`` in the title) is at least 0.05."""
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(avg_ranks) + 1.8))
    sp.critical_difference_diagram(
        avg_ranks,
        pvalues,
        ax=ax,
        color_palette=distinct_colours(list(avg_ranks.index)),
        label_fmt_left="{label} ({rank:.2f})",
        label_fmt_right="({rank:.2f}) {label}",
    )
    ax.set_title(
        f"Average ranks ({metric.upper()}, {n_datasets} data sets); bars: not separated by"
        f" {test}, alpha = 0.05"
    )
    return save_figure(fig, folder, stem or f"cd_{metric}")
