"""The Dask backend's units of work: a fold-batchable detector's folds go out as one task,
and the numbers are the local backend's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import saved_cells

from benchmark.cli.main import main
from benchmark.registry import get_dataset

distributed = pytest.importorskip("distributed")

from benchmark.engine.dask_task import compute_group_on_worker  # noqa: E402

#: Two bundled sets, a classical detector (one cell a task) and a GAN (a fold group).
ARGS = [
    "--datasets", "vowels,arrhythmia",
    "--detectors", "gmm,rgan",
    "--folds", "3",
    "--preset", "smoke",
    "--quiet",
]  # fmt: skip


def _same_scores(a: dict, b: dict) -> None:
    """Exact: a Dask worker runs the cell (or the group) through the code a local worker
    runs, with the same seed, one math thread and the same libraries, and a fold fitted in
    its group equals its lone fit by construction (lockstep fold batching,
    ``detectors/neural/fold_batch.py``). So every score is bit for bit equal."""
    assert sorted(a) == sorted(b) and len(a) == 12
    for name in a:
        assert a[name][0]["status"] == b[name][0]["status"] == "ok", name
        for key, values in a[name][1].items():
            np.testing.assert_array_equal(values, b[name][1][key], err_msg=f"{name} {key}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, list[list[int]], list[list]]:
    """The grid by the local backend, then by a local Dask cluster of two workers, with and
    without fold batching; the size of every task each Dask run sent (cells in it), and
    the arguments of every task and of every scatter of the first Dask run."""
    work = tmp_path_factory.mktemp("dask-groups")
    common = [*ARGS, "--splits-dir", str(work / "splits")]
    assert main([*common, "--n-jobs", "2", "--output", str(work / "local")]) == 0
    sent: list[int] = []
    args_sent: list[tuple] = []
    scattered: list = []
    submit, scatter = distributed.Client.submit, distributed.Client.scatter

    def counting(self, func, *args, **kwargs):
        sent.append(len(args[0]) if func is compute_group_on_worker else 1)
        args_sent.append(args)
        return submit(self, func, *args, **kwargs)

    def scattering(self, data, *args, **kwargs):
        scattered.append(data)
        return scatter(self, data, *args, **kwargs)

    dask = ["--backend", "dask", "--local-workers", "2"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(distributed.Client, "submit", counting)
        mp.setattr(distributed.Client, "scatter", scattering)
        assert main([*common, *dask, "--output", str(work / "dask")]) == 0
        n_grouped, n_scattered = len(sent), len(scattered)
        argv = [*common, *dask, "--no-fold-batching", "--output", str(work / "dask-alone")]
        assert main(argv) == 0
    first = [args_sent[:n_grouped], scattered[:n_scattered]]
    return work, [sent[:n_grouped], sent[n_grouped:]], first


def test_dask_computes_fold_groups_and_equals_the_local_backend(runs):
    work, sent, _ = runs
    local, dask = saved_cells(work / "local"), saved_cells(work / "dask")
    _same_scores(local, dask)
    for name, (record, _) in dask.items():
        expected = 3 if "/rgan/" in name else None  # the GAN's 3 folds fitted together
        assert record.get("fit_group") == expected, name
        assert local[name][0].get("fit_group") == expected, name
    # per data set: one task for RGAN's 3 folds, one per GMM fold
    assert sorted(sent[0]) == [1] * 6 + [3, 3]


def test_without_fold_batching_dask_fits_each_fold_alone_with_the_same_numbers(runs):
    work, sent, _ = runs
    alone = saved_cells(work / "dask-alone")
    assert all("fit_group" not in record for record, _ in alone.values())
    assert sent[1] == [1] * 12
    _same_scores(saved_cells(work / "dask"), alone)


def test_a_data_sets_rows_reach_the_workers_once_and_tasks_carry_only_indices(runs):
    _, _, (task_args, scattered) = runs
    # one scatter per data set (vowels, arrhythmia), each to every worker, whole
    assert [type(rows).__name__ for rows in scattered] == ["DatasetRows"] * 2
    shapes = sorted(rows.X.shape for rows in scattered)
    assert shapes == sorted(get_dataset(n).load().X.shape for n in ("vowels", "arrhythmia"))
    for args in task_args:  # 8 tasks: each the rows' future and its folds' 1-D indices
        futures = [a for a in args if isinstance(a, distributed.Future)]
        assert len(futures) == 1
        arrays = [x for x in _leaves(args) if isinstance(x, np.ndarray)]
        assert arrays and all(x.ndim == 1 and x.dtype == np.int64 for x in arrays)


def _leaves(value):
    """Every item of nested tuples and lists."""
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
