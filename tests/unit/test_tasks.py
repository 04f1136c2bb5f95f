"""A worker's stop signal: at once while computing, after the save while saving."""

from __future__ import annotations

import signal
import subprocess
import sys

from helpers import ROOT

_WORKER = """
import os, signal, sys
from pathlib import Path
from benchmark.engine.tasks import on_stop_signal, saving
signal.signal(signal.SIGTERM, on_stop_signal)
out = Path(sys.argv[1])
if sys.argv[2] == "saving":
    with saving():
        os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-save
        out.write_text("saved")  # still written: the stop waits for the block's end
    out.with_suffix(".after").write_text("not reached")
else:
    os.kill(os.getpid(), signal.SIGTERM)
    out.write_text("computed on")  # not reached: a worker that is computing stops at once
"""


def _run(tmp_path, mode: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(tmp_path / "out.txt"), mode],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    return proc.returncode


def test_a_stop_during_a_save_waits_for_the_save_then_ends_the_worker(tmp_path):
    assert _run(tmp_path, "saving") == -signal.SIGTERM
    assert (tmp_path / "out.txt").read_text() == "saved"
    assert not (tmp_path / "out.after").exists()


def test_a_stop_while_computing_ends_the_worker_at_once(tmp_path):
    assert _run(tmp_path, "computing") == -signal.SIGTERM
    assert not (tmp_path / "out.txt").exists()
