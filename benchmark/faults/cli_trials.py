"""Faults injected into real command-line runs: SIGKILL, Ctrl-C, SIGTERM, two runs at once
and broken detectors.

Each trial starts real runs of the fault grid (:mod:`benchmark.faults.runs`) in their
own process groups, injects its fault, lets the run finish or resume, and compares what
is left with the uninterrupted :class:`~benchmark.faults.runs.Reference`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np

from benchmark.faults.detectors import FAULT_DETECTORS
from benchmark.faults.runs import (
    N_CELLS,
    Outcome,
    Reference,
    cli_command,
    compare_results,
    finished_cells,
    group_alive,
    kill_group,
    read_events,
    result_set,
    start_run,
    temp_files,
    wait_run,
)
from benchmark.store.locking import CellLock

__all__ = ["FAULTY", "crash_trial", "sigint_trial", "concurrency_trial", "detector_fault_trial"]

#: The broken detectors whose cells a command-line run must fail cleanly.
FAULTY = ("fault-raises", "fault-nan", "fault-inf", "fault-count", "fault-hang", "fault-killed")


def _finish(out: Path, log: Path, events: Path | None, timeout: float) -> int:
    return wait_run(start_run(cli_command(out), log, events), timeout)


def _check_final(o: Outcome, ref: Reference, out: Path, events: Path) -> None:
    """Compare a trial's final results with the reference; count losses and recomputes."""
    problems = compare_results(ref.results, result_set(out))
    starts, ends, overlaps = read_events(events)
    twice = [c for c, n in ends.items() if n > 1]
    problems += [f"{c}: computed to completion {ends[c]} times" for c in twice]
    problems += [f"{c}: computed by two processes at once" for c in overlaps]
    problems += [f"temp file left: {p}" for p in temp_files(out, out.parent / "splits")]
    o.lost += len(compare_results(ref.results, result_set(out)))
    o.recomputed += sum(starts.values()) - len(starts)
    o.problems += problems
    o.survived = int(not o.problems)


def crash_trial(work: Path, ref: Reference, kills: int = 5, seed: int = 0) -> Outcome:
    """SIGKILL a real run at ``kills`` random moments, restarting it after each kill.

    Every finished cell's files are recorded after each kill; any later change to them
    means a finished cell was computed again. At the end the results must equal ``ref``.
    """
    o = Outcome("SIGKILL + restart", trials=1)
    out = Path(work) / "crash" / "run"
    out.parent.mkdir(parents=True, exist_ok=True)
    log, events = out.parent / "log.txt", out.parent / "events.log"
    rng = np.random.default_rng(seed)
    seen: dict[str, tuple] = {}
    done = 0
    for _ in range(4 * kills):
        if done >= kills:
            break
        left = 1 - len(seen) / N_CELLS
        window = ref.startup + (ref.seconds - ref.startup) * max(left, 0.15)
        proc = start_run(cli_command(out), log, events)
        try:
            proc.wait(float(rng.uniform(0.1, window)))
        except subprocess.TimeoutExpired:
            if not kill_group(proc):
                o.problems.append("a process survived SIGKILL of its group")
            done += 1
        snap = finished_cells(out)
        changed = [c for c, v in seen.items() if snap.get(c) != v]
        o.problems += [f"{c}: finished cell rewritten or lost after a kill" for c in changed]
        seen.update(snap)
    if done < kills:
        o.problems.append(f"only {done} of {kills} kills landed before the run finished")
    o.fault = f"SIGKILL + restart ({done} kills)"
    rc = _finish(out, log, events, 600)
    if rc != 0:
        o.problems.append(f"final run exited {rc}")
    o.problems += [
        f"{c}: finished cell recomputed" for c, v in seen.items() if finished_cells(out)[c] != v
    ]
    _check_final(o, ref, out, events)
    return o


def sigint_trial(
    work: Path,
    ref: Reference,
    whole_group: bool,
    min_done: int = 2,
    resume: bool = True,
    sig: int = signal.SIGINT,
) -> Outcome:
    """Ctrl-C a run (the terminal's way, or a signal to the main process only); resume it.

    The run must exit with 130 (143 for SIGTERM, which is handled the same way) saying
    how many cells are saved and how to resume, leave no process, no held lock and no
    temporary file behind, and a folder whose results.csv and run.json describe exactly
    the finished cells; the resumed run must equal ``ref``.
    """
    signame = signal.Signals(sig).name
    name = f"{signame} to process group" if whole_group else f"{signame} to main process"
    o = Outcome(name, trials=1)
    where = "group" if whole_group else "main"
    out = Path(work) / f"{signame.lower()}-{where}" / "run"
    out.parent.mkdir(parents=True, exist_ok=True)
    log, events = out.parent / "log.txt", out.parent / "events.log"
    proc = start_run(cli_command(out), log, events)
    deadline = time.monotonic() + 300
    while len(finished_cells(out)) < min_done and time.monotonic() < deadline:
        time.sleep(0.05)
    signal_to = proc.pid
    if whole_group:
        os.killpg(signal_to, sig)
    else:
        proc.send_signal(sig)
    rc = wait_run(proc, 60)
    time.sleep(0.5)
    if group_alive(proc.pid):
        o.problems.append(f"processes of the run are still alive after {signame}")
        kill_group(proc)
    text = log.read_text(errors="replace")
    m = re.search(r"(?:interrupted|terminated \(SIGTERM\)): (\d+) of (\d+) cells are", text)
    expected = 143 if sig == signal.SIGTERM else 130
    o.problems += _folder_problems(out)
    if rc != expected or m is None or "rerun the same command to resume" not in text:
        o.problems.append(f"exit {rc}, message: {text.strip()[-300:]!r}")
    elif int(m.group(1)) != len(finished_cells(out)):
        o.problems.append(f"said {m.group(1)} cells done, {len(finished_cells(out))} are")
    if "Traceback" in text:
        o.problems.append("a traceback was printed")
    o.problems += [f"temp file left: {p}" for p in temp_files(out, out.parent / "splits")]
    if not resume:
        o.survived = int(not o.problems)
        return o
    if _finish(out, log, events, 600) != 0:
        o.problems.append("resumed run failed")
    _check_final(o, ref, out, events)
    return o


def _folder_problems(out: Path) -> list[str]:
    """What is inconsistent in a stopped run's folder: held locks, derived files that do
    not describe exactly its finished cells."""
    problems = []
    for path in out.glob("cells/*/*/fold*.lock"):
        lock = CellLock(path)
        if not lock.acquire(wait=False):
            problems.append(f"{path}: still locked after the run ended")
        lock.release()
    cells = {c for c in finished_cells(out)}
    try:
        manifest = json.loads((out / "run.json").read_text())
        listed = {c["cell"] for c in manifest["cell_list"] if c["status"] == "ok"}
        outcome = manifest["invocations"][-1]["outcome"]
        rows = (out / "results.csv").read_text().splitlines()[1:]
    except (OSError, ValueError, KeyError, IndexError) as exc:
        return [*problems, f"run.json or results.csv missing or incomplete: {exc!r}"]
    if listed != cells:
        problems.append(f"run.json lists {len(listed)} ok cells, the folder has {len(cells)}")
    if outcome not in ("interrupted", "terminated"):
        problems.append(f"run.json records the stopped run as {outcome!r}")
    if len(rows) != 5 * len(cells):
        problems.append(f"results.csv has {len(rows)} rows for {len(cells)} cells")
    return problems


def concurrency_trial(work: Path, ref: Reference, runs: int = 2) -> Outcome:
    """Start ``runs`` runs on one output folder at the same moment; all must succeed,
    each cell computed exactly once (never by two processes), results equal ``ref``."""
    o = Outcome(f"{runs} concurrent runs, one folder", trials=1)
    out = Path(work) / "concurrent" / "run"
    out.parent.mkdir(parents=True, exist_ok=True)
    events = out.parent / "events.log"
    procs = [
        start_run(cli_command(out, n_jobs=1), out.parent / f"log{i}.txt", events)
        for i in range(runs)
    ]
    codes = [wait_run(p, 600) for p in procs]
    if codes != [0] * runs:
        o.problems.append(f"exit codes {codes}")
    starts, _, _ = read_events(events)
    o.problems += [f"{c}: computed {n} times" for c, n in starts.items() if n != 1]
    _check_final(o, ref, out, events)
    return o


def detector_fault_trial(work: Path, timeout: float = 5) -> Outcome:
    """A CLI run whose detectors raise, return NaN/inf or too few scores, hang, are
    killed, or hit a full disk: each cell fails with its reason, the rest finish, the
    table says ``failed``, the exit code is 1, and no partial file is left."""
    o = Outcome("broken detectors (CLI)")
    out = Path(work) / "detectors" / "run"
    out.parent.mkdir(parents=True, exist_ok=True)
    names = [*FAULTY, "fault-disk-full"]
    cmd = cli_command(
        out,
        datasets="vowels",
        detectors=",".join([*names, "gmm"]),
        folds=2,
        extra=("--timeout", str(timeout)),
        faults=True,
    )
    log = out.parent / "log.txt"
    rc = wait_run(start_run(cmd, log), 600)
    text = log.read_text(errors="replace")
    table = (out / "table1.md").read_text() if (out / "table1.md").exists() else ""
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if "|" in line}
    o.trials = len(names)
    for name in names:
        want = FAULT_DETECTORS[name]
        record = json.loads((out / "cells" / "vowels" / name / "fold0.json").read_text())
        ok = (
            record["status"] == "failed"
            and want in (record.get("error") or "")
            and f"FAILED vowels/{name}/fold0: " in text
            and "failed" in rows.get(name, "")
            and not (out / "cells" / "vowels" / name / "fold0.npz").exists()
        )
        o.survived += ok
        if not ok:
            o.problems.append(f"{name}: {record.get('error')!r} not reported as expected")
    if rc != 1 or "failed" in rows.get("gmm", "failed") or "Traceback" in text:
        o.problems.append(f"exit code {rc} (want 1), gmm row {rows.get('gmm')!r}")
    o.problems += [f"temp file left: {p}" for p in temp_files(out)]
    return o
