"""The MMOC-GAN design study (issue 9, item 3): a real tiny run, its report, resume, CLI."""

from __future__ import annotations

import dataclasses
import json
import re

import matplotlib.image as mpimg
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from benchmark.cli.main import main
from benchmark.evaluation.preprocessing import Preprocessor
from benchmark.evaluation.protocols import make_splits
from benchmark.registry import get_dataset
from benchmark.studies.design_report import write_report
from benchmark.studies.mmoc_design import (
    GROUPS,
    LABEL_VARIANTS,
    N_GENERATED,
    TOY_VARIANTS,
    VARIANTS,
    anomaly_fraction,
    design_config,
    run_design_study,
)

FOLDS = 2
TINY = {"max_steps": 20}
NUMBER = r"(\d+\.\d+)"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The study on vowels, 2 folds, 20 steps per fit, run twice into one folder."""
    root = tmp_path_factory.mktemp("design")
    kwargs = dict(
        folds=FOLDS,
        extra_params=TINY,
        toy_steps=20,
        splits_dir=root / "splits",
        progress=False,
    )
    first = run_design_study(["vowels"], root / "design.md", **kwargs)
    first_md = first.output_md.read_text(encoding="utf-8")
    second = run_design_study(["vowels"], root / "design.md", **kwargs)
    return first, first_md, second, root


def _section(md: str, title: str) -> str:
    return md.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in rows]


def test_report_has_one_auroc_row_per_variant_with_the_cells_numbers(tiny):
    first, md, _, root = tiny
    rows = _table_rows(_section(md, "AUROC"))
    assert [r[0].strip("`") for r in rows] == list(VARIANTS) + list(LABEL_VARIANTS)
    for label, cell, below, mean in rows:
        label = label.strip("`")
        run_dir = root / "design-run"
        if label in LABEL_VARIANTS:  # run apart, eps at vowels' anomaly fraction
            run_dir = run_dir / "anomaly-fraction" / "vowels"
        folds = []
        for fold in range(FOLDS):
            record = json.loads(
                (run_dir / "cells" / "vowels" / label / f"fold{fold}.json").read_text()
            )
            folds.append(record["ranking"]["auroc"])
            if label in LABEL_VARIANTS:
                eps_q = record["cell"]["params"]["eps_quantile"]
                assert eps_q == anomaly_fraction("vowels") == pytest.approx(50 / 1456)
        assert cell == f"{np.mean(folds):.3f} ± {np.std(folds, ddof=1):.3f}"
        assert below == f"{int(np.mean(folds) < 0.5)} / 1"
        assert float(mean) == pytest.approx(np.mean(folds), abs=1e-3)


def test_landing_diagnostic_has_three_finite_groups_per_variant(tiny):
    first, md, _, _ = tiny
    landed = first.landing
    assert len(landed) == len(VARIANTS) * len(GROUPS)
    assert set(landed["group"]) == set(GROUPS)
    assert np.isfinite(landed[["median", "p90", "p_real"]].to_numpy()).all()
    assert ((landed["p_real"] >= 0) & (landed["p_real"] <= 1)).all()
    assert (landed["p90"] >= landed["median"]).all()
    assert (landed.loc[landed["group"] == "generated", "n"] == N_GENERATED).all()
    rows = _table_rows(_section(md, "Where the generated rows land (fold 0)"))
    assert [r[0].strip("`") for r in rows] == list(VARIANTS)
    for row in rows:
        groups = row[3:]
        assert len(groups) == 3
        for text in groups:
            values = [float(x) for x in re.findall(NUMBER, text)]
            assert len(values) == 3 and np.isfinite(values).all()


def test_held_out_normals_distance_matches_a_brute_force_computation(tiny):
    """Held-out normals do not depend on the model: recompute their landing by hand."""
    first, _, _, _ = tiny
    ds = get_dataset("vowels").load()
    train, test = make_splits(ds.y, "kfold-normal", FOLDS, 0)[0]
    pre = Preprocessor("minmax").fit(ds.X[train])
    X_train, X_test = pre.transform(ds.X[train]), pre.transform(ds.X[test])
    d_train = cdist(X_train, X_train)
    np.fill_diagonal(d_train, np.inf)
    spacing = np.median(d_train.min(axis=1))
    normals = X_test[ds.y[test] == 0]
    units = cdist(normals, X_train).min(axis=1) / spacing
    row = first.landing.query("variant == 'ocan-core' and group == 'held-out normals'").iloc[0]
    assert row["spacing"] == pytest.approx(spacing, rel=1e-9)
    assert row["median"] == pytest.approx(np.median(units), rel=1e-9)
    assert row["p90"] == pytest.approx(np.quantile(units, 0.9), rel=1e-9)
    assert 0.5 < row["median"] < 2.0  # a held-out normal is about one spacing from the rest


def test_refits_reproduce_the_cells_and_a_mismatch_is_reported_loudly(tiny, tmp_path):
    first, md, _, root = tiny
    assert first.refit_ok and len(first.refits) == len(VARIANTS)
    for _, r in first.refits.iterrows():
        path = root / "design-run" / "cells" / "vowels" / r["variant"] / "fold0.json"
        assert r["recorded_auroc"] == json.loads(path.read_text())["ranking"]["auroc"]
        assert abs(r["refit_auroc"] - r["recorded_auroc"]) <= 1e-9
    assert f"Refit check: all {len(VARIANTS)} fold-0 refits reproduce" in md
    assert "MISMATCH" not in md
    broken = first.refits.copy()
    broken.loc[0, ["refit_auroc", "match"]] = [broken.loc[0, "recorded_auroc"] + 0.1, False]
    broken["error"] = ""
    broken.loc[1, ["match", "error"]] = [False, "no usable cell result (failed before)"]
    study = dataclasses.replace(first, refits=broken, output_md=tmp_path / "bad.md")
    config = design_config(["vowels"], root / "design-run", folds=FOLDS, extra_params=TINY)
    write_report(study, config, command="test", toy_steps=20, extra_params=TINY)
    text = (tmp_path / "bad.md").read_text()
    assert f"**REFIT MISMATCH: 1 of {len(VARIANTS)} fold-0 refits do not reproduce" in text
    assert "**NO**" in text
    assert "1 fold-0 cells have no usable result to refit" in text
    assert f"- `vowels/{broken.loc[1, 'variant']}`: no usable cell result (failed before)" in text


def test_toy_figure_is_a_three_panel_image(tiny):
    first, md, _, root = tiny
    assert first.figure == root / "design-toy.png"
    image = mpimg.imread(first.figure)
    height, width = image.shape[:2]
    assert height > 200 and width > 2.2 * height  # three panels side by side
    assert [p.label for p in first.toy] == list(TOY_VARIANTS)
    for panel in first.toy:
        assert 0.0 <= panel.far_auroc <= 1.0 and 0.0 <= panel.share_real <= 1.0
        assert panel.p_real.min() >= 0.0 and panel.p_real.max() <= 1.0
    assert panel.preprocessing == "minmax" and first.toy[0].preprocessing == "standard"
    assert "![toy](design-toy.png)" in md
    assert len(_table_rows(_section(md, "The heavy-tailed toy"))) == len(TOY_VARIANTS)


def test_rerun_reuses_every_cell_and_reproduces_the_report(tiny):
    first, first_md, second, _ = tiny
    n = len(VARIANTS) * FOLDS
    assert first.summary.n_computed == n
    assert second.summary.n_computed == 0 and second.summary.n_skipped == n
    second_md = second.output_md.read_text(encoding="utf-8")
    for title in ("AUROC", "Where the generated rows land (fold 0)", "The heavy-tailed toy"):
        assert _section(second_md, title) == _section(first_md, title)
    assert f"cells: {n} (0 computed by this invocation, {n} reused, 0 failed)" in second_md


def test_cli_dry_run_lists_the_cells_and_computes_nothing(tmp_path, capsys):
    out = tmp_path / "d.md"
    argv = ["--study", "mmoc-design", "--datasets", "vowels", "--folds", "2", "--dry-run"]
    argv += ["--output", str(out), "--splits-dir", str(tmp_path / "splits")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    n = (len(VARIANTS) + len(LABEL_VARIANTS)) * 2  # the label variants are counted too
    assert f"{n} cells: 0 done, {n} to compute" in text
    assert "pending  vowels/earlier-core/fold1" in text
    assert "pending  vowels/eps-anomaly-fraction/fold1" in text
    assert not out.exists() and not (tmp_path / "d-run" / "cells").exists()


def test_cli_unknown_data_set_is_one_line_and_exit_2(capsys):
    assert main(["--study", "mmoc-design", "--datasets", "thyroyd"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown data set 'thyroyd'" in err and len(err.splitlines()) == 1
