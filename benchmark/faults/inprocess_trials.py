"""Faults injected into runs in this process: damaged files, a full disk, a memory limit,
cell locks and malformed data files.

Each function injects one kind of fault into a copy of a finished run (or a fresh one)
and returns an :class:`~benchmark.faults.runs.Outcome`. The cells still run in their
own children, as in any run.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from benchmark.data import DataError, load_user_file
from benchmark.engine.harness import plan, run
from benchmark.engine.tasks import EVENT_LOG
from benchmark.faults.data import malformed_file
from benchmark.faults.detectors import FAULT_DETECTORS
from benchmark.faults.disk import disk_full
from benchmark.faults.runs import (
    Outcome,
    Reference,
    compare_results,
    fault_config,
    read_events,
    result_set,
    temp_files,
)
from benchmark.store.locking import CellLock, lock_path

__all__ = [
    "CELL_DAMAGE",
    "SPLIT_DAMAGE",
    "capture_warnings",
    "corruption_trial",
    "disk_full_trial",
    "memory_trial",
    "lock_trial",
    "bad_data_trial",
]


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _json_edit(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(p: Path) -> None:
        record = json.loads(p.read_text())
        edit(record)
        p.write_text(json.dumps(record))

    return damage


#: Ways to damage one cell's files (given its ``foldK.json``), with the reason expected.
CELL_DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated result": (_truncate, "corrupt result file"),
    "empty result": (lambda p: p.write_bytes(b""), "corrupt result file"),
    "garbage result": (lambda p: p.write_bytes(bytes(range(256)) * 3), "corrupt result file"),
    "older schema": (_json_edit(lambda r: r.update(schema=0)), "another schema"),
    "metrics missing": (_json_edit(lambda r: r.pop("ranking")), "incomplete"),
    "truncated scores": (lambda p: _truncate(p.with_suffix(".npz")), "score file"),
    "scores missing": (lambda p: p.with_suffix(".npz").unlink(), "score file"),
}


def _split_edit(change: Callable[[dict, dict], None]) -> Callable[[Path], None]:
    def damage(p: Path) -> None:
        with np.load(p) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
        change(meta, arrays)
        np.savez_compressed(p, meta=np.array(json.dumps(meta)), **arrays)

    return damage


def _drop_index(meta: dict, arrays: dict) -> None:
    arrays["train_0"] = arrays["train_0"][1:]


#: Ways to damage a saved split file, with the warning expected.
SPLIT_DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "split indices changed": (_split_edit(_drop_index), "does not match its recorded hash"),
    "split of other data": (
        _split_edit(lambda m, a: m.update(data_hash="0" * 64)),
        "other content",
    ),
    "split file truncated": (_truncate, "unreadable"),
}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def capture_warnings() -> Iterator[list[str]]:
    """Collect the suite's warnings (``benchmark.*`` loggers) while the block runs."""
    handler = _Collect()
    logger = logging.getLogger("benchmark")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)  # even when the root logger shows errors only
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _copy_run(ref: Reference, dest: Path) -> Path:
    out = Path(dest) / "run"
    if out.parent.exists():
        shutil.rmtree(out.parent)
    shutil.copytree(ref.output, out)
    shutil.copytree(ref.output.parent / "splits", out.parent / "splits")
    return out


def corruption_trial(work: Path, ref: Reference, kinds: list[str], name: str = "") -> Outcome:
    """Damage files of a finished run, one cell per kind of :data:`CELL_DAMAGE` (or every
    split file for a kind of :data:`SPLIT_DAMAGE`), and rerun it: each damaged file must be
    reported by path and reason and rewritten, and the results must equal the reference."""
    o = Outcome(name or ", ".join(kinds))
    out = _copy_run(ref, Path(work) / "corrupt" / (name or kinds[0]).replace(" ", "-"))
    cells = random.Random(",".join(kinds)).sample(
        sorted(out.glob("cells/*/*/fold*.json")), len(kinds)
    )
    targets: list[tuple[Path, str]] = []
    n_cells = 0
    for kind, cell in zip(kinds, cells):
        if kind in CELL_DAMAGE:
            targets.append((cell, kind))
            n_cells += 1
        else:
            targets += [(t, kind) for t in sorted((out.parent / "splits").glob("*.npz"))]
    before = {t: t.stat().st_ino for t, _ in targets}
    for t, kind in targets:
        (CELL_DAMAGE | SPLIT_DAMAGE)[kind][0](t)
    with capture_warnings() as messages:
        summary = run(fault_config(out), progress=False)
    o.trials = len(targets)
    for t, kind in targets:
        reason = (CELL_DAMAGE | SPLIT_DAMAGE)[kind][1]
        said = [m for m in messages if str(t) in m and reason in m]
        rewritten = t.exists() and t.stat().st_ino != before[t]
        if said and rewritten:
            o.survived += 1
        else:
            o.problems.append(f"{kind} ({t.name}): reported={bool(said)}, rewritten={rewritten}")
    o.recomputed = summary.n_computed
    if summary.n_computed != n_cells:
        o.problems.append(f"{summary.n_computed} cells recomputed, {n_cells} damaged")
    problems = compare_results(ref.results, result_set(out))
    o.lost = len(problems)
    o.problems += problems
    return o


def disk_full_trial(work: Path) -> Outcome:
    """Run cells in-process with a full disk: each fails with a clear error, no partial
    file stays, and the run returns a summary instead of crashing."""
    o = Outcome("disk full (in-process run)")
    out = Path(work) / "disk-full" / "run"
    cfg = fault_config(out, datasets=["vowels"], detectors=["gmm"], folds=2, isolate=False)
    with disk_full():
        try:
            summary = run(cfg, progress=False)
        except Exception as exc:  # the guarantee is that this never happens
            o.problems.append(f"run crashed: {type(exc).__name__}: {exc}")
            return o
    o.trials = summary.n_cells
    o.survived = sum("No space left on device" in (f["error"] or "") for f in summary.failed)
    leftovers = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".lock"]
    o.problems += [f"file left behind: {p}" for p in leftovers + temp_files(out)]
    return o


def memory_trial(work: Path, limit_mib: int = 256) -> Outcome:
    """A detector that allocates 2 GiB under a ``limit_mib`` memory limit fails with
    MemoryError; the machine is never at risk and the other cells finish."""
    o = Outcome(f"memory hog under {limit_mib} MiB limit")
    out = Path(work) / "memory" / "run"
    cfg = fault_config(
        out,
        datasets=["vowels"],
        detectors=["fault-oom", "gmm"],
        folds=2,
        memory_limit_mb=limit_mib,
    )
    summary = run(cfg, progress=False)
    o.trials = 2
    errors = {f["cell"]: f["error"] for f in summary.failed}
    want = FAULT_DETECTORS["fault-oom"]
    o.survived = sum(want in (errors.get(f"vowels/fault-oom/fold{k}") or "") for k in (0, 1))
    if summary.n_ok != 2:
        o.problems.append(f"gmm cells: {summary.n_ok} ok of 2; failures {errors}")
    if o.survived != 2:
        o.problems.append(f"fault-oom errors: {errors}")
    return o


def lock_trial(work: Path) -> Outcome:
    """A cell locked by a live process is done last, after that process lets go; a lock
    file left by a dead process (a stale lock) does not block the run."""
    o = Outcome("cell locked by live / dead process", trials=2)
    out = Path(work) / "locks" / "run"
    cfg = fault_config(out, datasets=["vowels"], detectors=["gmm"], folds=3, n_jobs=1)
    cells = [p.cell for p in plan(cfg)]
    stale = lock_path(cells[2].paths(out)[0])
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(json.dumps({"pid": 2**22 + 17, "host": "gone", "since": 0}))
    live = CellLock(lock_path(cells[0].paths(out)[0]))
    live.acquire()
    events = out.parent / "events.log"
    os.environ[EVENT_LOG] = str(events)
    try:
        runner = threading.Thread(target=lambda: o.__dict__.update(summary=run(cfg, False)))
        runner.start()
        time.sleep(4)
        released = time.time()
        live.release()
        runner.join(300)
    finally:
        os.environ.pop(EVENT_LOG, None)
    summary = o.__dict__.pop("summary", None)
    lines = [line.split() for line in events.read_text().splitlines()]
    start = {parts[3]: float(parts[0]) for parts in lines if parts[2] == "start"}
    if summary is not None and summary.complete and start.get(cells[0].name, 0) >= released:
        o.survived += 1
    else:
        o.problems.append(f"locked cell started at {start.get(cells[0].name)}, freed {released}")
    if summary is not None and cells[2].name in start:
        o.survived += 1
    o.recomputed = 0
    starts, _, overlaps = read_events(events)
    o.problems += [f"{c} computed {n} times" for c, n in starts.items() if n != 1] + overlaps
    return o


def bad_data_trial(work: Path, n: int = 200, seed: int = 0) -> Outcome:
    """Load ``n`` random malformed files: each ends in a valid Dataset or one DataError
    line naming the file; anything else (a traceback from pandas/numpy) is a failure."""
    o = Outcome(f"malformed data files ({n})", trials=n)
    folder = Path(work) / "bad-data"
    folder.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    for _ in range(n):
        path = malformed_file(r, folder)
        try:
            load_user_file(path)
            o.survived += 1
        except DataError as exc:
            msg = str(exc)
            if str(path) in msg and "\n" not in msg:
                o.survived += 1
            else:
                o.problems.append(f"unclear message: {msg[:200]!r}")
        except Exception as exc:
            o.problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:200]}")
        path.unlink()
    return o
