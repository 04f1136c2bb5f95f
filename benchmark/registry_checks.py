"""The checks behind the registries: presets, a detector's declared parameters, and names.

Kept apart from :mod:`benchmark.registry` (which re-exports the public names) so that the
registry holds only what is registered and how it is found. Every check raises a one-line
error that names what is wrong, at registration or on the command line, rather than let a
misspelt key or name become a silently different run later.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

__all__ = [
    "PRESETS",
    "DEFAULT_PRESET",
    "RUNTIME_PARAMS",
    "UnknownNameError",
    "check_preset",
    "param_names",
    "check_param_names",
    "checked_presets",
    "checked_caps",
    "unknown_name",
    "resolve_names",
]


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


def unknown_name(kind: str, name: str, known: list[str]) -> UnknownNameError:
    """The error for an unknown ``kind`` called ``name``: the closest known names, then all."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(known))})")


def check_preset(preset: str) -> str:
    """``preset`` if it is one of :data:`PRESETS`; otherwise an error listing them."""
    if preset not in PRESETS:
        raise unknown_name("preset", preset, list(PRESETS))
    return preset


@cache
def param_names(cls: type) -> tuple[str, ...]:
    """The parameters of detector class ``cls``: ``get_params()`` of a default instance."""
    try:
        return tuple(cls().get_params(deep=False))
    except Exception as exc:
        raise ValueError(
            f"{cls.__qualname__}() cannot be built with its default parameters, so its"
            f" parameters are unknown: {type(exc).__name__}: {exc}"
        ) from None


def check_param_names(cls: type, params: Mapping[str, Any], what: str) -> None:
    """Raise a one-line error, starting with ``what``, for a key that ``cls`` lacks."""
    known = param_names(cls)
    for key in params:
        if key not in known:
            raise ValueError(
                f"{what}: {key!r} is not a parameter of {cls.__qualname__}"
                f" (its parameters: {', '.join(sorted(known))})"
            )


def checked_presets(
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
        param_names(cls)
    except ValueError as exc:
        raise ValueError(f"detector {name!r}: {exc}") from None
    for preset in PRESETS:
        check_param_names(cls, presets[preset], f"detector {name!r}, preset {preset!r}")
    return {p: dict(presets[p]) for p in PRESETS}


def checked_caps(name: str, caps: Mapping[str, int | None] | int | None) -> dict[str, int | None]:
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
            raise unknown_name(kind, name, all_names)
    return names
