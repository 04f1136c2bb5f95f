"""A data set's rows on a Dask cluster when every worker holding them dies: the client
scatters them again and the run ends with the local backend's numbers; a cell that keeps
killing every holder is recorded ``worker lost`` and the run goes on."""

from __future__ import annotations

import pytest
from helpers import dask_cluster, one_fold_on_dask, run_killing, saved_cells

from benchmark.engine.config import RunConfig
from benchmark.engine.harness import run

distributed = pytest.importorskip("distributed")

import benchmark.faults.detectors  # noqa: E402,F401  (registers the fault-* test doubles)
from benchmark.engine.dask_backend import LOCAL_ALLOWED_FAILURES  # noqa: E402


@pytest.fixture(scope="module")
def lone(tmp_path_factory):
    """One worker process: when it dies, so does every copy of the rows it held."""
    with dask_cluster(tmp_path_factory.mktemp("dask-lone") / "events.log", 1) as cluster:
        yield cluster


@pytest.fixture
def scatters(monkeypatch) -> list:
    """The data each scatter of the test sent."""
    sent: list = []
    scatter = distributed.Client.scatter

    def counting(self, data, *args, **kwargs):
        sent.append(data)
        return scatter(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", counting)
    return sent


def test_rows_lost_with_their_only_worker_are_sent_again_and_nothing_changes(
    lone, tmp_path, scatters
):
    common = dict(
        datasets=["vowels"],
        detectors=["gmm", "rgan"],
        folds=2,
        detector_params={"rgan": {"max_steps": 40}},
        splits_dir=tmp_path / "splits",
    )
    where = dict(backend="dask", scheduler=lone.scheduler_address)
    config = RunConfig(**common, output=tmp_path / "killed", **where)
    summary, events = run_killing(config, lone.events, {"vowels/rgan/fold0": 1})
    assert summary.complete and summary.n_computed == 4 and summary.n_failed == 0
    starts = [pid for pid, kind, cell in events if kind == "start" and cell == "vowels/rgan/fold0"]
    assert len(starts) == 2 and starts[0] != starts[1]  # on the restarted worker
    assert len(scatters) == 2  # vowels' rows, then again after the worker died
    assert run(RunConfig(**common, output=tmp_path / "local"), progress=False).complete
    # Exact by construction: the same cell code, seed, thread count and libraries on the
    # same machine; a fold computed in its group equals its lone fit (lockstep batching).
    a, b = saved_cells(tmp_path / "local"), saved_cells(tmp_path / "killed")
    assert sorted(a) == sorted(b) and len(a) == 4
    for name in a:
        assert b[name][0]["status"] == "ok", name
        for key, values in a[name][1].items():
            assert (values == b[name][1][key]).all(), f"{name} {key}"


def test_a_cell_that_keeps_killing_every_holder_of_its_rows_is_recorded_failed(
    lone, tmp_path, scatters
):
    config = one_fold_on_dask(tmp_path, lone, ["fault-hang"])
    tries = LOCAL_ALLOWED_FAILURES + 1
    summary, events = run_killing(config, lone.events, {"vowels/fault-hang/fold0": tries})
    assert summary.n_failed == 1 and summary.n_ok == 0
    [failed] = summary.failed
    assert failed["error"].startswith("worker lost: every Dask worker holding this cell's rows")
    assert f"{tries} times" in failed["error"]
    assert [kind for _, kind, _ in events].count("start") == tries
    assert len(scatters) == tries  # the rows went out again for each retry, no more


def test_a_file_backed_data_set_is_scattered_from_its_row_file(
    lone, tmp_path, scatters, monkeypatch
):
    """A large data set lives in a row file on the client (here: every data set, by
    lowering the threshold); its rows are read once and scattered, with the numbers of a
    local run of the same cells."""
    import benchmark.evaluation.inputs as inputs

    common = dict(datasets=["vowels"], detectors=["gmm"], folds=2, splits_dir=tmp_path / "s")
    assert run(RunConfig(**common, output=tmp_path / "local"), progress=False).complete
    monkeypatch.setattr(inputs, "FILE_BACKED_BYTES", 0)
    where = dict(backend="dask", scheduler=lone.scheduler_address)
    summary = run(RunConfig(**common, output=tmp_path / "dask", **where), progress=False)
    assert summary.complete and summary.n_computed == 2
    [rows] = scatters
    from benchmark.registry import get_dataset

    assert (rows.X == get_dataset("vowels").load().X).all()
    # Exact by construction: the same rows (a row file holds X's bytes), cell code, seed
    # and libraries on this machine.
    a, b = saved_cells(tmp_path / "local"), saved_cells(tmp_path / "dask")
    assert sorted(a) == sorted(b)
    for name in a:
        for key, values in a[name][1].items():
            assert (values == b[name][1][key]).all(), f"{name} {key}"
