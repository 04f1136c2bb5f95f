"""A cell's saved record and its typed state: the one test of "finished"."""

from __future__ import annotations

import dataclasses
import json

from helpers import run_config

from benchmark.engine.harness import plan, run
from benchmark.store.records import failure_record, read_cell, write_cell
from benchmark.store.states import RecordState


def test_each_state_of_a_saved_record(tmp_path):
    config = run_config(tmp_path, isolate=False)
    cell = plan(config, dry=True)[0].cell
    assert read_cell(config.output, cell).state is RecordState.MISSING
    assert run(config, progress=False).complete
    saved = read_cell(config.output, cell)
    assert saved.finished and saved.record["status"] == "ok" and saved.reason == "done"
    other = dataclasses.replace(cell, run_seed=cell.run_seed + 1)  # another configuration
    assert read_cell(config.output, other).state is RecordState.STALE
    json_path, npz_path = cell.paths(config.output)
    npz_path.write_bytes(npz_path.read_bytes()[:-10])
    damaged = read_cell(config.output, cell)
    assert damaged.state is RecordState.DAMAGED and damaged.record is None
    assert damaged.reason == "score file does not match its record"
    json_path.write_text("{not json")
    assert read_cell(config.output, cell).reason == "corrupt result file"
    write_cell(config.output, cell, failure_record(cell, "RuntimeError: boom"), {})
    failed = read_cell(config.output, cell)
    assert failed.state is RecordState.FAILED and not failed.finished
    assert json.loads(json_path.read_text())["error"] == "RuntimeError: boom"
    # the plan carries the state: a failed cell is computed again, and not as damage
    planned = {p.cell.name: p for p in plan(config, dry=True)}
    assert planned[cell.name].state is RecordState.FAILED and not planned[cell.name].done
