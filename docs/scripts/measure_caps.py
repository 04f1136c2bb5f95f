"""Time the super-linear detectors at several training sizes, one thread, d = 118.

``PYTHONPATH=. python docs/scripts/measure_caps.py knn 10000 20000 40000`` (or ``gmm``,
``ocsvm``): the numbers behind the training caps in docs/design.md, "Large data".
"""

from __future__ import annotations

import os
import resource
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from benchmark.data.synthetic import gaussian_modes  # noqa: E402


def fit_and_score(which: str, train, test) -> tuple[float, float]:
    """Seconds to fit ``which`` on ``train`` and to score ``test``."""
    t0 = time.perf_counter()
    if which == "knn":
        from pyod.models.knn import KNN

        model = KNN(n_neighbors=5, method="mean").fit(train)
    elif which == "gmm":
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(5, covariance_type="full", max_iter=100, random_state=0)
        model.fit(train)
    else:
        from sklearn.svm import OneClassSVM

        model = OneClassSVM(nu=0.5, gamma="auto").fit(train)
    t1 = time.perf_counter()
    getattr(model, "score_samples" if which == "gmm" else "decision_function")(test)
    return t1 - t0, time.perf_counter() - t1


def main(argv: list[str]) -> None:
    """Print fit and 10k-row scoring seconds, and peak RSS, per training size."""
    threadpool_limits(1)
    ds = gaussian_modes(130_000, 118)
    X = StandardScaler().fit_transform(ds.X)
    normals, test = X[ds.y == 0], X[:10_000]
    for n in map(int, argv[1:]):
        fit, score = fit_and_score(argv[0], normals[:n], test)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{argv[0]} {n}: fit {fit:.1f} s, score 10k {score:.2f} s, peak {peak:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
