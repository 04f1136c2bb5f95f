"""The import graph stays layered: no cycle, no import running back up, the registry on
the ground floor (``python tests/import_graph.py`` prints the graph; that no product module
imports the fault-injection kit is checked in test_faults_kit.py)."""

from __future__ import annotations

from import_graph import ROOT, between_floors, cycles, import_graph, layers

#: ``benchmark``'s packages from the ground floor up (``docs/architecture.md``): a module
#: imports its own package and those below it, never one above. "ground" is the modules
#: directly in ``benchmark/`` (the registry, the detector contract, atomic writes).
FLOORS = [
    "ground",
    "data",
    "evaluation",
    "store",
    "report",
    "engine",
    "studies",
    "cli",
    "perf",
    "faults",
]


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "detectors":
        return "detectors"
    return "ground" if len(parts) == 1 or parts[1] not in FLOORS else parts[1]


def _graph() -> dict[str, set[str]]:
    return import_graph()


def test_no_import_cycle_and_no_import_runs_back_up():
    graph = _graph()
    _, upward = layers(graph)
    assert upward == []
    assert cycles(between_floors(graph)) == []


def test_the_registry_imports_nothing_of_ours():
    # Providers (built-in detectors, data sets, plugins) register through entry points.
    # Its checks (presets, declared parameters, names) live beside it and import nothing.
    graph = _graph()
    assert graph["benchmark.registry"] == {"benchmark.registry_checks"}
    assert graph["benchmark.registry_checks"] == set()


def test_the_graph_sees_imports_inside_functions_and_by_name(tmp_path, monkeypatch):
    # The checks above are only as good as the graph: a function-level import and an
    # importlib.import_module("...") both count (the cycles this suite had used them).
    import import_graph as ig

    pkg = tmp_path / "benchmark"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("def f():\n    from benchmark import high\n")
    (pkg / "high.py").write_text("import importlib\nimportlib.import_module('benchmark.low')\n")
    monkeypatch.setattr(ig, "ROOT", tmp_path)
    monkeypatch.setattr(ig, "PACKAGES", ("benchmark",))
    graph = ig.import_graph()
    assert "benchmark.high" in graph["benchmark.low"]
    assert "benchmark.low" in graph["benchmark.high"]
    assert ig.cycles(graph) == [["benchmark.high", "benchmark.low"]]


def test_each_package_imports_only_its_own_floor_and_those_below():
    graph = _graph()
    upward = [
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if "detectors" not in (_package(a), _package(b))
        and FLOORS.index(_package(a)) < FLOORS.index(_package(b))
    ]
    assert upward == []
    # Every package of benchmark/ has its floor: a new one must be placed deliberately.
    packages = {p.name for p in (ROOT / "benchmark").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(FLOORS) - {"ground"}


def test_detectors_build_only_on_the_ground_floor():
    # A detector needs the contract and the registry, nothing of the harness: a user's
    # detector package is written against the same two modules.
    graph = _graph()
    reached = {b for a, targets in graph.items() if a.startswith("detectors") for b in targets}
    assert {b for b in reached if not b.startswith("detectors")} <= {
        "benchmark.base",
        "benchmark.registry",
    }


def test_the_tree_shows_its_rooms():
    # At most 12 modules directly in benchmark/; everything else lives in a package by job.
    top = sorted(p.name for p in (ROOT / "benchmark").glob("*.py"))
    assert len(top) <= 12, top
