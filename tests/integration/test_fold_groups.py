"""Fold groups in the engine: one child fits a data set's folds together, each fold's file
is the one a per-cell run writes, and whatever the group does not finish is done per cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_config, saved_cells

import benchmark.faults.detectors  # noqa: F401  (registers fault-group-fit)
from benchmark.engine.cost import longest_first, planned_costs
from benchmark.engine.fold_groups import compute_group, fold_groups
from benchmark.engine.harness import RunConfig, plan, run
from benchmark.engine.tasks import Task
from benchmark.engine.workers import close_workers, run_task
from benchmark.store.locking import CellLock, lock_path

FOLDS = 3


def _config(tmp_path: Path, name: str, detectors: list[str], **kw) -> RunConfig:
    return run_config(
        tmp_path, name, detectors=detectors, folds=FOLDS, preset="smoke", n_jobs=2, **kw
    )


def _same_scores(a: dict, b: dict) -> None:
    """Exact: a fold fitted in its group runs the lone fit's kernels on the same operands
    (lockstep fold batching, ``detectors/neural/fold_batch.py``), and every other step of
    a cell is the same code in both paths."""
    assert sorted(a) == sorted(b)
    for name in a:
        for key, values in a[name][1].items():
            np.testing.assert_array_equal(values, b[name][1][key], err_msg=f"{name} {key}")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("groups")
    dets = ["ocan", "mmoc-gan-mix", "gmm"]
    grouped = run(_config(tmp, "grouped", dets), progress=False)
    alone = run(_config(tmp, "alone", dets, fold_batching=False), progress=False)
    return tmp, grouped, alone


def test_grouped_folds_give_the_per_cell_files_exactly(both):
    tmp, grouped, alone = both
    assert grouped.complete and alone.complete and grouped.n_computed == 3 * FOLDS
    a, b = saved_cells(tmp / "grouped"), saved_cells(tmp / "alone")
    _same_scores(a, b)
    for name, (record, _) in a.items():
        batched = not name.startswith("vowels/gmm")
        assert record.get("fit_group") == (FOLDS if batched else None), name
        assert "fit_group" not in b[name][0]
        assert record["ranking"] == b[name][0]["ranking"]
        if batched:  # each fold's share of the group's time: wall clock and CPU, equal shares
            group = name.rsplit("/", 1)[0]  # data set/detector
            folds = [r for n, (r, _) in a.items() if n.rsplit("/", 1)[0] == group]
            assert {r["fit_cpu_seconds"] for r in folds} == {record["fit_cpu_seconds"]}
            assert record["fit_cpu_seconds"] > 0


def test_a_group_computes_only_its_unfinished_folds(both, tmp_path):
    tmp, _, _ = both
    config = _config(tmp, "grouped", ["ocan"])
    before = saved_cells(tmp / "grouped")
    for fold in (0, 2):  # two of the three folds are lost
        for path in config.output.glob(f"cells/vowels/ocan/fold{fold}.*"):
            path.unlink()
    again = run(config, progress=False)
    assert (again.n_computed, again.n_skipped) == (2, 1)
    after = saved_cells(tmp / "grouped")
    assert after["vowels/ocan/fold0"][0]["fit_group"] == 2  # the two, fitted together
    _same_scores(
        {k: v for k, v in after.items() if "ocan" in k},
        {k: v for k, v in before.items() if "ocan" in k},
    )


def test_a_fold_locked_by_another_run_is_left_to_it(tmp_path):
    config = _config(tmp_path, "run", ["ocan"])
    pending = plan(config)
    held = CellLock(lock_path(pending[1].cell.paths(config.output)[0]))
    assert held.acquire(wait=False)
    try:
        cells, inputs = [p.cell for p in pending], [p.inputs for p in pending]
        task = Task(cells, inputs, pending[0].cls, config.output, threads=1, wait=False)
        result = run_task(task, timeout=None)  # the group's task in a warm worker
    finally:
        held.release()
        close_workers()
    assert result.held == [pending[0].cell.name, pending[2].cell.name]
    assert set(result.reply.saved) == {pending[0].cell.name, pending[2].cell.name}
    assert not pending[1].cell.paths(config.output)[0].exists()
    with_fold1 = run(config, progress=False)  # the per-cell path does the one left
    assert with_fold1.complete and with_fold1.n_computed == 1


def test_a_group_whose_batched_fit_breaks_is_computed_fold_by_fold(tmp_path):
    summary = run(_config(tmp_path, "run", ["fault-group-fit"]), progress=False)
    assert summary.complete and summary.n_computed == FOLDS
    records = saved_cells(tmp_path / "run")
    assert len(records) == FOLDS
    assert all("fit_group" not in record for record, _ in records.values())


def test_units_group_only_fold_batchable_detectors_and_keep_the_plan_order(tmp_path):
    # the quick preset: smoke's GAN folds (20 steps) cost about what a GMM fold does
    dets = ["gmm", "ocan", "mmoc-gan-cat"]
    pending = plan(run_config(tmp_path, "run", detectors=dets, folds=FOLDS, preset="quick"))
    units = fold_groups(pending, enabled=True)
    assert [[p.cell.name for p in u] for u in units][:2] == [
        ["vowels/gmm/fold0"],
        [f"vowels/ocan/fold{k}" for k in range(FOLDS)],
    ]
    assert sorted(len(u) for u in units) == [1] * FOLDS + [FOLDS, FOLDS]
    assert all(len(u) == 1 for u in fold_groups(pending, enabled=False))
    # a group holds at most max_bytes of fold rows: here room for two vowels folds
    vowels_fold = (pending[0].inputs.n_train + pending[0].inputs.n_test) * 12 * 8
    sizes = [len(u) for u in fold_groups(pending, True, max_bytes=int(2.5 * vowels_fold))]
    assert sorted(sizes) == [1] * FOLDS + [1, 1, 2, 2]
    tiny = fold_groups(pending, True, max_bytes=1)  # no room: every fold alone
    assert all(len(u) == 1 for u in tiny) and len(tiny) == len(pending)


def test_compute_group_in_process_equals_compute_cell(tmp_path):
    from benchmark.evaluation.compute import compute_cell

    pending = plan(_config(tmp_path, "run", ["mmoc-gan-cat"]))
    results = compute_group([p.cell for p in pending], [p.inputs for p in pending], pending[0].cls)
    for p, (record, arrays) in zip(pending, results):
        alone, alone_arrays = compute_cell(p.cell, p.inputs, p.cls)
        assert record["status"] == alone["status"] == "ok"
        for key in arrays:  # exact by construction (see _same_scores)
            np.testing.assert_array_equal(arrays[key], alone_arrays[key])


def test_units_start_longest_first_by_the_cost_model(tmp_path):
    # the quick preset: smoke's GAN folds (20 steps) cost about what a GMM fold does
    dets = ["gmm", "ocan", "mmoc-gan-cat"]
    pending = plan(run_config(tmp_path, "run", detectors=dets, folds=FOLDS, preset="quick"))
    units = fold_groups(pending, enabled=True)
    ordered = longest_first(units)
    cost = dict(zip((p.cell.name for p in pending), planned_costs(pending)))
    totals = [sum(cost[p.cell.name] for p in u) for u in ordered]
    assert totals == sorted(totals, reverse=True)
    assert sorted(map(id, ordered)) == sorted(map(id, units))  # the same units, reordered
    assert [len(u) for u in ordered][:2] == [FOLDS, FOLDS]  # grouped GANs before one GMM fold
    given = {name: 1.0 / c for name, c in cost.items()}  # the caller's costs are used
    totals = [sum(given[p.cell.name] for p in u) for u in longest_first(units, weights=given)]
    assert totals == sorted(totals, reverse=True) and totals != sorted(totals)
    twins = [[pending[0]], [pending[0]]]  # equal costs keep the plan order
    assert [id(u) for u in longest_first(twins)] == [id(u) for u in twins]
