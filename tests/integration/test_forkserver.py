"""The cells' forkserver: children start with the suite loaded and still cap their threads."""

from __future__ import annotations

import sys

import benchmark.cli.main  # noqa: F401  (what run_benchmark.py, the main module, imports)
from benchmark.engine import workers


def _report(conn) -> None:
    """In a child: what it inherited, and the thread counts after ``limit_threads(1)``."""
    from threadpoolctl import threadpool_info

    from benchmark.engine import limits

    warm = limits._WARM is not None
    limits.limit_threads(1)
    threads = sorted({lib["num_threads"] for lib in threadpool_info()})
    conn.send(("torch" in sys.modules, "benchmark.cli.main" in sys.modules, warm, threads))


def test_preload_lists_the_suite_first_then_every_module_of_ours_imported_here():
    preload = workers._preload()
    assert preload[: len(workers._PRELOAD)] == workers._PRELOAD
    assert "benchmark.cli.main" in preload and "benchmark.engine.workers" in preload
    assert len(preload) == len(set(preload))
    assert not [name for name in preload if name.split(".")[0] not in ("benchmark", "detectors")]


def test_a_cells_child_inherits_torch_and_the_warm_up_and_limits_its_threads_to_one():
    ctx = workers._context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_report, args=(send,))
    proc.start()
    send.close()
    has_torch, has_cli, warm, threads = recv.recv()
    proc.join(60)
    assert proc.exitcode == 0
    assert has_torch and warm
    assert has_cli  # imported by this module at collection, before any forkserver started
    assert threads == [1]
