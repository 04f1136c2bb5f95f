"""The heavy-tailed 2-D toy of the MMOC-GAN design study: where D puts "real".

Normals have one Gaussian feature (y) and one log-normal, heavy-tailed feature (x).
*Near* anomalies sit just outside the normal cloud along the Gaussian feature; *far*
anomalies lie far out in the tail that the training normals only thinly reach. A
complementary GAN whose generator copies the normals learns "real = wherever G is
not", which includes the far tail; one whose generator covers the low-density
surroundings does not. Everything here is drawn from the study's seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benchmark.evaluation.cell import cell_seed  # noqa: E402
from benchmark.evaluation.metrics import ranking_metrics  # noqa: E402
from benchmark.evaluation.preprocessing import Preprocessor  # noqa: E402
from benchmark.registry import get_detector  # noqa: E402

__all__ = ["ToyData", "ToyPanel", "make_toy", "fit_toy_panel", "toy_figure", "GRID"]

#: Grid points per axis over which P(real) is evaluated (and its > 0.5 share measured).
GRID = 200
#: Generated rows drawn per panel.
N_TOY_GENERATED = 500


@dataclass
class ToyData:
    """Training normals, held-out normals, near and far anomalies (original units)."""

    train: np.ndarray
    test_normal: np.ndarray
    near: np.ndarray
    far: np.ndarray
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 of the plotted plane


@dataclass
class ToyPanel:
    """One fitted variant on the toy: its P(real) over the grid and its numbers."""

    label: str
    p_real: np.ndarray  # (GRID, GRID), rows = y, columns = x
    generated: np.ndarray  # in original units
    far_auroc: float
    near_auroc: float
    share_real: float  # share of the plotted plane with P(real) > 0.5
    preprocessing: str


def make_toy(seed: int, n_train: int = 1000, n_test: int = 500) -> ToyData:
    """The toy data set, a pure function of ``seed``."""
    rng = np.random.default_rng([seed, 2019])

    def normals(n: int) -> np.ndarray:
        return np.c_[rng.lognormal(0.0, 0.75, n), rng.normal(1.0, 1.0, n)]

    train, test_normal = normals(n_train), normals(n_test)
    n_anom = 60
    near_x = rng.uniform(0.5, 3.0, n_anom)
    near_y = 1.0 + rng.choice([-1.0, 1.0], n_anom) * rng.uniform(3.2, 4.2, n_anom)
    far = np.c_[rng.uniform(15.0, 40.0, n_anom), rng.normal(1.0, 1.0, n_anom)]
    extent = (-5.0, 45.0, -5.0, 7.0)
    return ToyData(train, test_normal, np.c_[near_x, near_y], far, extent)


def _auroc(p_fake_normal: np.ndarray, p_fake_anomaly: np.ndarray) -> float:
    y = np.r_[np.zeros(len(p_fake_normal)), np.ones(len(p_fake_anomaly))]
    return float(ranking_metrics(y, np.r_[p_fake_normal, p_fake_anomaly])["auroc"])


def fit_toy_panel(
    toy: ToyData,
    label: str,
    detector: str,
    params: Mapping[str, Any],
    *,
    seed: int,
    preset: str,
    device: str = "cpu",
) -> ToyPanel:
    """Fit ``detector`` (preset + ``params``) on the toy's normals as a harness cell would.

    The scaling is the detector's own choice for these parameters (``preprocessing_for``),
    fitted on the training normals; the seed is the study's cell seed for (``toy``,
    ``label``, fold 0). Generated rows are drawn in the scaled space and mapped back.
    """
    spec = get_detector(detector)
    full = spec.params(preset) | dict(params)
    full |= {"random_state": cell_seed(seed, "toy-heavy-tail", label, 0), "device": device}
    kind = spec.cls.preprocessing_for(full)
    pre = Preprocessor(kind).fit(toy.train)
    model = spec.cls(**full).fit(pre.transform(toy.train))
    x0, x1, y0, y1 = toy.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    grid = np.c_[gx.ravel(), gy.ravel()]
    p_real = 1.0 - model.decision_function(pre.transform(grid)).reshape(GRID, GRID)
    generated = pre.inverse_transform(
        model.sample(N_TOY_GENERATED, random_state=full["random_state"])
    )
    normal = model.decision_function(pre.transform(toy.test_normal))
    return ToyPanel(
        label=label,
        p_real=p_real,
        generated=generated,
        far_auroc=_auroc(normal, model.decision_function(pre.transform(toy.far))),
        near_auroc=_auroc(normal, model.decision_function(pre.transform(toy.near))),
        share_real=float((p_real > 0.5).mean()),
        preprocessing=kind,
    )


def toy_figure(
    toy: ToyData, panels: Sequence[ToyPanel], path: Path, titles: Mapping[str, str]
) -> Path:
    """One panel per fitted variant: P(real) contours, the 0.5 line, the rows; a PNG."""
    x0, x1, y0, y1 = toy.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    levels = np.linspace(0.0, 1.0, 11)
    filled = None
    for ax, panel in zip(axes[0], panels):
        filled = ax.contourf(gx, gy, panel.p_real, levels=levels, cmap="RdBu", alpha=0.6)
        ax.contour(gx, gy, panel.p_real, levels=[0.5], colors="black", linewidths=1.0)
        ax.scatter(*toy.train.T, s=3, c="navy", label="training normals")
        gen = panel.generated
        ax.scatter(*gen.T, s=3, c="orange", label="generated")
        ax.scatter(*toy.near.T, s=8, c="magenta", marker="D", label="near anomalies")
        ax.scatter(*toy.far.T, s=14, c="red", marker="x", label="far anomalies")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x: log-normal (heavy-tailed) feature")
        ax.set_title(
            f"{titles.get(panel.label, panel.label)}\nfar-anomaly AUROC {panel.far_auroc:.2f}\n"
            f"P(real) > 0.5 on {100 * panel.share_real:.0f} % of the plane",
            fontsize=9,
        )
    axes[0][0].set_ylabel("y: Gaussian feature")
    axes[0][0].legend(loc="lower right", fontsize=7, markerscale=2)
    fig.colorbar(filled, ax=list(axes[0]), label="D: P(real)", shrink=0.9)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
