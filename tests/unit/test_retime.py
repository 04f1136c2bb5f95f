"""Taking a rerun's timings into a run folder: only cells with equal scores, only the
timing fields, the score files untouched, a cell with other scores left alone."""

from __future__ import annotations

import hashlib
import json

import numpy as np
from helpers import run_config

from benchmark.atomic import atomic_save_npz
from benchmark.engine.harness import plan, run
from benchmark.store.records import read_cell
from benchmark.store.retime import main, retime


def _records(folder) -> dict:
    return {p.stem + p.parent.name: json.loads(p.read_text()) for p in folder.rglob("fold*.json")}


def test_a_rerun_gives_its_timings_to_cells_with_equal_scores_only(tmp_path, capsys):
    kw = dict(detectors=["gmm", "ocnn-neighbor"])
    assert run(run_config(tmp_path, "run", **kw), progress=False).complete
    for path in (tmp_path / "run").rglob("fold*.json"):  # as saved before CPU timing
        record = json.loads(path.read_text())
        del record["fit_cpu_seconds"], record["score_cpu_seconds"]
        path.write_text(json.dumps(record))
    assert run(run_config(tmp_path, "rerun", **kw), progress=False).complete
    # one rerun cell with other scores (its digest updated, so the rerun folder is intact)
    odd = tmp_path / "rerun" / "cells" / "vowels" / "gmm" / "fold1.json"
    with np.load(odd.with_suffix(".npz")) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["test_scores"] = arrays["test_scores"] + 1.0
    record = json.loads(odd.read_text())
    record["scores_sha256"] = atomic_save_npz(odd.with_suffix(".npz"), **arrays)
    odd.write_text(json.dumps(record))

    npz_before = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "run").rglob("*.npz")
    }
    before, rerun = _records(tmp_path / "run"), _records(tmp_path / "rerun")
    done = retime(tmp_path / "run", tmp_path / "rerun")
    assert sorted(done.retimed) == [
        "vowels/gmm/fold0",
        "vowels/ocnn-neighbor/fold0",
        "vowels/ocnn-neighbor/fold1",
    ]
    assert done.differ == ["vowels/gmm/fold1"] and not done.missing and not done.busy
    after = _records(tmp_path / "run")
    for key, record in after.items():
        if key == "fold1gmm":
            assert record == before[key]  # other scores: the record is kept as it was
            continue
        timings = {"fit_seconds", "score_seconds", "fit_cpu_seconds", "score_cpu_seconds"}
        assert {k: record[k] for k in timings} == {k: rerun[key][k] for k in timings}
        rest = {k: v for k, v in record.items() if k not in timings | {"retimed_from"}}
        assert rest == {k: v for k, v in before[key].items() if k not in timings}
        assert record["retimed_from"]["folder"] == str(tmp_path / "rerun")
    assert npz_before == {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "run").rglob("*.npz")
    }
    config = run_config(tmp_path, "run", **kw)
    assert all(read_cell(config.output, p.cell).finished for p in plan(config, dry=True))

    assert main([str(tmp_path / "run"), str(tmp_path / "rerun")]) == 1  # a cell differs
    assert "1 scores differ, record kept: vowels/gmm/fold1" in capsys.readouterr().out
    assert main([str(tmp_path), str(tmp_path / "rerun")]) == 2
    assert "not a run folder" in capsys.readouterr().err
