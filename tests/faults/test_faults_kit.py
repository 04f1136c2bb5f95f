"""The fault kit stays outside the product: nothing of the product imports it.

(That it has no import cycle is part of test_architecture.py's check of the whole graph.)

A run of the product knows the ``fault-*`` detectors only when the kit started it or
imported them; ``python -m benchmark.faults cli`` (tested in test_faults_detectors) is
how the kit's command-line trials get them into a real run and its cells' children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from import_graph import import_graph

from benchmark.faults.runs import ROOT, start_run

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


_PRODUCT_ONLY = """
import sys
import benchmark.cli.main
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


def test_runs_the_kit_interrupts_get_sigint_back_even_if_the_tests_ignore_it(tmp_path):
    # `nohup make test &` (or a CI runner's background shell) starts the tests with SIGINT
    # ignored; the runs they Ctrl-C must still have a terminal's default SIGINT.
    log = tmp_path / "log.txt"
    show = "import signal; print(signal.getsignal(signal.SIGINT))"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        start_run([sys.executable, "-c", show], log).wait(timeout=60)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "default_int_handler" in log.read_text()
