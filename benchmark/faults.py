"""Fault injection: run the suite under crashes, corruption, concurrency and broken parts.

``python -m benchmark.faults`` runs every injection and prints one row per fault: trials,
how many the run survived (finished with every result intact), results lost (must be 0)
and cells recomputed. ``python -m benchmark.faults cli ARGS`` is the ordinary command
line with the deliberately broken ``fault-*`` detectors registered as well.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.fault_runs import (
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

__all__ = [
    "Outcome",
    "reference_run",
    "shared_reference",
    "crash_trial",
    "sigint_trial",
    "concurrency_trial",
    "detector_fault_trial",
    "fault_config",
    "main",
]

#: Fault-injection runs use this grid (kept small so hundreds of restarts stay cheap).
FOLDS = 3
N_CELLS = 2 * 3 * FOLDS
FAULTY = ("fault-raises", "fault-nan", "fault-inf", "fault-count", "fault-hang", "fault-killed")


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


_REFERENCES: dict[Path, Reference] = {}


def shared_reference(work: Path) -> Reference:
    """:func:`reference_run` into ``work``, computed once per process (tests share it)."""
    work = Path(work)
    if work not in _REFERENCES:
        _REFERENCES[work] = reference_run(work)
    return _REFERENCES[work]


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
    from benchmark.locking import CellLock

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
    from benchmark.fault_detectors import FAULT_DETECTORS

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


def fault_config(output: Path, **kw):
    """The RunConfig of the fault grid (as the CLI builds it) for in-process trials."""
    from benchmark.harness import RunConfig

    base = dict(
        datasets=["vowels", "cardio"],
        detectors=["gmm", "ocnn-neighbor", "ocsvm"],
        folds=FOLDS,
        n_jobs=2,
        output=Path(output),
        splits_dir=Path(output).parent / "splits",
    )
    return RunConfig(**(base | kw))


def _cli(argv: list[str]) -> int:
    import benchmark.fault_detectors  # noqa: F401  (registers the fault-* detectors)
    from benchmark.cli import main as cli_main

    return cli_main(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every fault injection and print the survival table (or ``cli ARGS``)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cli"]:
        return _cli(argv[1:])
    from benchmark.fault_trials import run_all

    p = argparse.ArgumentParser(prog="python -m benchmark.faults", description=__doc__)
    p.add_argument("--kills", type=int, default=10, help="SIGKILLs in the crash trial")
    p.add_argument("--bad-files", type=int, default=200, help="random malformed data files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    with contextlib.ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rows = run_all(work, kills=args.kills, bad_files=args.bad_files, seed=args.seed)
    from tabulate import tabulate

    headers = ["fault", "trials", "survived", "results lost", "cells recomputed"]
    print(tabulate([o.row() for o in rows], headers=headers, tablefmt="github"))
    for o in rows:
        for problem in o.problems[:10]:
            print(f"  {o.fault}: {problem}")
    ok = all(o.lost == 0 and o.survived == o.trials and not o.problems for o in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
