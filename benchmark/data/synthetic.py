"""``production-line``: a synthetic stand-in for the paper's (private) production-line data.

The paper's data had 3936 normal and 22 anomalous products whose normal class falls into
several modes. This generator draws ``n_modes`` (default 6) well-separated anisotropic
Gaussian modes in ``d`` = 10 dimensions with unequal weights, and places each anomaly
*just outside* one mode: at a Mahalanobis distance of 1.0-1.25 times that mode's 99.9 %
radius. Anomalies are therefore close to normal rows yet outside every mode, the setting
MMOC-GAN was designed for. The same seed always gives the same array.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from benchmark.data.dataset import Dataset

__all__ = ["production_line"]


def production_line(
    n_normal: int = 3936,
    n_anomalies: int = 22,
    n_modes: int = 6,
    d: int = 10,
    seed: int = 0,
) -> Dataset:
    """Generate the production-line data set (see the module docstring)."""
    if n_modes < 1 or d < 2 or n_normal < n_modes:
        raise ValueError("production_line needs n_modes >= 1, d >= 2 and n_normal >= n_modes")
    rng = np.random.default_rng(seed)
    # Mode centres at least 12 units apart; each mode has per-axis scales in [0.5, 1.5]
    # and a random rotation, so the modes differ in size and shape.
    centres = np.empty((n_modes, d))
    for k in range(n_modes):
        while True:
            c = rng.uniform(-12, 12, size=d)
            if k == 0 or np.min(np.linalg.norm(centres[:k] - c, axis=1)) >= 12:
                centres[k] = c
                break
    transforms = []
    for _ in range(n_modes):
        q, _r = np.linalg.qr(rng.normal(size=(d, d)))
        transforms.append(q * rng.uniform(0.5, 1.5, size=d))  # x = c + A z, z ~ N(0, I)
    weights = rng.dirichlet(np.full(n_modes, 4.0))
    counts = rng.multinomial(n_normal - n_modes, weights) + 1
    normals = [
        centres[k] + rng.normal(size=(counts[k], d)) @ transforms[k].T for k in range(n_modes)
    ]
    radius = np.sqrt(chi2.ppf(0.999, d))
    anomalies = []
    for _ in range(n_anomalies):
        k = rng.integers(n_modes)
        direction = rng.normal(size=d)
        direction /= np.linalg.norm(direction)
        z = direction * radius * rng.uniform(1.0, 1.25)
        anomalies.append(centres[k] + transforms[k] @ z)
    X = np.vstack(normals + ([np.array(anomalies)] if anomalies else []))
    y = np.r_[np.zeros(n_normal, dtype=np.int8), np.ones(n_anomalies, dtype=np.int8)]
    order = rng.permutation(len(y))
    modes = np.r_[np.repeat(np.arange(n_modes), counts), np.full(n_anomalies, -1)]
    ds = Dataset(
        name="production-line",
        X=X[order],
        y=y[order],
        source=f"synthetic: benchmark.data.synthetic.production_line(seed={seed})",
    )
    ds.modes = modes[order]  # true mode of each normal row (-1 for anomalies), for figures
    return ds
