"""Registries of detectors and data sets, open to third-party packages.

Add a detector in your own code with the decorator::

    from benchmark.registry import register_detector

    @register_detector(
        "my-detector",
        presets={"quick": {"n_epochs": 5}, "paper": {}, "smoke": {"n_epochs": 1}},
    )
    class MyDetector(Detector): ...

Every detector declares each preset of :data:`PRESETS` (an empty dict: class defaults),
and every key must be one of its parameters; both are checked when it is registered.

or from an installed package, without importing it yourself, through the entry-point
groups ``mmoc_bench.detectors`` and ``mmoc_bench.datasets`` (the entry point names a
module, or an object, whose import registers what it defines).

The presets and the checks of declared parameters and names are in
:mod:`benchmark.registry_checks`; the public ones are re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from benchmark.registry_checks import (
    DEFAULT_PRESET,
    PRESETS,
    RUNTIME_PARAMS,
    UnknownNameError,
    check_param_names,
    check_preset,
    checked_caps,
    checked_presets,
    param_names,
    resolve_names,
    unknown_name,
)

__all__ = [
    "PRESETS",
    "DEFAULT_PRESET",
    "check_preset",
    "CostModel",
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
    "GROUPS",
    "PAPER_DETECTORS",
    "detector_groups",
    "load_plugins",
    "NotInstalledError",
]

DETECTOR_GROUP = "mmoc_bench.detectors"
DATASET_GROUP = "mmoc_bench.datasets"


#: Detector groups with a description (``--detectors paper``, ``--list``). A detector
#: joins one with ``register_detector(..., group=...)``; a plugin may name a new group.
GROUPS: dict[str, str] = {
    "paper": "the seed paper's ten methods, both MMOC-GAN variants",
    "extended": "the baseline pack: modern PyOD baselines (docs/methods/pyod-pack.md)",
}

#: The built-in members of group ``paper``, named here so their modules need no edit;
#: a detector registered under one of these names without a ``group`` joins ``paper``.
PAPER_DETECTORS = frozenset(
    {"anogan", "dagmm", "gmm", "mmoc-gan-cat", "mmoc-gan-mix", "ocan", "ocnn-neighbor"}
    | {"ocnn-network", "ocsvm", "rda", "rgan"}
)


@dataclass(frozen=True)
class CostModel:
    """How a detector's CPU time grows with a cell's size, declared where it registers.

    ``terms(params, n_train, n_test, d, budget)`` returns counts of the work the method
    does (``budget`` = (gradient steps, rows per step) for a ``neural`` model, else (0, 0));
    the expected seconds are their sum weighted by coefficients measured on a machine
    (``python -m benchmark.engine.cost_calibration``). ``batched_terms`` are the training
    steps' terms, the part fold batching speeds up. A detector without a model is
    estimated at the run's median cell.
    """

    formula: str  # shown by ``--list --verbose``
    terms: Callable[..., list[float]]
    neural: bool = False
    batched_terms: tuple[int, ...] = ()


@dataclass(frozen=True)
class DetectorSpec:
    """A registered detector: its class, per-preset parameters and a one-line summary.

    The presets are checked on creation (see :func:`register_detector`), so a spec always
    has exactly :data:`PRESETS`, each naming only real parameters of ``cls``.
    """

    name: str
    cls: type
    presets: Mapping[str, Mapping[str, Any]] | None = None
    summary: str = ""
    hidden: bool = False  # test doubles: usable by name, left out of "all" and --list
    #: Training rows the harness fits on at most, per preset (None: all rows); see cap().
    train_cap: Mapping[str, int | None] | int | None = None
    cost: CostModel | None = None  # how its time grows (None: the run's median cell)
    #: The detector group it belongs to (``--detectors paper``); None: only ``all``.
    group: str | None = None

    def __post_init__(self) -> None:
        checked = checked_presets(self.name, self.cls, self.presets, self.hidden)
        object.__setattr__(self, "presets", checked)
        object.__setattr__(self, "train_cap", checked_caps(self.name, self.train_cap))
        if self.group is None and self.name in PAPER_DETECTORS and not self.hidden:
            object.__setattr__(self, "group", "paper")
        _check_group(self.name, self.group)

    def cap(self, preset: str = DEFAULT_PRESET) -> int | None:
        """The most training rows a cell of ``preset`` fits on (None: every row).

        A fold with more training rows is fitted on a seeded subsample of this many
        (the harness applies it and records it in the cell's result).
        """
        return self.train_cap[check_preset(preset)]  # type: ignore[index]

    @property
    def param_names(self) -> tuple[str, ...]:
        """Every parameter the detector's class accepts (scikit-learn's ``get_params``)."""
        return param_names(self.cls)

    def params(self, preset: str = DEFAULT_PRESET) -> dict[str, Any]:
        """The parameters ``preset`` declares (a copy); an unknown preset is an error."""
        return dict(self.presets[check_preset(preset)])

    def runtime_params(self, seed: int | None, device: str) -> dict[str, Any]:
        """``random_state`` and ``device`` for a cell, each only if the class has it."""
        values = {"random_state": seed, "device": device}
        return {k: values[k] for k in RUNTIME_PARAMS if k in self.param_names}

    def check_params(self, params: Mapping[str, Any], what: str = "") -> None:
        """Raise a one-line error, starting with ``what``, for a key the class lacks."""
        check_param_names(self.cls, params, what or f"detector {self.name!r}")

    def build(self, preset: str = DEFAULT_PRESET, **overrides: Any) -> Any:
        """A fresh, unfitted detector: ``preset``'s parameters, then ``overrides``.

        Built with ``set_params``, which rejects a name that is not a parameter.
        """
        return self.cls().set_params(**(self.params(preset) | overrides))


def _check_group(name: str, group: str | None) -> None:
    """A one-line error for a group name that cannot be told apart from a detector's."""
    if group is None:
        return
    if not isinstance(group, str) or not group or group == "all" or ":" in group:
        raise ValueError(f"detector {name!r}: group must be a non-empty name, not {group!r}")
    if group in _DETECTORS or group == name:
        raise ValueError(f"detector {name!r}: group {group!r} is also a detector's name")


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
    presets: Mapping[str, Mapping[str, Any]] | None = None,
    summary: str = "",
    hidden: bool = False,
    train_cap: Mapping[str, int | None] | int | None = None,
    cost: CostModel | None = None,
    group: str | None = None,
) -> Callable[[type], type]:
    """Class decorator: register a :class:`benchmark.base.Detector` under ``name``.

    ``presets`` maps each name of :data:`PRESETS` to constructor parameters (``{}``:
    class defaults); a missing or unknown preset, or a key that is not a parameter of the
    class, is an error here rather than a silently different run later.

    ``hidden=True`` is for test doubles (e.g. a detector that always fails): it can be
    run by name but is not part of ``--detectors all``, ``--list`` or the smoke check.
    A hidden detector may omit ``presets``: every preset then means class defaults.

    ``train_cap`` (one number, or one per preset) is the most training rows a cell fits
    on: for methods whose cost grows faster than linearly with them. The harness fits a
    larger fold on a seeded subsample of that many rows and records it in the result.

    ``cost`` (a :class:`CostModel`) lets ``--dry-run``, the progress bar and the
    scheduler estimate its cells; without one a cell counts as the run's median cell.

    ``group`` puts it in a detector group (``"extended"``, or a new name), run with
    ``--detectors GROUP``; every detector that is not hidden is also in ``all``.
    """

    def decorator(cls: type) -> type:
        if name in {"all", *GROUPS, *(s.group for s in _DETECTORS.values())}:
            raise ValueError(f"detector name {name!r} is already a detector group's name")
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
            presets=presets,
            summary=summary or (doc[0] if doc else ""),
            hidden=hidden,
            train_cap=train_cap,
            cost=cost,
            group=group,
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


def detector_groups() -> dict[str, list[str]]:
    """Each detector group's members (sorted), the described :data:`GROUPS` first, even
    when empty; then ``all``: every detector not hidden, group by group, ungrouped last."""
    out: dict[str, list[str]] = {g: [] for g in GROUPS}
    visible = detectors()
    for name, spec in sorted(visible.items()):
        if spec.group is not None:
            out.setdefault(spec.group, []).append(name)
    grouped = [n for members in out.values() for n in members]
    out["all"] = grouped + sorted(set(visible) - set(grouped))
    return out


def datasets() -> dict[str, DatasetSpec]:
    """Every registered data set, by name."""
    load_plugins()
    return dict(_DATASETS)


def get_detector(name: str) -> DetectorSpec:
    """The registered detector ``name``; an unknown name suggests the closest ones."""
    known = detectors(include_hidden=True)
    if name not in known:
        raise unknown_name("detector", name, list(detectors()))
    return known[name]


def get_dataset(name: str) -> DatasetSpec:
    """The registered data set ``name``; an unknown name suggests the closest ones."""
    known = datasets()
    if name not in known:
        raise unknown_name("data set", name, list(known))
    return known[name]
