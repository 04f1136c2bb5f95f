"""Reports: built from a tiny finished run, valid images, regenerable after a move, sound stats."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from helpers import blobs
from PIL import Image
from scipy.stats import friedmanchisquare

from benchmark import registry
from benchmark.data.dataset import Dataset
from benchmark.data.synthetic import production_line
from benchmark.engine.harness import RunConfig, run
from benchmark.registry import DatasetSpec
from benchmark.report import write_report
from benchmark.report.stats import friedman, rank_matrix, wins
from benchmark.report.text_table import bold_best

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = {"max_steps": 3, "n_modes": 3}


def _tiny_line() -> Dataset:
    ds = production_line(n_normal=300, n_anomalies=12, n_modes=3, d=5, seed=0)
    ds.name = "tiny-line"
    return ds


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A finished 2-fold run on two small data sets, with neural and failing detectors."""
    import benchmark.report.tsne as tsne

    root = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    # A small registered data set (reloadable, with true modes) for Figures 1 and 4.
    mp.setitem(registry._DATASETS, "tiny-line", DatasetSpec("tiny-line", _tiny_line))
    mp.setattr(tsne, "N_GENERATED", 60)  # keep t-SNE cheap
    blob_set = blobs("blobs", 0, n_normal=120, n_anomalies=8, shift=5, d=4, source="")
    config = RunConfig(
        datasets=["tiny-line", "blobs"],
        detectors=["gmm", "ocnn-neighbor", "rda", "mmoc-gan-cat", "gmm-broken"],
        folds=2,
        output=root / "run",
        splits_dir=root / "splits",
        isolate=False,
        detector_params={"rda": {"max_steps": 3, "n_outer": 1}, "mmoc-gan-cat": TINY},
        variants={"gmm-broken": ("gmm", {"covariance_type": "no-such-type"})},
        extra_datasets={"blobs": blob_set},
    )
    summary = run(config, progress=False)
    assert summary.n_failed == 4  # gmm-broken on both data sets, both folds
    md = write_report(root / "run")
    yield root / "run", md
    mp.undo()


def test_report_files_and_content(tiny_run):
    run_dir, md = tiny_run
    text = md.read_text(encoding="utf-8")
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for needle in (
        "Table 1: tiny-line",
        "fine tune (ORACLE)",
        "Friedman",
        "worst rank",
        "gmm-broken",
        "Split hashes",
        "Figure 4",
        "Failed cells",
    ):
        assert needle in text, needle
    assert (
        "failed" in text.split("AUROC (mean ± std [95 % interval] over folds)")[1]
    )  # failures shown
    assert "Table 2 skipped" in text
    # self-contained HTML: every image is embedded
    assert "<img" in html and "src='data:image/png;base64," in html
    assert "src='figures/" not in html
    assert "**" in text  # best values in bold


def test_figures_are_valid_images(tiny_run):
    run_dir, _ = tiny_run
    pngs = sorted((run_dir / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    assert {
        "fig1_pca",
        "fig2_reconstruction_loss",
        "fig4_tsne",
        "auroc_boxplots",
        "cd_auroc",
        "cd_auprc",
        "losses_00",
    } <= names
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_SIGNATURE
        with Image.open(png) as im:
            im.verify()
        with Image.open(png) as im:
            assert im.size[0] >= 300 and im.size[1] >= 150, png.name
            assert np.asarray(im.convert("L")).std() > 1  # not a blank canvas
        assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"


def test_report_regenerates_after_the_folder_moves(tiny_run, tmp_path, capsys):
    """``--report`` on a copy, with the original folder gone, rebuilds the same report."""
    from benchmark.cli.main import main

    run_dir, md = tiny_run
    old = md.read_text(encoding="utf-8").splitlines()
    moved = tmp_path / "elsewhere" / "copied-run"
    shutil.copytree(run_dir, moved)
    hidden = run_dir.with_name(run_dir.name + "-hidden")
    run_dir.rename(hidden)  # the original location no longer exists
    try:
        for p in (moved / "report.md", moved / "report.html"):
            p.unlink()
        assert main(["--report", str(moved)]) == 0  # cached t-SNE: no refit
        assert "report.md" in capsys.readouterr().out
        text = (moved / "report.md").read_text(encoding="utf-8")
        assert str(hidden.parent) not in text and str(tmp_path) not in text
        for link in [s.split(")")[0] for s in text.split("](")[1:]]:
            assert (moved / link).is_file(), link
        new = text.splitlines()
        assert len(old) == len(new)
        differing = [a for a, b in zip(old, new) if a != b]
        assert all(line.startswith(("Generated ", "# Benchmark report")) for line in differing)
        assert (moved / "report.html").is_file()
    finally:
        hidden.rename(run_dir)
    assert main(["--report", str(tmp_path / "no-such-run")]) == 2


def test_friedman_matches_hand_computation():
    # 4 data sets (rows) x 3 detectors, no ties within a row.
    values = np.array([[0.9, 0.8, 0.7], [0.85, 0.9, 0.6], [0.7, 0.6, 0.5], [0.95, 0.7, 0.8]])
    mean = pd.DataFrame(values, columns=["a", "b", "c"])
    ranks, excluded = rank_matrix(mean)
    assert excluded == []
    # hand ranks (1 = best): a: 1,2,1,1 ; b: 2,1,2,3 ; c: 3,3,3,2
    assert ranks.sum().tolist() == [5.0, 8.0, 11.0]
    n, k = 4, 3
    chi2 = 12 / (n * k * (k + 1)) * (5**2 + 8**2 + 11**2) - 3 * n * (k + 1)
    result = friedman(ranks)
    assert result.statistic == pytest.approx(chi2) == pytest.approx(4.5)
    assert result.statistic == pytest.approx(friedmanchisquare(*values.T).statistic)
    assert wins(ranks).tolist() == [3, 1, 0]


def test_failed_cells_get_the_worst_rank_and_empty_rows_are_excluded():
    mean = pd.DataFrame(
        {"a": [0.9, np.nan, np.nan], "b": [np.nan, 0.7, np.nan], "c": [np.nan, np.nan, np.nan]},
        index=["d1", "d2", "undefined"],
    )
    ranks, excluded = rank_matrix(mean)
    assert excluded == ["undefined"]
    assert ranks.loc["d1"].tolist() == [1.0, 2.5, 2.5]
    assert ranks.loc["d2"].tolist() == [2.5, 1.0, 2.5]


def test_bold_best_marks_column_maxima_and_ignores_nan():
    mask = bold_best(np.array([[0.5, np.nan], [0.7, 0.2], [0.7, np.nan]]))
    assert mask.tolist() == [[False, False], [True, True], [True, False]]


def test_table2_from_ablation_cells(tmp_path):
    """Cells labelled mmoc-gan-cat-m<m> (benchmark.studies.ablation's labels) make Table 2."""
    from benchmark.report.load import RunData
    from benchmark.report.table2 import table2_tables

    rows = []
    for m, auroc in ((1, 0.8), (5, 0.9)):
        for fold in (0, 1):
            rows.append(
                {
                    "dataset": "d",
                    "detector": f"mmoc-gan-cat-m{m}",
                    "registered_name": "mmoc-gan-cat",
                    "fold": fold,
                    "policy": "native",
                    "status": "ok",
                    "config": f'{{"n_modes": {m}}}',
                    "pass_acc": 0.9,
                    "non_pass_acc": 0.5 + 0.1 * m,
                    "f1_normal": 0.9,
                    "f1_anomaly": 0.5,
                    "auroc": auroc,
                }
            )
    run = RunData(tmp_path, {}, [], pd.DataFrame(rows))
    (table,) = table2_tables(run)
    assert [r[0] for r in table.rows] == ["m = 1 (no MI: the term is 0 with one mode)", "m = 5"]
    auroc_col = table.headers.index("AUROC")
    assert table.bold[1][auroc_col] and not table.bold[0][auroc_col]
    note = table2_tables(RunData(tmp_path, {}, [], pd.DataFrame(rows[:2])))
    assert "skipped" in note and "--ablation modes" in note


def test_run_folder_table1_is_the_reports_table1(tiny_run):
    """table1.* of the run folder and the report's Table 1 are one table: same cells."""
    run_dir, md = tiny_run
    folder = pd.read_csv(run_dir / "table1.csv", keep_default_na=False)
    for ds in ("tiny-line", "blobs"):
        report = pd.read_csv(run_dir / "tables" / f"table1_{ds}.csv", keep_default_na=False)
        mine = folder[folder["dataset"] == ds].drop(columns="dataset").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, report)
        assert (run_dir / "tables" / f"table1_{ds}.md").read_text().split("\n\n")[1] in (
            run_dir / "table1.md"
        ).read_text()
    headers = list(folder.columns)
    for policy in ("native", "raw train", "fine tune (ORACLE)"):
        assert f"{policy} F1 (normal)" in headers and f"{policy} F1 (anomaly)" in headers
    assert headers[-2:] == ["AUROC", "AUPRC"]
    assert list(folder["detector"][folder["dataset"] == "blobs"]) == [
        "gmm", "ocnn-neighbor", "rda", "mmoc-gan-cat", "gmm-broken"
    ]  # fmt: skip
    assert (folder[folder["detector"] == "gmm-broken"].iloc[:, 2:] == "failed").all().all()


def test_table1_files_are_named_after_their_own_data_set(tmp_path):
    """A data set without Table 1 rows does not shift the names of the others' files."""
    from benchmark.report.document import Document
    from benchmark.report.load import RunData
    from benchmark.report.render import _table_sections

    rows = [
        {"dataset": "b", "detector": "gmm", "fold": fold, "policy": policy, "status": "ok"}
        | {m: 0.5 + 0.1 * fold for m in ("pass_acc", "non_pass_acc", "acc", "auroc", "auprc")}
        | {"f1_normal": 0.9, "f1_anomaly": 0.4}
        for fold in (0, 1)
        for policy in ("native", "train-quantile", "oracle-f1")
    ]
    run = RunData(tmp_path, {}, [], pd.DataFrame(rows), datasets=["a", "b"], detectors=["gmm"])
    _table_sections(Document(tmp_path), run, tmp_path)
    assert not list(tmp_path.glob("table1_a.*"))
    assert "Table 1: b" in (tmp_path / "table1_b.md").read_text()


def test_mean_std_has_one_format():
    """Table 1 cells, matrices and studies share one layout: 3 decimals, (k/n), n/a, failed."""
    from benchmark.report.text_table import format_mean_std, mean_std_of_values

    assert mean_std_of_values(pd.Series([0.7, 0.9, np.nan]), 3) == "0.800 ± 0.141 (2/3)"
    assert mean_std_of_values(pd.Series([0.5])) == "0.500 ± 0.000"
    assert mean_std_of_values(pd.Series([np.nan, np.nan]), 2) == "n/a"
    assert mean_std_of_values(pd.Series([], dtype=float)) == "failed"
    assert format_mean_std(0.8, np.nan, 1, 2) == "0.800 ± 0.000 (1/2)"
    assert format_mean_std(np.nan, np.nan, 1, 2) == "n/a (1/2)"
    assert format_mean_std(0.12345, 0.01, digits=4) == "0.1235 ± 0.0100"


def test_figure4_refit_is_the_cells_model(tiny_run):
    """Figure 4 refits through the cell pipeline: the refit scores are the saved ones."""
    from benchmark.evaluation.cell import Cell
    from benchmark.evaluation.compute import fit_cell
    from benchmark.evaluation.inputs import CellInputs
    from benchmark.evaluation.protocols import make_splits
    from benchmark.registry import detectors
    from benchmark.report.load import load_run

    run = load_run(tiny_run[0])
    rec = run.record("tiny-line", "gmm", 1)
    cell = Cell(**rec["cell"])
    ds = registry.datasets()["tiny-line"].load()
    train, test = make_splits(ds.y, cell.protocol, cell.folds, cell.run_seed)[1]
    fitted = fit_cell(cell, CellInputs(ds.X[train], ds.X[test], ds.y[test]), detectors()["gmm"].cls)
    saved = run.scores("tiny-line", "gmm", 1)["test_scores"]
    np.testing.assert_allclose(fitted.detector.decision_function(fitted.X_test), saved, rtol=1e-9)


def test_report_modules_read_files_and_never_reach_the_harness():
    """No module of benchmark.report imports the harness, even through another module."""
    from import_graph import import_graph

    graph = import_graph()
    report = [m for m in graph if m == "benchmark.report" or m.startswith("benchmark.report.")]
    for module in report:
        seen, todo = set(), [module]
        while todo:
            for target in graph[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        assert "benchmark.engine.harness" not in seen, module
