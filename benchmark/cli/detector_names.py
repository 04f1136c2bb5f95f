"""``--detectors``: names, groups (``paper``, ``extended``, ``all``) and ``pyod:Class(...)``.

A comma-separated list whose items are registered detectors, detector groups
(:func:`benchmark.registry.detector_groups`) or ``pyod:Class`` /
``pyod:Class(arg=value,...)`` (any PyOD detector by class name; values are Python
literals, a bare word is text). Everything is checked here, before any cell runs, with a
one-line error naming the item.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from benchmark.registry import UnknownNameError, detector_groups, detectors, get_detector
from benchmark.registry import resolve_names as _check_name

__all__ = [
    "PYOD_PREFIX",
    "canonical_cap_items",
    "parse_pyod",
    "pyod_label",
    "resolve_detectors",
    "split_items",
]

PYOD_PREFIX = "pyod:"
#: The hidden registered detector that runs a PyOD class by name.
PYOD_DETECTOR = "pyod"

_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def split_items(text: str) -> list[str]:
    """``text`` split at the commas outside brackets (``pyod:KNN(n_neighbors=3,p=1),gmm``)."""
    items, depth, current = [], 0, []
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def _value(item: str, key: str, text: str) -> Any:
    """A parameter value: a Python literal, or a bare word taken as text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if _WORD.match(text):
            return text
        raise UnknownNameError(f"{item}: the value of {key} is not a literal: {text!r}") from None


def parse_pyod(item: str) -> tuple[str, dict[str, Any]]:
    """``pyod:Class`` or ``pyod:Class(arg=value,...)`` as (class name, arguments)."""
    body = item[len(PYOD_PREFIX) :].strip()
    match = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:\((.*)\))?", body, flags=re.S)
    if not match:
        raise UnknownNameError(
            f"{item!r}: expected pyod:ClassName or pyod:ClassName(arg=value,...),"
            " e.g. pyod:KNN(n_neighbors=10,method=mean)"
        )
    name, inside = match.group(1), (match.group(2) or "").strip()
    params: dict[str, Any] = {}
    for part in split_items(inside) if inside else []:
        key, sep, text = part.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UnknownNameError(f"{item}: expected arg=value, got {part!r}")
        if key in params:
            raise UnknownNameError(f"{item}: {key} is given twice")
        params[key] = _value(item, key, text.strip())
    return name, params


def _text(value: Any) -> str:
    """A value as the label writes it: a bare word for simple text, else its literal."""
    if isinstance(value, str) and _WORD.match(value) and value not in ("None", "True", "False"):
        return value
    return repr(value)


def pyod_label(name: str, params: dict[str, Any]) -> str:
    """The canonical label of a PyOD class with arguments (sorted), used in tables and
    folders: the same class and arguments give the same label, in whatever order."""
    args = ",".join(f"{k}={_text(params[k])}" for k in sorted(params))
    return f"{PYOD_PREFIX}{name}" + (f"({args})" if args else "")


def canonical_cap_items(items: list[str]) -> list[str]:
    """``--train-cap`` items with a ``pyod:`` label written the way tables name it (its
    arguments sorted, spaces dropped), so ``pyod:KNN(p=1, n_neighbors=3)=500`` caps the
    run's ``pyod:KNN(n_neighbors=3,p=1)``; anything else is left to the cap's own check."""
    out = []
    for item in items:
        name, sep, rows = item.rpartition("=")
        if sep and name.strip().startswith(PYOD_PREFIX):
            try:
                name = pyod_label(*parse_pyod(name.strip()))
            except UnknownNameError:
                pass  # not a pyod label: the cap's check names it
        out.append(f"{name}{sep}{rows}")
    return out


def resolve_detectors(text: str) -> tuple[list[str], dict[str, tuple[str, dict[str, Any]]]]:
    """(table labels, variants) of a ``--detectors`` value; a one-line error otherwise.

    Groups expand to their members; a name given twice runs once. Each ``pyod:`` item
    becomes a variant of the hidden detector ``pyod`` whose parameters (class and
    arguments) are part of its cells' identity.
    """
    groups = detector_groups()
    visible = list(detectors())
    every = list(detectors(include_hidden=True))
    labels: list[str] = []
    variants: dict[str, tuple[str, dict[str, Any]]] = {}
    items = split_items(text)
    if not any(items):
        raise UnknownNameError(f"no detector named in {text!r}")
    for item in items:
        if not item:
            raise UnknownNameError(
                f"empty detector name in {text!r} (a doubled, leading or trailing comma?)"
            )
        if item.startswith(PYOD_PREFIX):
            name, params = parse_pyod(item)
            try:
                get_detector(PYOD_DETECTOR).cls.check_estimator(name, params)
            except ValueError as exc:
                raise UnknownNameError(str(exc)) from None
            label = pyod_label(name, params)
            variants[label] = (PYOD_DETECTOR, {"estimator": name, "estimator_params": params})
            labels.append(label)
        elif item in groups:
            labels += groups[item]
        else:
            labels += _check_name("detector", item, every, visible + list(groups))
    return list(dict.fromkeys(labels)), variants
