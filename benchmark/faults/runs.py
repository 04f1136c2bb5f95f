"""Real runs for fault injection: the fault grid, starting and killing runs, result sets.

Used by every trial of the kit and by ``tests/faults/test_faults_*.py``. Runs are real
subprocesses of the command line, each in its own session so that a kill reaches the
whole process group (the run, its forkserver and every cell's child). A trial reports an
:class:`Outcome`; what it must reproduce is a :class:`Reference`, one uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.engine.harness import RunConfig
from benchmark.engine.tasks import EVENT_LOG

__all__ = [
    "ROOT",
    "FOLDS",
    "N_CELLS",
    "Outcome",
    "Reference",
    "reference_run",
    "fault_config",
    "cli_command",
    "start_run",
    "wait_run",
    "kill_group",
    "group_alive",
    "cell_files",
    "finished_cells",
    "result_set",
    "compare_results",
    "read_events",
    "temp_files",
]

ROOT = Path(__file__).resolve().parents[2]

#: Fault-injection runs use this grid (kept small so hundreds of restarts stay cheap).
DATASETS = "vowels,cardio"
DETECTORS = "gmm,ocnn-neighbor,ocsvm"
FOLDS = 3
N_CELLS = 2 * 3 * FOLDS


@dataclass
class Outcome:
    """The result of injecting one fault ``trials`` times."""

    fault: str
    trials: int = 0
    survived: int = 0
    lost: int = 0
    recomputed: int = 0
    problems: list[str] = field(default_factory=list)

    def row(self) -> list:
        """The report row: fault, trials, survived, results lost, cells recomputed."""
        return [self.fault, self.trials, self.survived, self.lost, self.recomputed]


@dataclass
class Reference:
    """An uninterrupted run: its folder, result set, and how long it took to start and end."""

    output: Path
    results: dict
    seconds: float
    startup: float


def cli_command(
    output: Path,
    *,
    datasets: str = DATASETS,
    detectors: str = DETECTORS,
    folds: int = FOLDS,
    n_jobs: int = 2,
    extra: tuple[str, ...] = (),
    faults: bool = False,
) -> list[str]:
    """The command line of a run into ``output`` (splits beside it in ``splits/``).

    With ``faults`` the run also knows the ``fault-*`` detectors of
    :mod:`benchmark.faults.detectors` (through ``python -m benchmark.faults cli``).
    """
    output = Path(output)
    base = (
        [sys.executable, "-m", "benchmark.faults", "cli"]
        if faults
        else [
            sys.executable,
            str(ROOT / "run_benchmark.py"),
        ]
    )
    return base + [
        "--datasets", datasets,
        "--detectors", detectors,
        "--folds", str(folds),
        "--n-jobs", str(n_jobs),
        "--output", str(output),
        "--splits-dir", str(output.parent / "splits"),
        "--quiet",
        *extra,
    ]  # fmt: skip


def sigint_as_in_a_terminal() -> None:
    """``preexec_fn`` for runs the kit will Ctrl-C: SIGINT at its default, as in a terminal.

    A process started in the background by a non-interactive shell (``nohup make test &``,
    some CI runners) inherits SIGINT *ignored*, and so would every run it starts: Python
    then installs no KeyboardInterrupt handler, and a Ctrl-C trial waits for a run that
    never stops. The product rightly respects an ignored SIGINT; the trials must not
    depend on how the test process itself was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(cmd: list[str], log: Path, events: Path | None = None) -> subprocess.Popen:
    """Start ``cmd`` in a new session; stdout and stderr go to ``log`` (read it after)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(EVENT_LOG, None)
    if events is not None:
        env[EVENT_LOG] = str(events)
    with open(log, "ab") as fh:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=fh,
            stderr=fh,
            preexec_fn=sigint_as_in_a_terminal,
        )


def reference_run(work: Path, timeout: float = 300) -> Reference:
    """Run the fault grid once without interruption (what every trial must reproduce)."""
    out = Path(work) / "reference" / "run"
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    proc = start_run(cli_command(out), out.parent / "log.txt")
    startup = None
    while proc.poll() is None and time.monotonic() - t0 < timeout:
        if startup is None and finished_cells(out):
            startup = time.monotonic() - t0
        time.sleep(0.05)
    rc = wait_run(proc, timeout)
    if rc != 0:
        raise RuntimeError(f"reference run failed ({rc}): {(out.parent / 'log.txt').read_text()}")
    seconds = time.monotonic() - t0
    return Reference(out, result_set(out), seconds, startup or seconds / 2)


def fault_config(output: Path, **kw) -> RunConfig:
    """The RunConfig of the fault grid (as the CLI builds it) for in-process trials."""
    base = dict(
        datasets=DATASETS.split(","),
        detectors=DETECTORS.split(","),
        folds=FOLDS,
        n_jobs=2,
        output=Path(output),
        splits_dir=Path(output).parent / "splits",
    )
    return RunConfig(**(base | kw))


def group_alive(pgid: int) -> bool:
    """Whether any process of process group ``pgid`` still exists."""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 30) -> bool:
    """Send ``sig`` to the run's whole process group, reap it; True if the group is gone."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout)
    gone = _wait_group_gone(proc.pid, timeout)
    if not gone and sig != signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)
    return gone


def wait_run(proc: subprocess.Popen, timeout: float) -> int:
    """Wait for a run to end (killing its group on timeout); returns its exit code."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise
    finally:
        _wait_group_gone(proc.pid, 10)


def cell_files(output: Path) -> list[Path]:
    """Every cell record file under ``output``."""
    return sorted(Path(output).glob("cells/*/*/fold*.json"))


def finished_cells(output: Path) -> dict[str, tuple[int, ...]]:
    """Cells with a readable ``ok`` record: name -> (inode, mtime) of its json and npz.

    A finished cell that is computed again gets new files (atomic rename = new inode).
    """
    out = {}
    for path in cell_files(output):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            npz = path.with_suffix(".npz").stat()
            js = path.stat()
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("status") == "ok":
            name = "/".join(path.with_suffix("").parts[-3:])
            out[name] = (js.st_ino, js.st_mtime_ns, npz.st_ino, npz.st_mtime_ns)
    return out


_KEEP = ("status", "config_hash", "ranking", "policies", "n_train", "n_test", "error")


def result_set(output: Path) -> dict[str, tuple[dict, dict[str, np.ndarray]]]:
    """Each cell's metrics (the reproducible part of its record) and score arrays."""
    out = {}
    for path in cell_files(output):
        record = json.loads(path.read_text(encoding="utf-8"))
        arrays = {}
        if path.with_suffix(".npz").exists() and record.get("status") == "ok":
            with np.load(path.with_suffix(".npz"), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        name = "/".join(path.with_suffix("").parts[-3:])
        out[name] = ({k: record.get(k) for k in _KEEP}, arrays)
    return out


def compare_results(reference: dict, got: dict) -> list[str]:
    """Cells that are missing, extra or differ (metrics or any score) between two sets."""
    problems = [f"{name}: missing" for name in sorted(set(reference) - set(got))]
    problems += [f"{name}: not in the reference" for name in sorted(set(got) - set(reference))]
    for name in sorted(set(reference) & set(got)):
        (rec_a, arr_a), (rec_b, arr_b) = reference[name], got[name]
        if rec_a != rec_b:
            keys = [k for k in rec_a if rec_a.get(k) != rec_b.get(k)]
            problems.append(f"{name}: record differs in {keys}")
        elif set(arr_a) != set(arr_b) or any(not np.array_equal(arr_a[k], arr_b[k]) for k in arr_a):
            problems.append(f"{name}: score arrays differ")
    return problems


def read_events(path: Path) -> tuple[Counter, Counter, list[str]]:
    """From an event log: starts and ends per cell, and overlaps of one cell's computes.

    An overlap means two processes computed the same cell at the same time.
    """
    starts, ends = Counter(), Counter()
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    open_: dict[tuple[str, str], float] = {}
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            parts = line.split()
            if len(parts) < 4:
                continue
            t, pid, kind, cell = float(parts[0]), parts[1], parts[2], parts[3]
            if kind == "start":
                starts[cell] += 1
                open_[(cell, pid)] = t
            elif kind == "end":
                ends[cell] += 1
                spans[cell].append((open_.pop((cell, pid), t), t))
    overlaps = []
    for cell, s in spans.items():
        s.sort()
        overlaps += [cell for a, b in zip(s, s[1:]) if b[0] < a[1]]
    return starts, ends, overlaps


def temp_files(*folders: Path) -> list[Path]:
    """Leftover temporary files (``.*.tmp``) under ``folders``."""
    return [p for f in folders if Path(f).exists() for p in Path(f).rglob("*.tmp")]
