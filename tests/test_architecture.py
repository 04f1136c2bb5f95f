"""The import graph stays layered: no cycle, no import running back up, the registry on
the ground floor (``python tests/import_graph.py`` prints the graph; that no product module
imports the fault-injection kit is checked in test_faults_kit.py)."""

from __future__ import annotations

from import_graph import between_floors, cycles, import_graph, layers


def _graph() -> dict[str, set[str]]:
    return import_graph()


def test_no_import_cycle_and_no_import_runs_back_up():
    graph = _graph()
    _, upward = layers(graph)
    assert upward == []
    assert cycles(between_floors(graph)) == []


def test_the_registry_imports_nothing_of_ours():
    # Providers (built-in detectors, data sets, plugins) register through entry points.
    assert _graph()["benchmark.registry"] == set()


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
