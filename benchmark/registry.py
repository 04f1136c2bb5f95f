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
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

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


class UnknownNameError(KeyError):
    """A detector or data set name that nothing registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


#: The presets every registered detector declares, and the only ones anything accepts:
#: ``quick`` (capped budgets, the default), ``paper`` (the paper's budgets) and ``smoke``
#: (tiny budgets: the CI regression check, :mod:`benchmark.studies.smoke_reference`).
PRESETS: tuple[str, ...] = ("quick", "paper", "smoke")

#: The preset used wherever none is named (CLI, ``RunConfig``, ``DetectorSpec``).
DEFAULT_PRESET = "quick"

#: Parameters the harness sets per cell when a detector has them; never a preset's.
RUNTIME_PARAMS = ("random_state", "device")

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


def check_preset(preset: str) -> str:
    """``preset`` if it is one of :data:`PRESETS`; otherwise an error listing them."""
    if preset not in PRESETS:
        raise _unknown("preset", preset, list(PRESETS))
    return preset


@cache
def _param_names(cls: type) -> tuple[str, ...]:
    """The parameters of detector class ``cls``: ``get_params()`` of a default instance."""
    try:
        return tuple(cls().get_params(deep=False))
    except Exception as exc:
        raise ValueError(
            f"{cls.__qualname__}() cannot be built with its default parameters, so its"
            f" parameters are unknown: {type(exc).__name__}: {exc}"
        ) from None


def _check_names(cls: type, params: Mapping[str, Any], what: str) -> None:
    """Raise a one-line error, starting with ``what``, for a key that ``cls`` lacks."""
    known = _param_names(cls)
    for key in params:
        if key not in known:
            raise ValueError(
                f"{what}: {key!r} is not a parameter of {cls.__qualname__}"
                f" (its parameters: {', '.join(sorted(known))})"
            )


def _checked_presets(
    name: str, cls: type, presets: Mapping[str, Mapping[str, Any]] | None, hidden: bool
) -> dict[str, dict[str, Any]]:
    """The declared presets in :data:`PRESETS` order, or a one-line error saying what is wrong.

    A hidden test double that declares nothing gets class defaults for every preset.
    """
    if presets is None and hidden:
        return {p: {} for p in PRESETS}
    presets = dict(presets or {})
    missing = [p for p in PRESETS if p not in presets]
    unknown = [p for p in presets if p not in PRESETS]
    if missing or unknown:
        what = [f"does not declare preset(s) {', '.join(map(repr, missing))}"] if missing else []
        what += [f"declares unknown preset(s) {', '.join(map(repr, unknown))}"] if unknown else []
        raise ValueError(
            f"detector {name!r} {' and '.join(what)}; every detector declares exactly"
            f" {', '.join(PRESETS)} (an empty dict means class defaults)"
        )
    try:
        _param_names(cls)
    except ValueError as exc:
        raise ValueError(f"detector {name!r}: {exc}") from None
    for preset in PRESETS:
        _check_names(cls, presets[preset], f"detector {name!r}, preset {preset!r}")
    return {p: dict(presets[p]) for p in PRESETS}


def _checked_caps(name: str, caps: Mapping[str, int | None] | int | None) -> dict[str, int | None]:
    """A training-row cap per preset (one number: every preset), each None or >= 2."""
    if caps is None or isinstance(caps, int):
        caps = {p: caps for p in PRESETS}
    unknown = [p for p in caps if p not in PRESETS]
    if unknown:
        raise ValueError(f"detector {name!r}: train_cap names unknown preset(s) {unknown}")
    out = {p: caps.get(p) for p in PRESETS}
    for preset, cap in out.items():
        if cap is not None and (not isinstance(cap, int) or cap < 2):
            raise ValueError(f"detector {name!r}: train_cap[{preset!r}] must be None or >= 2")
    return out


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
        checked = _checked_presets(self.name, self.cls, self.presets, self.hidden)
        object.__setattr__(self, "presets", checked)
        object.__setattr__(self, "train_cap", _checked_caps(self.name, self.train_cap))
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
        return _param_names(self.cls)

    def params(self, preset: str = DEFAULT_PRESET) -> dict[str, Any]:
        """The parameters ``preset`` declares (a copy); an unknown preset is an error."""
        return dict(self.presets[check_preset(preset)])

    def runtime_params(self, seed: int | None, device: str) -> dict[str, Any]:
        """``random_state`` and ``device`` for a cell, each only if the class has it."""
        values = {"random_state": seed, "device": device}
        return {k: values[k] for k in RUNTIME_PARAMS if k in self.param_names}

    def check_params(self, params: Mapping[str, Any], what: str = "") -> None:
        """Raise a one-line error, starting with ``what``, for a key the class lacks."""
        _check_names(self.cls, params, what or f"detector {self.name!r}")

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
