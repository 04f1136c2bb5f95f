"""Performance checks: each figure is a ratio of two timings measured in the same run.

``python -m benchmark.perf`` runs every registered case; ``--cases a,b`` picks some.
A case times a reference implementation and the fast one on the same input, checks that
they agree, and reports the speed-up. Absolute seconds depend on the machine and its
load; a ratio from one run on one machine is the comparable figure.

Add a case with::

    @perf_case("name", "what it compares")
    def _my_case(args) -> PerfResult: ...
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["PerfResult", "PERF_CASES", "fold_batching_ratio", "perf_case", "main", "run_cases"]


@dataclass
class PerfResult:
    """Timings of a reference and a fast path on the same work, and how far apart they are."""

    case: str
    what: str
    reference_s: float
    fast_s: float
    max_abs_diff: float
    target: float | None = None

    @property
    def ratio(self) -> float:
        return self.reference_s / self.fast_s if self.fast_s > 0 else float("inf")

    def line(self) -> str:
        target = "" if self.target is None else f"  (target >= {self.target:g}x: "
        if target:
            target += "met)" if self.ratio >= self.target else "NOT met)"
        return (
            f"{self.case}: {self.ratio:.1f}x  reference {self.reference_s:.2f} s, fast "
            f"{self.fast_s:.3f} s, max |diff| {self.max_abs_diff:.2e}{target}\n    {self.what}"
        )


@dataclass(frozen=True)
class _Case:
    name: str
    description: str
    fn: Callable[[argparse.Namespace], PerfResult]


PERF_CASES: dict[str, _Case] = {}


def perf_case(
    name: str, description: str
) -> Callable[[Callable[[argparse.Namespace], PerfResult]], Callable]:
    """Register a perf case under ``name`` (a function of the parsed CLI arguments)."""

    def decorator(fn: Callable[[argparse.Namespace], PerfResult]) -> Callable:
        PERF_CASES[name] = _Case(name, description, fn)
        return fn

    return decorator


def _timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@perf_case(
    "anogan-search",
    "AnoGAN scoring of the same held-out rows: one batched latent search vs a Python loop "
    "over rows (one Adam per row), same seed and steps",
)
def _anogan_search(args: argparse.Namespace) -> PerfResult:
    from benchmark.preprocessing import Preprocessor
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
    return PerfResult(
        case="anogan-search",
        what=f"{len(X)} held-out {args.dataset} rows, {det.search_steps} search steps, "
        f"torch threads {torch.get_num_threads()}",
        reference_s=ref_s,
        fast_s=fast_s,
        max_abs_diff=float(np.max(np.abs(ref - fast))),
        target=20.0,
    )


def fold_batching_ratio(
    detector: str, d: int, steps: int, k: int = 5, rows: int = 300, seed: int = 0
) -> PerfResult:
    """k folds of ``detector`` (quick preset, ``steps`` gradient steps) fitted one by one vs
    together by ``fit_group``, on one thread; the fits include each fold's setup and
    training scores. Rows: synthetic [0, 1] data of width ``d``, ragged by one row a fold."""
    from benchmark.registry import get_detector

    spec = get_detector(detector)
    rng = np.random.default_rng(seed)
    Xs = [rng.random((rows - i, d)) for i in range(k)]

    def build() -> list:
        budget = {"max_steps": steps, "n_epochs": 10**6}
        return [spec.build("quick", device="cpu", random_state=i, **budget) for i in range(k)]

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        build()[0].fit(Xs[0])  # warm-up: first optimiser, allocator
        ref_s, ref = _timed(lambda: [det.fit(X) for det, X in zip(build(), Xs)])
        dets = build()
        fast_s, fast = _timed(lambda: type(dets[0]).fit_group(dets, Xs))
    finally:
        torch.set_num_threads(threads)
    diff = max(
        float(np.max(np.abs(a.decision_scores_ - b.decision_scores_))) for a, b in zip(ref, fast)
    )
    return PerfResult(
        case=f"fold-batching {detector} d={d}",
        what=f"{k} folds of {rows - k + 1}-{rows} rows, {steps} steps each: {k} fits vs one"
        f" fit_group ({k * steps / fast_s:.0f} vs {k * steps / ref_s:.0f} fold-steps/s), 1 thread",
        reference_s=ref_s,
        fast_s=fast_s,
        max_abs_diff=diff,
        target=1.7,
    )


for _detector in ("ocan", "mmoc-gan-cat"):
    for _d in (6, 36, 274):
        perf_case(
            f"fold-batching-{_detector}-d{_d}",
            f"{_detector}, width {_d}: 5 folds fitted together by fit_group vs one by one",
        )(lambda args, det=_detector, d=_d: fold_batching_ratio(det, d, args.fold_steps))


def run_cases(names: list[str], args: argparse.Namespace) -> list[PerfResult]:
    """Run the named cases in order and return their results."""
    unknown = [n for n in names if n not in PERF_CASES]
    if unknown:
        raise SystemExit(f"unknown perf case(s) {unknown}; known: {sorted(PERF_CASES)}")
    return [PERF_CASES[n].fn(args) for n in names]


def main(argv: list[str] | None = None) -> int:
    """Command line: run the selected perf cases and print one ratio per case."""
    parser = argparse.ArgumentParser(prog="python -m benchmark.perf", description=__doc__)
    parser.add_argument("--cases", default="all", help="comma-separated case names or 'all'")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--rows", type=int, default=1000, help="held-out rows to score")
    parser.add_argument("--dataset", default="thyroid", help="data set of the AnoGAN case")
    parser.add_argument(
        "--fold-steps", type=int, default=100, help="gradient steps of the fold-batching cases"
    )
    args = parser.parse_args(argv)
    if args.list:
        for case in PERF_CASES.values():
            print(f"{case.name}: {case.description}")
        return 0
    torch.set_num_threads(args.threads)
    names = list(PERF_CASES) if args.cases == "all" else [c.strip() for c in args.cases.split(",")]
    for result in run_cases(names, args):
        print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
