"""The Dask backend on a real cluster over loopback: the local backend's numbers, a lost
worker costing only its cell, one folder shared by both backends, a lost scheduler and
Ctrl-C/SIGTERM ending the run in one line, and bad arguments refused before any work."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import cell_events, dask_cluster, one_fold_on_dask, run_killing

from benchmark.cli.main import main
from benchmark.engine.backends import DASK_MISSING
from benchmark.engine.harness import RunConfig, plan, run
from benchmark.engine.tasks import EVENT_LOG
from benchmark.faults.runs import (
    ROOT,
    cli_command,
    compare_results,
    finished_cells,
    group_alive,
    result_set,
    start_run,
    temp_files,
)
from benchmark.store.locking import CellLock, lock_path

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import benchmark.faults.detectors  # noqa: E402,F401  (registers the fault-* test doubles)
from benchmark.engine.dask_backend import LOCAL_ALLOWED_FAILURES  # noqa: E402

#: The grid both backends run: two bundled sets, two classical detectors and a small GAN.
GRID = dict(
    datasets=["vowels", "arrhythmia"],
    detectors=["gmm", "ocsvm", "rgan"],
    folds=2,
    detector_params={"rgan": {"max_steps": 30}},
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes of one thread; each logs when it starts and ends a cell."""
    with dask_cluster(tmp_path_factory.mktemp("dask") / "events.log", 2) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def both(cluster, tmp_path_factory):
    """The grid run by the local backend (2 jobs) and by the Dask backend, same seed."""
    work = tmp_path_factory.mktemp("both")
    common = dict(GRID, splits_dir=work / "splits")
    local = run(RunConfig(**common, output=work / "local", n_jobs=2), progress=False)
    dask_ = run(
        RunConfig(
            **common, output=work / "dask", backend="dask", scheduler=cluster.scheduler_address
        ),
        progress=False,
    )
    return work, local, dask_


def test_results_equal_the_local_backends_exactly(both):
    work, local, dask_ = both
    assert local.complete and dask_.complete and dask_.n_computed == 12
    # Exact by construction: a Dask worker runs the same cell code as a local child, with
    # the same seed, one math thread and the same libraries; a fold computed alone equals
    # it in a group (lockstep fold batching). So every score and metric is bit for bit equal.
    assert compare_results(result_set(work / "local"), result_set(work / "dask")) == []
    keys = ["dataset", "detector", "fold", "policy"]
    a, b = (s.results.sort_values(keys).reset_index(drop=True) for s in (local, dask_))
    np.testing.assert_array_equal(a["auroc"].to_numpy(), b["auroc"].to_numpy())
    assert (a["auroc"] > 0.5).mean() > 0.8  # real detectors on real data, not zeros


def test_one_folder_is_resumed_by_either_backend(both, cluster):
    work, _, _ = both
    common = dict(GRID, splits_dir=work / "splits")
    # A local run reuses every cell the Dask run wrote ...
    again = run(RunConfig(**common, output=work / "dask", n_jobs=2), progress=False)
    assert again.complete and again.n_computed == 0 and again.n_skipped == 12
    # ... and a Dask run computes only what a local folder lacks (here: a new detector).
    more = dict(common, detectors=[*GRID["detectors"], "ocnn-neighbor"])
    dask_ = RunConfig(
        **more, output=work / "local", backend="dask", scheduler=cluster.scheduler_address
    )
    summary = run(dask_, progress=False)
    assert summary.complete and summary.n_computed == 4 and summary.n_skipped == 12


def test_a_cell_locked_by_another_run_is_left_to_it_and_then_reused(cluster, tmp_path):
    common = dict(datasets=["vowels"], detectors=["gmm"], folds=2, splits_dir=tmp_path / "splits")
    run(RunConfig(**common, output=tmp_path / "other"), progress=False)  # "another run"
    config = RunConfig(
        **common, output=tmp_path / "run", backend="dask", scheduler=cluster.scheduler_address
    )
    cell = next(p.cell for p in plan(config, dry=True) if p.cell.fold == 0)
    theirs, ours = cell.paths(tmp_path / "other"), cell.paths(tmp_path / "run")
    lock = CellLock(lock_path(ours[0]))
    assert lock.acquire()  # the other run is computing fold 0 in this folder
    since, result = time.time(), {}
    worker = threading.Thread(target=lambda: result.update(s=run(config, progress=False)))
    worker.start()
    deadline = time.monotonic() + 60
    while "vowels/gmm/fold1" not in finished_cells(tmp_path / "run"):
        assert time.monotonic() < deadline and worker.is_alive()
        time.sleep(0.05)
    time.sleep(1)  # the Dask run now waits for the lock, and computes nothing of fold 0
    for src, dst in zip(theirs[::-1], ours[::-1]):  # the other run saves: scores, then record
        shutil.copyfile(src, dst)
    lock.release()
    worker.join(60)
    summary = result["s"]
    assert summary.complete and summary.n_computed == 1 and summary.n_skipped == 1
    started = {c for _, kind, c in cell_events(cluster.events, since) if kind == "start"}
    assert started == {"vowels/gmm/fold1"}


def _killed_once_then_as_local(cluster, tmp_path, **common) -> None:
    """Run ``common`` on the cluster, killing the worker that starts vowels/rgan/fold0
    once: the run completes, the cell ran again on another worker, and the numbers are
    those of an undisturbed local run."""
    where = dict(backend="dask", scheduler=cluster.scheduler_address)
    config = RunConfig(**common, output=tmp_path / "killed", **where)
    summary, events = run_killing(config, cluster.events, {"vowels/rgan/fold0": 1})
    assert summary.complete and summary.n_computed == 2
    starts = [pid for pid, kind, cell in events if kind == "start" and cell == "vowels/rgan/fold0"]
    assert len(starts) == 2 and starts[0] != starts[1]  # killed once, then on another worker
    local = run(RunConfig(**common, output=tmp_path / "local"), progress=False)
    assert local.complete
    assert compare_results(result_set(tmp_path / "local"), result_set(tmp_path / "killed")) == []


def test_a_worker_killed_mid_cell_costs_nothing_the_cell_is_retried(cluster, tmp_path):
    _killed_once_then_as_local(
        cluster,
        tmp_path,
        datasets=["vowels"],
        detectors=["gmm", "rgan"],
        protocol="half-normal",
        folds=1,
        detector_params={"rgan": {"max_steps": 60}},
        splits_dir=tmp_path / "splits",
    )


def test_a_fold_group_whose_worker_is_killed_is_retried_whole_with_the_local_numbers(
    cluster, tmp_path
):
    """RGAN's two folds go out as one task; its worker is killed as the group starts, the
    scheduler gives the task to the other worker, and every fold ends as a local run's."""
    _killed_once_then_as_local(
        cluster,
        tmp_path,
        datasets=["vowels"],
        detectors=["rgan"],
        folds=2,
        detector_params={"rgan": {"max_steps": 60}},
        splits_dir=tmp_path / "splits",
    )
    records = [json.loads(f.read_text()) for f in (tmp_path / "killed").rglob("fold*.json")]
    assert [r["fit_group"] for r in records] == [2, 2]  # the retry, too, as one group


def test_a_group_whose_batched_fit_breaks_is_sent_again_fold_by_fold(cluster, tmp_path):
    config = RunConfig(
        datasets=["vowels"],
        detectors=["fault-group-fit"],
        folds=2,
        output=tmp_path / "run",
        splits_dir=tmp_path / "splits",
        backend="dask",
        scheduler=cluster.scheduler_address,
    )
    since = time.time()
    summary = run(config, progress=False)
    assert summary.complete and summary.n_computed == 2 and summary.n_failed == 0
    starts = [(kind, cell) for _, kind, cell in cell_events(cluster.events, since)]
    # the group started both folds, then each fold ran as a cell of its own
    assert starts.count(("start", "vowels/fault-group-fit/fold0")) == 2
    assert starts.count(("start", "vowels/fault-group-fit/fold1")) == 2


def test_a_cell_whose_workers_keep_dying_is_recorded_failed_and_the_rest_finish(cluster, tmp_path):
    config = one_fold_on_dask(tmp_path, cluster, ["gmm", "fault-hang"])
    tries = LOCAL_ALLOWED_FAILURES + 1
    summary, events = run_killing(config, cluster.events, {"vowels/fault-hang/fold0": tries})
    assert summary.n_ok == 1 and summary.n_failed == 1  # gmm is written, the hang is not
    [failed] = summary.failed
    assert failed["cell"] == "vowels/fault-hang/fold0"
    assert failed["error"].startswith(f"worker lost: each of the {tries} Dask workers given")
    starts = {pid for pid, kind, cell in events if kind == "start" and "fault-hang" in cell}
    assert len(starts) == tries  # tried on another worker before it was given up
    assert summary.results.query("detector == 'gmm'")["auroc"].gt(0.5).all()
    # The failure is saved like any other: a rerun would reuse gmm and retry the lost cell.
    again = {p.cell.name: p.reason for p in plan(config, dry=True)}
    assert again == {"vowels/gmm/fold0": "done", "vowels/fault-hang/fold0": "failed before"}
    assert temp_files(tmp_path) == []


def test_memory_limit_fails_the_cell_on_the_worker_not_the_worker(cluster, tmp_path):
    config = one_fold_on_dask(tmp_path, cluster, ["fault-oom", "gmm"], memory_limit_mb=256)
    summary = run(config, progress=False)
    assert summary.n_ok == 1 and [f["cell"] for f in summary.failed] == ["vowels/fault-oom/fold0"]
    assert summary.failed[0]["error"].startswith("MemoryError")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args: str, log: Path, events: Path | None = None) -> subprocess.Popen:
    """``dask scheduler`` or ``dask worker`` in its own session, able to import the suite."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(EVENT_LOG, None)
    if events is not None:
        env[EVENT_LOG] = str(events)
    cmd = [str(Path(sys.executable).parent / "dask"), *args]
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, env=env, stdout=fh, stderr=fh, start_new_session=True)


def _listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.1)


def test_a_lost_scheduler_ends_the_run_in_one_line_and_a_rerun_resumes(tmp_path, capsys):
    port, events = _free_port(), tmp_path / "events.log"
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port),
                      "--no-dashboard", log=tmp_path / "scheduler.log")  # fmt: skip
    worker = _dask("worker", address, "--nthreads", "1", "--no-dashboard",
                   log=tmp_path / "worker.log", events=events)  # fmt: skip
    stop = threading.Event()

    def kill_scheduler_when_the_hang_starts():
        while not stop.is_set():
            if any("fault-hang" in cell for _, _, cell in cell_events(events, 0)):
                scheduler.kill()
                return
            time.sleep(0.05)

    out = tmp_path / "run"
    argv = ["--datasets", "vowels", "--detectors", "gmm,fault-hang", "--folds", "2",
            "--output", str(out), "--splits-dir", str(tmp_path / "splits"), "--quiet"]  # fmt: skip
    killer = threading.Thread(target=kill_scheduler_when_the_hang_starts)
    killer.start()
    try:
        _listening(port)
        code = main([*argv, "--backend", "dask", "--scheduler", address])
    finally:
        stop.set()
        killer.join()
        for proc in (scheduler, worker):
            proc.kill()
            proc.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"error: the Dask scheduler at {address} went"), err
    assert "1 of 4 cells are finished and saved in" in err[0] and "to resume" in err[0]
    saved = finished_cells(out)  # one worker: gmm fold 0 was written before the hang
    assert list(saved) == ["vowels/gmm/fold0"] and temp_files(out) == []
    assert "stopped: the Dask scheduler" in (out / "run.json").read_text()
    # The local backend resumes the folder: the saved cell is reused (same files), not redone.
    assert main([*argv, "--detectors", "gmm"]) == 0
    now = finished_cells(out)
    assert set(now) == {"vowels/gmm/fold0", "vowels/gmm/fold1"}
    assert now["vowels/gmm/fold0"] == saved["vowels/gmm/fold0"]


def test_sigterm_stops_a_dask_run_like_a_local_one(tmp_path):
    out, events, log = tmp_path / "run", tmp_path / "events.log", tmp_path / "log.txt"
    cmd = cli_command(out, datasets="vowels", detectors="gmm,fault-hang", folds=2, n_jobs=1,
                      extra=("--backend", "dask", "--local-workers", "1"), faults=True)  # fmt: skip
    proc = start_run(cmd, log, events)
    deadline = time.monotonic() + 120
    while not any("fault-hang" in c for _, _, c in cell_events(events, 0)):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # the client only, as `kill` or a batch system sends it
    assert proc.wait(60) == 143
    text = log.read_text()
    assert f"terminated (SIGTERM): 1 of 4 cells are finished and saved in {out};" in text, text
    assert "Traceback" not in text, text
    deadline = time.monotonic() + 30
    while group_alive(proc.pid):  # the local cluster's workers went with the run
        assert time.monotonic() < deadline, "worker processes outlived the run"
        time.sleep(0.1)
    assert list(finished_cells(out)) == ["vowels/gmm/fold0"] and temp_files(out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backend", "dask"], "--backend dask needs a cluster: --scheduler ADDRESS"),
        (["--local-workers", "2"], "--local-workers is for --backend dask"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --backend dask"),
        (["--backend", "dask", "--local-workers", "0"], "--local-workers must be a positive"),
        (
            ["--backend", "dask", "--local-workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler and --local-workers exclude each other",
        ),
        (["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"], "no Dask scheduler answers"),
        (["--backend", "dask", "--scheduler", "tcp://127.0.0.1:x"], "is not an address"),
        (["--backend", "dask", "--local-workers", "2", "--timeout", "5"], "--timeout is not"),
        (["--backend", "dask", "--local-workers", "2", "--n-jobs", "2"], "--n-jobs is for"),
        (["--backend", "dask", "--local-workers", "2", "--ablation", "modes"], "main benchmark"),
    ],
)
def test_bad_backend_arguments_are_one_line_before_any_work(cwd, capsys, argv, message):
    assert main(["--datasets", "vowels", "--detectors", "gmm", "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert list(cwd.iterdir()) == []  # no output folder, no splits


def test_without_dask_the_backend_is_one_line_saying_how_to_install_it(cwd, capsys, monkeypatch):
    monkeypatch.setattr("benchmark.engine.backends.find_spec", lambda name: None)
    assert main(["--datasets", "vowels", "--backend", "dask", "--local-workers", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {DASK_MISSING}" and "pip install 'mmoc-bench[dask]'" in err
    assert list(cwd.iterdir()) == []
