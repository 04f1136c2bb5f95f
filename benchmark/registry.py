"""Registries of detectors and data sets, open to third-party packages.

Add a detector in your own code with the decorator::

    from benchmark.registry import register_detector

    @register_detector("my-detector", presets={"quick": {"n_epochs": 5}})
    class MyDetector(Detector): ...

or from an installed package, without importing it yourself, through the entry-point
groups ``mmoc_bench.detectors`` and ``mmoc_bench.datasets`` (the entry point names a
module, or an object, whose import registers what it defines).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

__all__ = [
    "DetectorSpec",
    "DatasetSpec",
    "UnknownNameError",
    "register_detector",
    "register_dataset",
    "detectors",
    "datasets",
    "get_detector",
    "get_dataset",
    "resolve_names",
    "load_plugins",
    "NotInstalledError",
]

DETECTOR_GROUP = "mmoc_bench.detectors"
DATASET_GROUP = "mmoc_bench.datasets"


class UnknownNameError(KeyError):
    """A detector or data set name that nothing registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class DetectorSpec:
    """A registered detector: its class, per-preset parameters and a one-line summary."""

    name: str
    cls: type
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: str = ""
    hidden: bool = False  # test doubles: usable by name, left out of "all" and --list

    def params(self, preset: str) -> dict[str, Any]:
        """Constructor parameters for ``preset`` (an unknown preset means defaults)."""
        return dict(self.presets.get(preset, {}))

    def build(self, preset: str = "paper", **overrides: Any):
        """A fresh, unfitted detector for ``preset`` with ``overrides`` applied."""
        return self.cls(**{**self.params(preset), **overrides})


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set: a loader plus the facts ``--list`` shows without loading."""

    name: str
    loader: Callable[[], Any]
    n: int | None = None
    d: int | None = None
    n_anomalies: int | None = None
    source: str = ""
    bundled: bool = True

    @property
    def anomaly_pct(self) -> float | None:
        if self.n and self.n_anomalies is not None:
            return 100.0 * self.n_anomalies / self.n
        return None

    def load(self):
        """Load the data set (a :class:`benchmark.data.Dataset`)."""
        return self.loader()


_DETECTORS: dict[str, DetectorSpec] = {}
_DATASETS: dict[str, DatasetSpec] = {}
_PLUGINS_LOADED = False


def register_detector(
    name: str,
    *,
    presets: dict[str, dict[str, Any]] | None = None,
    summary: str = "",
    hidden: bool = False,
) -> Callable[[type], type]:
    """Class decorator: register a :class:`benchmark.base.Detector` under ``name``.

    ``hidden=True`` is for test doubles (e.g. a detector that always fails): it can be
    run by name but is not part of ``--detectors all``, ``--list`` or the smoke check.
    """

    def decorator(cls: type) -> type:
        existing = _DETECTORS.get(name)
        if existing is not None and existing.cls is not cls:
            if f"{existing.cls.__module__}.{existing.cls.__qualname__}" != (
                f"{cls.__module__}.{cls.__qualname__}"
            ):
                raise ValueError(f"detector name {name!r} is already registered by {existing.cls}")
        doc = (cls.__doc__ or "").strip().splitlines()
        _DETECTORS[name] = DetectorSpec(
            name=name,
            cls=cls,
            presets=dict(presets or {}),
            summary=summary or (doc[0] if doc else ""),
            hidden=hidden,
        )
        cls.registry_name = name
        return cls

    return decorator


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    """Register a data set (bundled, synthetic or from a plugin)."""
    _DATASETS[spec.name] = spec
    return spec


#: The distribution whose own entry points provide the built-in detectors and data sets.
_SELF = "mmoc-bench"


class NotInstalledError(RuntimeError):
    """The suite's own entry points are missing: it was not installed (``pip install -e .``)."""


def load_plugins() -> None:
    """Import every entry-point plugin once: the built-ins (this distribution's) and others.

    The built-in detectors and data sets are plugins like any other, declared in
    ``pyproject.toml``; that is what keeps this module on the ground floor. A broken
    third-party plugin is skipped with a warning; a broken built-in raises.
    """
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    own = 0
    for group in (DETECTOR_GROUP, DATASET_GROUP):
        for ep in entry_points(group=group):
            builtin = ep.dist is not None and ep.dist.name == _SELF
            own += builtin
            try:
                ep.load()
            except Exception as exc:  # a broken plugin must not break the suite
                if builtin:
                    raise
                warnings.warn(
                    f"plugin {ep.name!r} ({ep.value}) in {group} failed to load and is skipped:"
                    f" {type(exc).__name__}: {exc}",
                    stacklevel=2,
                )
    if own == 0:
        raise NotInstalledError(
            "no built-in detectors or data sets are registered: the suite is not installed;"
            " run `make test` or `pip install -e .` in its folder"
        )
    _PLUGINS_LOADED = True


def detectors(include_hidden: bool = False) -> dict[str, DetectorSpec]:
    """Every registered detector, by name (test doubles only with ``include_hidden``)."""
    load_plugins()
    return {k: v for k, v in _DETECTORS.items() if include_hidden or not v.hidden}


def datasets() -> dict[str, DatasetSpec]:
    """Every registered data set, by name."""
    load_plugins()
    return dict(_DATASETS)


def _unknown(kind: str, name: str, known: list[str]) -> UnknownNameError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(known))})")


def get_detector(name: str) -> DetectorSpec:
    """The registered detector ``name``; an unknown name suggests the closest ones."""
    known = detectors(include_hidden=True)
    if name not in known:
        raise _unknown("detector", name, list(detectors()))
    return known[name]


def get_dataset(name: str) -> DatasetSpec:
    """The registered data set ``name``; an unknown name suggests the closest ones."""
    known = datasets()
    if name not in known:
        raise _unknown("data set", name, list(known))
    return known[name]


def resolve_names(kind: str, text: str, known: list[str], all_names: list[str]) -> list[str]:
    """Turn ``"all"`` or ``"a,b"`` into a checked list of names."""
    if text.strip() == "all":
        return list(all_names)
    names = [t.strip() for t in text.split(",")]
    if not any(names):
        raise UnknownNameError(f"no {kind} named in {text!r}")
    if not all(names):
        raise UnknownNameError(
            f"empty {kind} name in {text!r} (a doubled, leading or trailing comma?)"
        )
    for name in names:
        if name not in known:
            raise _unknown(kind, name, all_names)
    return names
