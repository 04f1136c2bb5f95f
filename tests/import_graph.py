"""The suite's import graph: layers, cycles and imports that run back up.

Every ``import``/``from`` statement (also those inside functions, which usually hide a
cycle) and every ``importlib.import_module("...")`` with a literal name is an edge
between two of our modules. A module's layer is the length of the longest import chain
below it (0: imports none of ours). Within a cycle there is no consistent layering;
edges that close a cycle are the "upward" imports. ``python tests/import_graph.py``
prints the summary; ``tests/unit/test_architecture.py`` keeps it at no cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("benchmark", "detectors")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest of our modules that ``name`` names (a.b.c -> a.b if c is a symbol)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the set of our modules it imports (package ``__init__`` files included)."""
    known = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        names = _imported_names(tree, module, path.stem == "__init__")
        targets = {_resolve(n, known) for n in names}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_edge(a: str, b: str) -> bool:
    """``pkg/__init__`` re-exporting its own sub-module, or a sub-module importing its
    package's ``__init__`` for a sibling: not a dependency between floors."""
    return b.startswith(a + ".") or a.startswith(b + ".")


def between_floors(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without package/sub-module edges (see :func:`_is_package_edge`)."""
    return {a: {b for b in t if not _is_package_edge(a, b)} for a, t in graph.items()}


def layers(graph: dict[str, set[str]]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Each module's layer, and the edges that run up (those closing a cycle)."""
    edges = {(a, b) for a, targets in graph.items() for b in targets if not _is_package_edge(a, b)}
    # Drop back edges found by depth-first search so the rest is acyclic.
    state: dict[str, int] = {}
    upward: list[tuple[str, str]] = []

    def dfs(v: str) -> None:
        state[v] = 1
        for w in sorted(b for a, b in edges if a == v):
            if state.get(w) == 1:
                upward.append((v, w))
            elif w not in state:
                dfs(w)
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            dfs(v)
    dag = edges - set(upward)
    level: dict[str, int] = {}

    def depth(v: str) -> int:
        if v not in level:
            below = [depth(b) for a, b in dag if a == v]
            level[v] = 1 + max(below) if below else 0
        return level[v]

    for v in graph:
        depth(v)
    return level, sorted(upward)


def summary() -> str:
    graph = import_graph()
    level, upward = layers(graph)
    found = cycles(between_floors(graph))
    lines = [
        f"{len(graph)} modules, {sum(len(t) for t in graph.values())} imports, "
        f"{max(level.values()) + 1} layers, {len(upward)} upward imports, {len(found)} cycles"
    ]
    lines += [f"  upward: {a} -> {b}" for a, b in upward]
    lines += [f"  cycle: {' <-> '.join(c)}" for c in found]
    for n in range(max(level.values()) + 1):
        lines.append(f"  layer {n}: " + ", ".join(sorted(m for m, k in level.items() if k == n)))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
