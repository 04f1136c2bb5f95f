"""``production-line``: a synthetic stand-in for the paper's (private) production-line data.

The paper's data had 3936 normal and 22 anomalous products whose normal class falls into
several modes. This generator draws ``n_modes`` (default 6) well-separated anisotropic
Gaussian modes in ``d`` = 10 dimensions with unequal weights, and places each anomaly
*just outside* one mode: at a Mahalanobis distance of 1.0-1.25 times that mode's 99.9 %
radius. Anomalies are therefore close to normal rows yet outside every mode, the setting
MMOC-GAN was designed for. The same seed always gives the same array.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import chi2

from benchmark.data.dataset import Dataset

__all__ = ["production_line", "gaussian_modes", "write_csv"]


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


def gaussian_modes(
    n: int = 500_000,
    d: int = 118,
    anomaly_rate: float = 0.2,
    n_modes: int = 4,
    seed: int = 0,
) -> Dataset:
    """A large synthetic set for scale tests: ``n_modes`` Gaussian modes of normals in ``d``
    dimensions, and ``anomaly_rate`` of rows drawn from a wider Gaussian around them all.

    Sized like KDD-Cup-99 (494,021 x 118, 20 % anomalies) by default; generated in blocks
    of float32 noise so making 500k rows never holds more than the result.
    """
    if n < 10 or d < 2 or n_modes < 1 or not 0 <= anomaly_rate < 1:
        raise ValueError("gaussian_modes needs n >= 10, d >= 2, n_modes >= 1, 0 <= rate < 1")
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_modes, d))
    scales = rng.uniform(0.5, 1.5, size=(n_modes, d))
    y = (rng.random(n) < anomaly_rate).astype(np.int8)
    mode = rng.integers(n_modes, size=n)
    X = np.empty((n, d))
    for start in range(0, n, 65_536):
        sl = slice(start, min(start + 65_536, n))
        noise = rng.standard_normal((sl.stop - start, d), dtype=np.float32)
        wide = np.where(y[sl, None] == 1, 3.0, 1.0)  # anomalies: 3x the spread of their mode
        X[sl] = centres[mode[sl]] + noise * scales[mode[sl]] * wide
    return Dataset(
        name="gaussian-modes",
        X=X,
        y=y,
        source=f"synthetic: benchmark.data.synthetic.gaussian_modes(n={n}, d={d}, seed={seed})",
    )


def write_csv(ds: Dataset, path: Path, label_column: str = "y") -> Path:
    """Write ``ds`` as a CSV that ``--data-file PATH`` reads (features f0.., then labels)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join([f"f{j}" for j in range(ds.X.shape[1])] + [label_column])
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for start in range(0, len(ds.y), 50_000):
            block = np.column_stack([ds.X[start : start + 50_000], ds.y[start : start + 50_000]])
            np.savetxt(fh, block, delimiter=",", fmt=["%.6g"] * ds.X.shape[1] + ["%d"])
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmark.data.make_large OUT.csv [--rows N] [--features D]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m benchmark.data.make_large",
        description=gaussian_modes.__doc__.split("\n")[0],
    )
    parser.add_argument("out", type=Path, help="CSV to write (use it with --data-file)")
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--features", type=int, default=118)
    parser.add_argument("--anomaly-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ds = gaussian_modes(args.rows, args.features, args.anomaly_rate, seed=args.seed)
    print(write_csv(ds, args.out))
    return 0
