"""Perf cases of fold batching: k folds of a GAN detector fitted together vs one by one."""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmark.perf import Figure, perf_case

__all__ = ["fold_batching_ratio"]


def _lone_vs_group(build, Xs: list[np.ndarray]) -> tuple[float, float, list, float]:
    """Seconds of fitting ``build()``'s detectors one by one and by one ``fit_group`` (one
    thread, after a warm-up fit), the grouped detectors, and the largest score difference."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        build()[0].fit(Xs[0])  # warm-up: first optimiser, allocator
        start = time.perf_counter()
        ref = [det.fit(X) for det, X in zip(build(), Xs)]
        ref_s = time.perf_counter() - start
        dets = build()
        start = time.perf_counter()
        fast = type(dets[0]).fit_group(dets, Xs)
        fast_s = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    diff = max(
        float(np.max(np.abs(a.decision_scores_ - b.decision_scores_))) for a, b in zip(ref, fast)
    )
    return ref_s, fast_s, fast, diff


def fold_batching_ratio(
    detector: str, d: int, steps: int, k: int = 5, rows: int = 300, seed: int = 0
) -> Figure:
    """k folds of ``detector`` (quick preset, ``steps`` gradient steps) fitted one by one vs
    together by ``fit_group``, on one thread; the fits include each fold's setup and
    training scores. Rows: synthetic [0, 1] data of width ``d``, ``rows`` for the first
    folds and one fewer for the last two, as the k-fold training sets of one data set
    differ by at most a row (the regular GANs keep an epoch's last, short batch, and folds
    whose batches differ in rows step apart)."""
    from benchmark.registry import get_detector

    spec = get_detector(detector)
    rng = np.random.default_rng(seed)
    Xs = [rng.random((rows - (i >= k - 2), d)) for i in range(k)]

    def build() -> list:
        budget = {"max_steps": steps, "n_epochs": 10**6} | _EXTRA.get(detector, {})
        return [spec.build("quick", device="cpu", random_state=i, **budget) for i in range(k)]

    ref_s, fast_s, fast, diff = _lone_vs_group(build, Xs)
    return Figure(
        case=f"fold-batching-{detector}-d{d}",
        what=f"{k} folds of {rows - 1}-{rows} rows, {steps} steps each: {k} fits"
        f" {ref_s:.2f} s vs one fit_group {fast_s:.2f} s ({k * steps / fast_s:.0f} vs"
        f" {k * steps / ref_s:.0f} fold-steps/s), 1 thread, max |diff| {diff:.1e}",
        value=ref_s / fast_s,
        unit="x",
        target=1.7,
        details={"separate_s": ref_s, "grouped_s": fast_s, "max_abs_diff": diff},
    )


#: AnoGAN's fit also scores up to 2000 training rows by its latent search, fold by fold;
#: without search steps the figure is about its GAN, the part fit_group batches.
_EXTRA = {"anogan": {"search_steps": 0}}

for _detector in ("ocan", "mmoc-gan-cat", "rgan", "anogan"):
    for _d in (6, 36, 274):
        perf_case(
            f"fold-batching-{_detector}-d{_d}",
            f"{_detector}, width {_d}: 5 folds fitted together by fit_group vs one by one",
        )(lambda args, det=_detector, d=_d: [fold_batching_ratio(det, d, args.fold_steps)])


#: DAGMM's cases: (training rows of one fold, the bundled set it stands for) by width. The
#: rows are a kfold-normal training fold's (4/5 of the normals): thyroid 3,679 normals,
#: satellite 4,399, arrhythmia 386.
_DAGMM_ROWS = {6: (2943, "thyroid"), 36: (3519, "satellite"), 274: (309, "arrhythmia")}


def dagmm_fold_batching_ratio(d: int, steps: int, k: int = 5, seed: int = 0) -> Figure:
    """k folds of DAGMM at the paper preset (the architecture and batch of width ``d``,
    ``steps`` gradient steps each) fitted one by one vs together by ``fit_group``, on one
    thread; synthetic [0, 1] rows as many as a training fold of the bundled set of that
    width, one fewer for the last two folds. The fits include each fold's GMM over all its
    training rows and its training scores."""
    from benchmark.registry import get_detector
    from detectors.dagmm import ARCHITECTURES

    spec = get_detector("dagmm")
    rows, like = _DAGMM_ROWS[d]
    rng = np.random.default_rng(seed)
    Xs = [rng.random((rows - (i >= k - 2), d)) for i in range(k)]

    def build() -> list:
        budget = {"max_steps": steps, "n_epochs": 10**6}
        return [spec.build("paper", device="cpu", random_state=i, **budget) for i in range(k)]

    ref_s, fast_s, fast, diff = _lone_vs_group(build, Xs)
    batch = ARCHITECTURES[fast[0].architecture_]["batch_size"]
    return Figure(
        case=f"fold-batching-dagmm-d{d}",
        what=f"{k} folds of {rows - 1}-{rows} rows ({like}-sized), paper preset"
        f" ({fast[0].architecture_} network, batch {batch}), {steps} steps each: {k} fits"
        f" {ref_s:.2f} s vs one fit_group {fast_s:.2f} s ({k * steps / fast_s:.0f} vs"
        f" {k * steps / ref_s:.0f} fold-steps/s), 1 thread, max |diff| {diff:.1e}",
        value=ref_s / fast_s,
        unit="x",
        target=1.7,
        details={"separate_s": ref_s, "grouped_s": fast_s, "max_abs_diff": diff},
    )


for _d in _DAGMM_ROWS:
    perf_case(
        f"fold-batching-dagmm-d{_d}",
        f"dagmm, width {_d}: 5 folds fitted together by fit_group vs one by one (paper preset)",
    )(lambda args, d=_d: [dagmm_fold_batching_ratio(d, args.fold_steps)])
