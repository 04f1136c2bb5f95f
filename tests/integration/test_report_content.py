"""The report's runtime table, Table-2 hint, figure fixes and LaTeX escaping, checked on files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import blobs
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

from benchmark.engine.harness import RunConfig, run
from benchmark.report import figures, write_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A finished run (rda with two outer iterations, gmm, ocnn-neighbor) and its report,
    with the figures kept open for inspection."""
    root = tmp_path_factory.mktemp("content")
    shape = dict(n_normal=90, n_anomalies=9, shift=3, d=4)
    sets = {"my_data": blobs("my_data", 0, **shape), "b": blobs("b", 1, **shape)}
    config = RunConfig(
        datasets=list(sets),
        detectors=["rda", "gmm", "ocnn-neighbor"],
        folds=2,
        output=root / "run",
        splits_dir=root / "splits",
        isolate=False,
        extra_datasets=sets,
        detector_params={"rda": {"max_steps": 6, "n_outer": 3, "n_inner": 2}},
    )
    run(config, progress=False)
    figs = {}
    save = figures.save_figure

    def keep(fig, folder, stem):
        path = save(fig, folder, stem)
        figs[stem] = fig  # laid out by savefig; still inspectable after close
        return path

    mp = pytest.MonkeyPatch()
    mp.setattr(figures, "save_figure", keep)
    md = write_report(root / "run", tsne=False)
    mp.undo()
    return root / "run", md.read_text(encoding="utf-8"), figs


def test_runtime_table_comes_from_the_cells(report):
    out, text, _ = report
    cells = [json.loads(p.read_text()) for p in out.glob("cells/b/gmm/fold*.json")]
    fit = np.mean([c["fit_seconds"] for c in cells])
    score = np.mean([c["score_seconds"] for c in cells])
    table = pd.read_csv(out / "tables" / "runtime.csv")
    assert list(table.columns) == ["dataset", "rda", "gmm", "ocnn-neighbor"]
    row = table[table["dataset"] == "b"].iloc[0]
    assert row["gmm"] == f"{fit:.2f} + {score:.2f}"
    assert "**Runtime: fit + score seconds per cell" in text
    # the last row: CPU seconds summed over every cell of the detector (both data sets)
    every = [json.loads(p.read_text()) for p in out.glob("cells/*/gmm/fold*.json")]
    cpu = sum(c["fit_cpu_seconds"] + c["score_cpu_seconds"] for c in every)
    last = table.iloc[-1]
    assert last["dataset"] == "CPU time, all cells" and last["gmm"] == f"{cpu:.1f}"


def test_table2_hint_names_the_command_line_flag(report):
    _, text, _ = report
    assert "Table 2 skipped" in text and "--ablation modes" in text
    assert "benchmark/studies/ablation.py" not in text


def test_latex_tables_escape_underscores(report):
    out, _, _ = report
    tex = (out / "tables" / "matrix_auroc.tex").read_text()
    body = [line for line in tex.splitlines() if not line.startswith("%")]
    assert any("my\\_data" in line for line in body)
    assert not any("my_data" in line for line in body)
    assert "$\\pm$" in tex


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _assert_title_clear(fig) -> None:
    renderer = FigureCanvasAgg(fig).get_renderer()  # the figure was closed after saving
    title = fig._suptitle.get_window_extent(renderer)
    for ax in fig.axes:
        if ax.get_visible():
            assert not _overlaps(title, ax.title.get_window_extent(renderer)), ax.get_title()
            assert not _overlaps(title, ax.get_window_extent(renderer)), ax.get_title()


@pytest.mark.parametrize("stem", ["auroc_boxplots", "fig2_reconstruction_loss", "losses_00"])
def test_figure_title_clears_the_panel_titles(report, stem):
    _assert_title_clear(report[2][stem])


def test_box_plot_title_clears_the_panels_of_a_full_benchmark(tmp_path):
    """13 data sets x 11 detectors (make bench's shape): the title overlapped panel 2."""
    rng = np.random.default_rng(0)
    dss, dets = [f"set-{i}" for i in range(13)], [f"detector-{j}" for j in range(11)]
    rows = [
        {"dataset": d, "detector": t, "fold": k, "policy": "train-quantile", "status": "ok",
         "auroc": rng.uniform(0.4, 1.0)}
        for d in dss for t in dets for k in range(5)
    ]  # fmt: skip
    kept = {}
    save = figures.save_figure
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            figures, "save_figure", lambda fig, f, s: kept.setdefault(s, fig) and save(fig, f, s)
        )
        figures.auroc_boxplots(pd.DataFrame(rows), dss, dets, tmp_path)
    _assert_title_clear(kept["auroc_boxplots"])


def test_rda_loss_runs_forward_over_its_outer_iterations(report):
    fig = report[2]["losses_00"]
    ax = next(a for a in fig.axes if a.get_title() == "rda")
    lines = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["reconstruction"]  # no 'outer' curve
    x = np.asarray(lines[0].get_xdata(), dtype=float)
    assert len(x) > 3 and (np.diff(x) > 0).all()
    assert "outer" in ax.get_xlabel()


def test_figure2_says_its_edge_bins_are_clipped(report):
    fig = report[2]["fig2_reconstruction_loss"]
    notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert notes and all("clipped at the 0.5 / 99.5 % quantiles" in n for n in notes)


def test_cd_diagram_gives_eleven_detectors_eleven_colours(tmp_path):
    names = [f"detector-{i}" for i in range(11)]
    ranks = pd.Series(np.linspace(1, 11, 11), index=names)
    pvalues = pd.DataFrame(0.5, index=names, columns=names)
    kept = {}
    save = figures.save_figure
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            figures, "save_figure", lambda fig, f, s: kept.setdefault("f", fig) and save(fig, f, s)
        )
        figures.cd_diagram(ranks, pvalues, "auroc", 13, tmp_path)
    labels = kept["f"].axes[0].texts
    assert len(labels) == 11 and len({t.get_color() for t in labels}) == 11


def test_runtime_cpu_row_says_how_many_cells_record_cpu_time():
    from benchmark.report.rank_tables import runtime_table

    base = dict(policy="train-quantile", status="ok", dataset="a", fit_seconds=2.0)
    frame = pd.DataFrame(
        [
            base
            | dict(detector="x", score_seconds=1.0, fit_cpu_seconds=1.5, score_cpu_seconds=0.5),
            base
            | dict(detector="x", score_seconds=1.0, fit_cpu_seconds=None, score_cpu_seconds=None),
            base
            | dict(detector="y", score_seconds=1.0, fit_cpu_seconds=None, score_cpu_seconds=None),
        ]
    )
    table = runtime_table(frame, ["a"], ["x", "y"])
    assert table.rows[-2] == ["total, all cells", "6.0", "3.0"]
    assert table.rows[-1] == ["CPU time, all cells", "2.0 (1 of 2)", "—"]
