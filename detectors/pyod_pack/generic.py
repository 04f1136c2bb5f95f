"""Any PyOD detector by class name: ``--detectors pyod:KDE`` or ``pyod:KNN(n_neighbors=10)``.

The registered (hidden) detector ``pyod`` takes the class name and its arguments as two
parameters, so both are part of every cell's identity: results of different classes or
arguments never mix. :func:`check_pyod` validates them before any cell runs.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.registry import register_detector
from detectors.pyod_pack.wrapper import PyODWrapper, numpy_seed, pyod_arguments

__all__ = ["PyODAny", "pyod_classes", "find_pyod_class", "check_pyod"]

#: Arguments the suite sets itself: the seed and device of the cell, the row count.
MANAGED = ("random_state", "device", "n_features")


@functools.cache
def pyod_classes() -> dict[str, str]:
    """Every detector class of ``pyod.models`` by name, with its module (found by reading
    the sources, so no optional dependency is imported before one is chosen)."""
    import pyod.models

    found: dict[str, str] = {}
    pattern = re.compile(r"^class ([A-Z]\w*)\((\w*(?:Detector|BaseDeepLearningDetector)\w*)\)")
    for path in sorted(Path(pyod.models.__path__[0]).glob("*.py")):
        if path.stem.startswith("_") or path.stem in ("base", "base_dl"):
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = pattern.match(line)
            if match and not match.group(1).startswith("Base"):
                found.setdefault(match.group(1), f"pyod.models.{path.stem}")
    return found


def find_pyod_class(name: str) -> type:
    """The PyOD detector class ``name``; a one-line error for an unknown or unusable one."""
    from pyod.models.base import BaseDetector

    known = pyod_classes()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"pyod:{name}: no PyOD detector class {name!r}{hint}")
    try:
        cls = getattr(importlib.import_module(known[name]), name)
    except ImportError as exc:
        raise ValueError(
            f"pyod:{name}: its module {known[name]} cannot be imported: {exc}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, BaseDetector)):
        raise ValueError(f"pyod:{name}: {known[name]}.{name} is not a PyOD detector")
    return cls


def _kind(value: Any) -> str:
    """The kind of an argument value that the type check compares: bool, number, text..."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "sequence" if isinstance(value, list | tuple) else "other"


#: The kinds of value an argument takes, by the kind of its default (a text default such
#: as ``max_samples="auto"`` usually takes a number too; a None default takes anything).
ALLOWED = {
    "bool": {"bool"},
    "number": {"number"},
    "text": {"text", "number"},
    "sequence": {"sequence"},
}


def _type_error(name: str, key: str, value: Any, default: Any) -> str | None:
    """Why ``value`` cannot stand for an argument whose default is ``default`` (None: it can)."""
    if default is None or default is inspect.Parameter.empty or value is None:
        return None
    allowed = ALLOWED.get(_kind(default))
    if allowed is None or _kind(value) in allowed:
        return None
    return (
        f"pyod:{name}: {key}={value!r} is a {type(value).__name__}, but {key} takes a"
        f" {' or '.join(sorted(allowed))} value (default {default!r})"
    )


def check_pyod(name: str, params: dict[str, Any]) -> type:
    """The PyOD class ``name`` after checking ``params`` against its constructor: a
    one-line ``ValueError`` for an unknown class, an unknown argument, a value of the wrong
    type, or arguments its constructor rejects."""
    cls = find_pyod_class(name)
    accepted = pyod_arguments(cls)
    for key, value in params.items():
        if key in MANAGED:
            raise ValueError(f"pyod:{name}: {key} is set by the suite for every cell")
        if key not in accepted:
            close = difflib.get_close_matches(key, list(accepted), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(
                f"pyod:{name}: {key!r} is not an argument of {name}{hint}; its arguments:"
                f" {', '.join(k for k in accepted if k not in MANAGED)}"
            )
        error = _type_error(name, key, value, accepted[key].default)
        if error:
            raise ValueError(error)
    try:
        _build(cls, params, n_features=2, random_state=0, device="cpu")
    except Exception as exc:  # the constructor's own checks, in one line
        text = str(exc).strip().splitlines()
        raise ValueError(f"pyod:{name}: {type(exc).__name__}: {text[0] if text else ''}") from None
    return cls


def _build(cls: type, params: dict[str, Any], **managed: Any) -> Any:
    """An unfitted ``cls``: ``params``, then the managed arguments the class takes, quiet."""
    accepted = pyod_arguments(cls)
    kwargs = dict(params)
    kwargs |= {k: v for k, v in managed.items() if k in accepted}
    if "verbose" in accepted and "verbose" not in params:
        kwargs["verbose"] = 0
    return cls(**kwargs)


@register_detector(
    "pyod",
    hidden=True,
    presets={"quick": {}, "paper": {}, "smoke": {}},
    summary="any PyOD detector: --detectors 'pyod:Class' or 'pyod:Class(arg=value,...)'",
)
class PyODAny(PyODWrapper):
    """The PyOD class ``estimator`` built with ``estimator_params`` (PyOD's defaults for
    the rest); seeded and placed on ``device`` where the class takes those arguments."""

    neural = True  # may be torch-based: the harness then gives it the GPU --device names

    def __init__(
        self,
        estimator: str = "KNN",
        estimator_params: dict[str, Any] | None = None,
        random_state: int | None = None,
        device: str = "cpu",
    ):
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.random_state = random_state
        self.device = device

    @classmethod
    def check_estimator(cls, estimator: str, params: dict[str, Any]) -> None:
        """A one-line ``ValueError`` unless ``estimator`` with ``params`` can be built
        (the command line asks before any cell runs; see :func:`check_pyod`)."""
        check_pyod(estimator, params)

    def _make_model(self, X: np.ndarray) -> Any:
        cls = find_pyod_class(self.estimator)
        device = self.device
        if "device" in pyod_arguments(cls):
            from detectors.neural import resolve_device

            device = str(resolve_device(self.device))
        params = dict(self.estimator_params or {})
        return _build(
            cls, params, n_features=X.shape[1], random_state=self.random_state, device=device
        )

    def _fit(self, X: np.ndarray) -> None:
        import torch

        with torch.random.fork_rng(devices=[]), numpy_seed(self.random_state):
            self.model_ = self._make_model(X)
            self.model_.fit(X)
        self.decision_scores_ = np.asarray(self.model_.decision_scores_, dtype=np.float64)
