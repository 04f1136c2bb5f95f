"""Table 2 (MMOC-GAN cat over the number of modes) from long results, and a real small run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.ablation import modes_table, run_modes_ablation


def _rows(dataset: str, m: int, fold: int, auroc: float, status: str = "ok") -> list[dict]:
    return [
        {
            "dataset": dataset,
            "detector": f"mmoc-gan-cat-m{m}",
            "fold": fold,
            "policy": policy,
            "status": status,
            "pass_acc": 0.9 if policy == "native" else 0.1,
            "non_pass_acc": 0.5,
            "f1_normal": 0.8,
            "f1_anomaly": 0.3,
            "auroc": auroc if status == "ok" else np.nan,
        }
        for policy in ("native", "train-quantile")
    ]


def test_modes_table_uses_native_rows_and_reports_mean_std():
    rows = []
    for fold, auroc in enumerate([0.7, 0.9]):
        rows += _rows("a", 1, fold, auroc) + _rows("a", 5, fold, 0.8)
    rows += _rows("b", 1, 0, 0.6) + _rows("b", 1, 1, 0.0, status="failed")
    rows += _rows("b", 7, 0, 0.6)  # an m that was not asked for
    table = modes_table(pd.DataFrame(rows), modes=(1, 5), folds=2)
    assert list(table.index) == [("a", 1), ("a", 5), ("b", 1)]
    assert table.loc[("a", 1), "AUROC"] == "0.800 ± 0.141"
    assert table.loc[("a", 5), "pass acc."] == "0.900 ± 0.000"  # native, not train-quantile
    assert table.loc[("b", 1), "AUROC"] == "0.600 ± 0.000 (1/2)"
    assert list(table.columns) == [
        "pass acc.",
        "non-pass acc.",
        "F1 (normal)",
        "F1 (anomaly)",
        "AUROC",
    ]


def test_modes_table_of_nothing_is_empty():
    assert modes_table(pd.DataFrame(), modes=(1, 5)).empty


def test_run_modes_ablation_rejects_bad_modes(tmp_path):
    with pytest.raises(ValueError, match="modes"):
        run_modes_ablation(["vowels"], tmp_path, modes=(0, 5))


@pytest.mark.slow
def test_run_modes_ablation_on_a_small_data_set(tmp_path):
    table = run_modes_ablation(["vowels"], tmp_path, folds=2, modes=(1, 3), progress=False)
    assert list(table.index) == [("vowels", 1), ("vowels", 3)]
    assert not table.isin(["failed"]).any().any()
    assert (tmp_path / "table2.md").read_text().count("vowels") == 1
    numeric = pd.read_csv(tmp_path / "table2.csv")
    assert set(numeric["m"]) == {1, 3} and (numeric["auroc_count"] == 2).all()
