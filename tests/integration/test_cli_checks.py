"""Bad arguments are one line and exit 2 before any work; --dry-run computes nothing anywhere."""

from __future__ import annotations

import os
import sys

import pytest
import torch

from benchmark.cli.main import main


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def cwd(cwd):
    """The conftest's empty working folder, with one file in it (``a-file``)."""
    (cwd / "a-file").write_text("x")
    return cwd


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--output", "a-file"], "--output a-file: exists and is not a folder"),
        (["--output", "a-file/run"], "a-file is a file, not a folder"),
        (["--seed", "-1"], "--seed must be an integer from 0"),
        (["--n-jobs", "0"], "--n-jobs must be a positive integer or -1"),
        (["--n-jobs", "-2"], "--n-jobs must be a positive integer or -1"),
        (["--datasets", "thyroid,,cardio"], "empty data set name in 'thyroid,,cardio'"),
        (["--detectors", "gmm,"], "empty detector name in 'gmm,'"),
        (["--folds", "1"], "--folds must be at least 2 for the kfold-normal protocol"),
        (["--folds", "0", "--protocol", "dagmm"], "--folds must be a positive integer"),
        (["--timeout", "0"], "--timeout must be a positive number"),
        (["--device", "gpu"], "--device 'gpu' is not a device"),
        (["--reproduce", "dagmm", "--seeds", "0"], "--seeds must be a positive integer"),
        (["--reproduce", "dagmm", "--output", "."], "is a folder; give a file name"),
        (["--ablation", "modes", "--output", "a-file"], "exists and is not a folder"),
    ],
)
def test_bad_arguments_are_one_line_before_any_work(cwd, capsys, argv, message):
    before = _files(cwd)
    base = ["--datasets", "thyroid", "--detectors", "gmm", "--quiet"]
    assert main(base + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert _files(cwd) == before  # no output folder, no results/, no splits


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_output_under_a_read_only_parent_is_refused(cwd, capsys):
    assert main(["--datasets", "thyroid", "--output", "/proc/no-such/run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --output /proc/no-such/run: cannot write in /proc"), err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_unwritable_existing_output_folder_is_refused(cwd, capsys):
    locked = cwd / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["--datasets", "thyroid", "--output", str(locked)]) == 2
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err.strip()
    assert "cannot write in the folder" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("extra", [[], ["--dry-run"], ["--ablation", "modes", "--dry-run"]])
def test_cuda_without_a_gpu_is_one_error_up_front(cwd, capsys, monkeypatch, extra):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["--datasets", "thyroid", "--detectors", "gmm", "--device", "cuda", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--device cuda: PyTorch sees no CUDA GPU" in err, err
    assert _files(cwd) == ["a-file"]


def test_cuda_index_is_checked_against_the_gpus_present(cwd, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert main(["--datasets", "thyroid", "--device", "cuda:1", "--dry-run"]) == 2
    assert "has 1 GPU(s), cuda:0 to cuda:0" in capsys.readouterr().err
    argv = ["--datasets", "thyroid", "--detectors", "gmm", "--device", "cuda:0", "--dry-run"]
    assert main(argv) == 0


def _no_compute(*args, **kwargs):
    raise AssertionError("--dry-run started computing")


@pytest.mark.parametrize(
    ("argv", "n_cells"),
    [
        # 4 data sets x (2 latents x (4 values of m + m = 10 without MI)) x 2 folds
        (["--ablation", "modes", "--folds", "2"], 80),
        (["--reproduce", "dagmm", "--seeds", "2"], 8),  # 2 seeds x 2 data sets x 2 detectors
        (["--datasets", "thyroid,cardio", "--detectors", "gmm", "--folds", "3"], 6),
    ],
)
def test_dry_run_computes_and_writes_nothing_in_every_mode(cwd, capsys, monkeypatch, argv, n_cells):
    import benchmark.engine.harness

    monkeypatch.setattr(benchmark.engine.harness, "run", _no_compute)
    monkeypatch.setattr(benchmark.engine.harness, "execute_cell", _no_compute)
    assert main([*argv, "--dry-run", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    counts = f"{n_cells} cells: 0 done, {n_cells} to compute (dry run: nothing computed)"
    cells = lines[: lines.index(counts)]
    assert len(cells) == n_cells
    assert all(line.startswith("pending  ") and line.endswith("(missing)") for line in cells)
    assert lines[-1].split()[:3] == ["total", str(n_cells), "cells"]  # and what they cost
    assert _files(cwd) == ["a-file"]  # no run folder, no splits, no report


def test_dry_run_of_report_and_update_reference_writes_nothing(tmp_path, capsys, monkeypatch):
    import benchmark.studies.smoke_reference
    from benchmark.engine.harness import RunConfig, run
    from benchmark.studies.smoke_reference import REFERENCE

    out = tmp_path / "run"
    config = RunConfig(
        datasets=["vowels"], detectors=["gmm"], folds=2, output=out, isolate=False,
        splits_dir=tmp_path / "splits",
    )  # fmt: skip
    run(config, progress=False)
    (out / "results.csv").unlink()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["--report", str(out), "--dry-run"]) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert "over its 2 finished cells (2 ok, 0 failed)" in capsys.readouterr().out
    monkeypatch.setattr(benchmark.studies.smoke_reference, "update_reference", _no_compute)
    stamp = REFERENCE.stat().st_mtime_ns
    assert main(["--update-reference", "--dry-run"]) == 0
    assert "would rerun the smoke configuration" in capsys.readouterr().out
    assert REFERENCE.stat().st_mtime_ns == stamp
