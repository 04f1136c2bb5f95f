"""``--detectors pyod:Class(...)``: any PyOD detector by name, checked before any work,
its class and arguments part of every cell's identity."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.cli.detector_names import parse_pyod, pyod_label, resolve_detectors
from benchmark.cli.main import main
from benchmark.engine.config import RunConfig
from benchmark.engine.plan import plan


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("pyod:KNNN", "pyod:KNNN: no PyOD detector class 'KNNN'; did you mean KNN"),
        ("pyod:KNN(n_neigbors=3)", "'n_neigbors' is not an argument of KNN (did you mean"),
        ("pyod:KNN(n_neighbors=ten)", "n_neighbors='ten' is a str, but n_neighbors takes a"),
        ("pyod:KNN(n_neighbors=True)", "is a bool"),
        ("pyod:KNN(random_state=3)", "random_state is set by the suite"),
        ("pyod:KNN(n_neighbors=3", "expected pyod:ClassName or pyod:ClassName(arg=value,...)"),
        ("pyod:KNN(n_neighbors)", "expected arg=value"),
        ("pyod:HBOS(alpha=2.0)", "pyod:HBOS: ValueError"),  # the constructor's own check
    ],
)
def test_a_bad_pyod_item_is_one_line_before_any_work(item, message, capsys, cwd):
    assert main(["--datasets", "vowels", "--detectors", f"gmm,{item}"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not (cwd / "results").exists()  # nothing was planned or written


def test_values_are_literals_or_bare_words_and_the_label_is_canonical():
    name, params = parse_pyod("pyod:KNN(n_neighbors=10,method=mean,metric_params={'p': 1})")
    assert (name, params) == (
        "KNN",
        {"n_neighbors": 10, "method": "mean", "metric_params": {"p": 1}},
    )
    assert pyod_label("KNN", {"n_neighbors": 10, "method": "mean"}) == (
        "pyod:KNN(method=mean,n_neighbors=10)"
    )
    assert (
        resolve_detectors("pyod:KNN(method=mean,n_neighbors=10)")[0]
        == resolve_detectors("pyod:KNN(n_neighbors=10, method='mean')")[0]
    )


def test_class_and_arguments_are_part_of_the_cells_identity(tmp_path):
    labels, variants = resolve_detectors("pyod:KNN,pyod:KNN(n_neighbors=3),pyod:KDE")
    config = RunConfig(
        datasets=["vowels"],
        detectors=labels,
        variants=variants,
        folds=2,
        output=tmp_path,
        splits_dir=tmp_path,
    )
    cells = [p.cell for p in plan(config, dry=True) if p.cell.fold == 0]
    assert [c.label for c in cells] == ["pyod:KNN", "pyod:KNN(n_neighbors=3)", "pyod:KDE"]
    assert len({c.config_hash() for c in cells}) == 3
    assert len({c.paths(tmp_path)[0] for c in cells}) == 3
    assert cells[1].params["estimator_params"] == {"n_neighbors": 3}


def test_a_pyod_class_runs_end_to_end(cwd, capsys):
    argv = ["--datasets", "vowels", "--folds", "2", "--quiet", "--output", "run"]
    assert main([*argv, "--detectors", "pyod:KNN(n_neighbors=3),lof"]) == 0
    results = pd.read_csv(cwd / "run" / "results.csv")
    ok = results[results["status"] == "ok"]
    assert set(ok["detector"]) == {"pyod:KNN(n_neighbors=3)", "lof"}
    assert ok.groupby("detector")["auroc"].mean().gt(0.5).all()
