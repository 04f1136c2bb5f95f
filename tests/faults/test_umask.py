"""Output files respect the umask: a shared results folder is readable by colleagues."""

from __future__ import annotations

import os
import stat

import pytest
from helpers import blobs, run_config

from benchmark.atomic import atomic_write_text, current_umask
from benchmark.engine.harness import run
from benchmark.report import write_report


@pytest.fixture
def umask():
    """Set the umask for one test, then restore it."""
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_atomic_writes_get_0666_less_the_umask(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    atomic_write_text(tmp_path / "f.txt", "x")
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o666 & ~mask


def test_every_file_of_a_run_folder_follows_the_umask(tmp_path, umask):
    umask(0o027)
    ds = blobs("blobs", 0, n_normal=60, shift=5)
    out = tmp_path / "run"
    config = run_config(
        tmp_path,
        datasets=["blobs"],
        detectors=["gmm", "ocnn-neighbor", "ocsvm"],
        isolate=False,
        extra_datasets={"blobs": ds},
    )
    run(config, progress=False)
    write_report(out, tsne=False)
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"results.csv", "table1.tex", "run.json", "report.html", "fold0.json"} <= names
    assert {"fold0.npz", "fold0.lock", "auroc_boxplots.png"} <= names
    modes = {p.relative_to(out).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {oct(0o640)}, modes
