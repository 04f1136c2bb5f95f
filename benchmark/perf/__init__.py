"""The performance benchmark: ``python -m benchmark.perf`` (see ``__main__``).

Each case measures one figure in one run on this machine (a speed-up is a ratio of two
timings taken side by side; an overhead or a memory peak is measured directly) and
states its target, so a line says whether the target is met. Absolute seconds depend on
the machine and its load; ratios from one run are the comparable figures. The figures
are printed and written to ``results/perf.json`` with the machine and versions.

Add a case with::

    @perf_case("name", "what it measures")
    def _my_case(args) -> list[Figure]: ...
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Figure", "PERF_CASES", "perf_case", "run_cases"]


@dataclass
class Figure:
    """One measured figure, its target and the raw measurements behind it."""

    case: str
    what: str
    value: float
    unit: str  # "x" (a speed-up), "ms/cell", "MB", "cells/min"
    target: float | None = None
    higher_is_better: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None: no target, or the figure could not be measured)."""
        if self.target is None or not math.isfinite(self.value):
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def line(self) -> str:
        """``case: value unit (target >= t: met)`` and what was measured, on two lines."""
        value = f"{self.value:.1f}" if self.unit != "x" else f"{self.value:.2f}"
        text = f"{self.case}: {value} {self.unit}"
        if self.target is not None:
            sign = ">=" if self.higher_is_better else "<="
            verdict = {True: "met", False: "NOT met", None: "not measured"}[self.met]
            text += f"  (target {sign} {self.target:g} {self.unit}: {verdict})"
        return f"{text}\n    {self.what}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"met": self.met}


@dataclass(frozen=True)
class _Case:
    name: str
    description: str
    fn: Callable[[argparse.Namespace], list[Figure]]


PERF_CASES: dict[str, _Case] = {}


def perf_case(name: str, description: str) -> Callable[[Callable], Callable]:
    """Register a perf case under ``name``: a function of the CLI arguments -> figures."""

    def decorator(fn: Callable[[argparse.Namespace], list[Figure]]) -> Callable:
        PERF_CASES[name] = _Case(name, description, fn)
        return fn

    return decorator


def run_cases(
    names: list[str], args: argparse.Namespace, on_figure: Callable[[Figure], None] | None = None
) -> list[Figure]:
    """Run the named cases in order; ``on_figure`` sees each figure as it is measured."""
    unknown = [n for n in names if n not in PERF_CASES]
    if unknown:
        raise SystemExit(f"unknown perf case(s) {unknown}; known: {sorted(PERF_CASES)}")
    figures: list[Figure] = []
    for name in names:
        for figure in PERF_CASES[name].fn(args):
            figures.append(figure)
            if on_figure is not None:
                on_figure(figure)
    return figures
