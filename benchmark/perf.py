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

__all__ = ["PerfResult", "PERF_CASES", "perf_case", "main", "run_cases"]


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
