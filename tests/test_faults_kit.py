"""The fault kit stays outside the product: nothing imports it, and it has no cycle.

A run of the product knows the ``fault-*`` detectors only when the kit started it or
imported them; ``python -m benchmark.faults cli`` (tested in test_faults_detectors) is
how the kit's command-line trials get them into a real run and its cells' children.
"""

from __future__ import annotations

import os
import subprocess
import sys

from import_graph import cycles, import_graph

from benchmark.faults.runs import ROOT

KIT = "benchmark.faults"


def _in_kit(module: str) -> bool:
    return module == KIT or module.startswith(KIT + ".")


def test_no_module_of_the_product_imports_the_fault_kit():
    graph = import_graph()
    assert any(_in_kit(m) for m in graph), "the import graph no longer sees the kit"
    users = sorted(
        a for a, targets in graph.items() if not _in_kit(a) and any(map(_in_kit, targets))
    )
    assert users == []


def test_the_fault_kit_has_no_import_cycle():
    graph = import_graph()
    kit = {a: {b for b in targets if _in_kit(b) and b != KIT} for a, targets in graph.items()}
    assert cycles({a: t for a, t in kit.items() if _in_kit(a)}) == []


_PRODUCT_ONLY = """
import sys
import benchmark.cli
from benchmark.registry import detectors
known = detectors(include_hidden=True)
print(sorted(n for n in known if n.startswith("fault-")), "benchmark.faults" in sys.modules)
"""


def test_a_plain_run_of_the_product_does_not_know_the_fault_detectors():
    out = subprocess.run(
        [sys.executable, "-c", _PRODUCT_ONLY],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "[] False"
