"""Perf case: AnoGAN's batched latent search against a row-by-row loop."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

from benchmark.perf import Figure, perf_case


def _timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@perf_case(
    "anogan-search",
    "AnoGAN scoring of the same held-out rows: one batched latent search vs a Python loop "
    "over rows (one Adam per row), same seed and steps",
)
def _anogan_search(args: argparse.Namespace) -> list[Figure]:
    from benchmark.evaluation.preprocessing import Preprocessor
    from benchmark.registry import get_dataset, get_detector

    ds = get_dataset(args.dataset).load()
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(ds.y == 0))
    anomalies = np.flatnonzero(ds.y == 1)[: args.rows // 10]
    n_normal = args.rows - len(anomalies)
    held_out, train = np.r_[normal[:n_normal], anomalies], normal[n_normal:]
    pre = Preprocessor("standard").fit(ds.X[train])
    det = get_detector("anogan").build("quick", random_state=0, device="cpu")
    det.fit(pre.transform(ds.X[train]))
    X = pre.transform(ds.X[held_out])
    fast_s, fast = _timed(lambda: det.set_params(search="batched").decision_function(X))
    ref_s, ref = _timed(lambda: det.set_params(search="rowwise").decision_function(X))
    det.set_params(search="batched")
    return [
        Figure(
            case="anogan-search",
            what=f"{len(X)} held-out {args.dataset} rows, {det.search_steps} search steps, "
            f"torch threads {torch.get_num_threads()}: row loop {ref_s:.2f} s, batched "
            f"{fast_s:.3f} s, max |diff| {float(np.max(np.abs(ref - fast))):.1e}",
            value=ref_s / fast_s,
            unit="x",
            target=20.0,
            details={"reference_s": ref_s, "fast_s": fast_s},
        )
    ]
