"""Ctrl-C during --reproduce stops like the main run: one line, exit 130, nothing left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from benchmark.engine.tasks import EVENT_LOG
from benchmark.faults.runs import ROOT, group_alive, kill_group, sigint_as_in_a_terminal


def _read(path) -> str:
    return path.read_text() if path.exists() else ""


_COUNT_SEMAPHORES = """
import multiprocessing, sys
from multiprocessing import resource_tracker
multiprocessing.set_start_method("forkserver")  # as in a cell's child
named = []
resource_tracker.register = lambda name, rtype: named.append(rtype)
if sys.argv[1] == "child":
    from benchmark.engine.tasks import no_named_semaphores
    no_named_semaphores()
from tqdm.auto import tqdm
tqdm(total=1, disable=True).close()  # what train_loop does in a cell without progress
print(len(named))
"""


@pytest.mark.parametrize("setup, expected", [("child", "0"), ("plain", "1")])
def test_a_cells_child_creates_no_named_semaphore(setup, expected):
    # A named semaphore left by a child killed mid-cell made the resource tracker print
    # "leaked semaphore objects" after the resume line (1 run in 4). "plain" shows that
    # tqdm does create one unless the child replaces its lock, so the check can fail.
    out = subprocess.run(
        [sys.executable, "-c", _COUNT_SEMAPHORES, setup],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected, out.stderr


def test_ctrl_c_during_reproduce_prints_the_resume_line(tmp_path):
    cmd = [str(ROOT / "run_benchmark.py"), "--reproduce", "dagmm", "--seeds", "1", "--quiet"]
    events = tmp_path / "events.log"  # each cell's child logs when it starts computing
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{EVENT_LOG: str(events)})
    proc = subprocess.Popen(
        [sys.executable, *cmd],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        preexec_fn=sigint_as_in_a_terminal,  # even if this test inherited SIGINT ignored
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and " start " not in _read(events):
            time.sleep(0.05)
        assert " start " in _read(events), "the first cell never started"
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert proc.returncode == 130, err
    line = err.strip()
    assert re.fullmatch(
        r"interrupted: [0-4] of 4 cells are finished and saved in results/reproduce-dagmm;"
        r" rerun the same command to resume",
        line,
    ), line
    deadline = time.monotonic() + 10
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(proc.pid), "a process of the run survived Ctrl-C"
    assert not list(tmp_path.rglob("*.tmp"))
