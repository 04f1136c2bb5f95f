"""Collapse is caught, not hidden: near-constant training scores or a vanished weight matrix
give a CollapseWarning that the harness records in the cell; healthy fits stay silent."""

from __future__ import annotations

import json
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import run_config
from torch import nn

from benchmark.base import COLLAPSE_SPREAD, CollapseWarning, Detector, score_spread
from benchmark.engine.fold_groups import compute_group
from benchmark.engine.harness import plan, run
from benchmark.evaluation.preprocessing import Preprocessor
from benchmark.registry import get_dataset, get_detector, register_detector
from benchmark.report import write_report
from detectors.neural.training import WEIGHT_COLLAPSE_RATIO, NeuralDetector, initial_norm
from detectors.rgan import RGAN


@pytest.fixture(scope="module")
def vowels() -> np.ndarray:
    """Vowels' normal rows, standardised as the harness does (real data, 1406 x 12)."""
    ds = get_dataset("vowels").load()
    normal = ds.X[ds.y == 0]
    return Preprocessor("standard").fit(normal).transform(normal)


def _collapses(det: Detector, X: np.ndarray) -> list[str]:
    """The CollapseWarnings ``det.fit(X)`` emits (every other warning let through)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CollapseWarning)
        det.fit(X)
    found = [str(w.message) for w in caught if issubclass(w.category, CollapseWarning)]
    assert found == det.collapse_
    return found


class Flat(Detector):
    """Scores a constant plus a trace of the input: a model that stopped looking at it."""

    def __init__(self, level: float = 3.0, trace: float = 1e-9):
        self.level = level
        self.trace = trace

    def _fit(self, X: np.ndarray) -> None:
        pass

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self.level + self.trace * X[:, 0]


def test_score_spread():
    assert score_spread(np.arange(101.0)) == (90.0, 95.0)
    assert score_spread(np.full(50, 0.5)) == (0.0, 0.5)
    scores = np.r_[np.zeros(96), np.arange(1.0, 5.0)]  # 96 % of the rows share one score
    assert score_spread(scores) == (0.0, 0.0)


@pytest.mark.parametrize("level, trace", [(3.0, 1e-9), (0.5, 0.0), (0.0, 0.0)])
def test_near_constant_scores_warn_with_the_detector_and_the_number(vowels, level, trace):
    det = Flat(level, trace)
    (message,) = _collapses(det, vowels)
    assert message.startswith("Flat: training scores near-constant: relative spread")
    spread, scale = score_spread(det.decision_scores_)
    ratio = spread / scale if scale else 0.0
    assert f"relative spread {ratio:.3g} " in message and f"below {COLLAPSE_SPREAD:g}" in message


def test_a_small_but_real_spread_does_not_warn(vowels):
    assert _collapses(Flat(3.0, 1e-2), vowels) == []  # relative spread ~3e-3 still ranks


@pytest.mark.parametrize("name", ["gmm", "ocnn-neighbor", "ocsvm", "ocnn-network"])
def test_healthy_detectors_do_not_warn(vowels, name):
    det = get_detector(name).build("smoke", **get_detector(name).runtime_params(0, "cpu"))
    assert _collapses(det, vowels) == []


class Decays(NeuralDetector):
    """A one-layer network trained on weight decay alone: its weights go to zero (the
    scores use a fixed projection, so only the weight check can see the collapse)."""

    def __init__(self, steps: int = 20, random_state: int | None = 0, device: str = "cpu"):
        self.steps = steps
        self.random_state = random_state
        self.device = device

    def _fit(self, X: np.ndarray) -> None:
        self._setup()
        with self._seeded():
            self.net_ = nn.Linear(X.shape[1], 4)
            self.kept_ = nn.Linear(X.shape[1], 4)  # trained too, but on a loss that keeps it
        opt = torch.optim.SGD([*self.net_.parameters(), *self.kept_.parameters()], lr=0.4)
        target = self.kept_.weight.detach().clone()
        for _ in range(self.steps):
            opt.zero_grad()
            loss = (self.net_.weight**2).sum() + ((self.kept_.weight - target) ** 2).sum()
            loss.backward()
            opt.step()
        self.direction_ = np.linspace(-1.0, 1.0, X.shape[1])

    def _score(self, X: np.ndarray) -> np.ndarray:
        return X @ self.direction_


class DecaysUnchecked(Decays):
    collapse_modules = ("kept_",)  # declares which modules to check: not the decaying one


def test_a_vanished_weight_matrix_warns_and_names_the_layer(vowels):
    det = Decays()
    (message,) = _collapses(det, vowels)
    before, after = initial_norm(det.net_.weight), float(det.net_.weight.detach().norm())
    assert after < 1e-6 * before  # 0.2**20 of it
    assert message.startswith("Decays: weight net_.weight collapsed: norm")
    assert f"{before:.3g} at initialisation" in message
    assert f"below {WEIGHT_COLLAPSE_RATIO:g}" in message
    assert _collapses(Decays(steps=1), vowels) == []  # one step: 0.2 of the norm, kept
    assert _collapses(DecaysUnchecked(), vowels) == []  # not among the declared modules


class OneFoldCollapses(RGAN):
    """RGAN whose discriminator is shrunk to 1e-4 after training in the fold seeded
    ``collapsed_seed``: a collapse of one fold of a group."""

    collapsed_seed: ClassVar[int] = 1

    def _after_training(self, X: np.ndarray, gen: torch.Generator) -> None:
        if self.random_state == self.collapsed_seed:
            with torch.no_grad():
                for param in self.discriminator_.parameters():
                    param.mul_(1e-4)
        super()._after_training(X, gen)


def test_gan_group_fits_are_checked_per_fold(vowels):
    """fit_group (the GANs' only path) runs the checks; each warning names its own fold."""
    dets = [OneFoldCollapses(max_steps=5, random_state=s, device="cpu") for s in (0, 1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CollapseWarning)
        OneFoldCollapses.fit_group(dets, [vowels[:700], vowels[700:]])
    assert dets[0].collapse_ == []
    sources = [w.message.source for w in caught if issubclass(w.category, CollapseWarning)]
    assert sources == [dets[1]] * len(dets[1].collapse_)
    assert dets[1].collapse_[0].startswith("rgan: training scores near-constant")
    weights = [m for m in dets[1].collapse_ if "weight discriminator_." in m]
    assert len(weights) == 3 and all("0.0001 of its" in m for m in weights)  # 2 trunk + head


@pytest.mark.parametrize("name", ["rgan", "ocan"])
def test_healthy_gans_do_not_warn(vowels, name):
    spec = get_detector(name)
    det = spec.build("smoke", **spec.runtime_params(0, "cpu"))
    assert _collapses(det, vowels) == []
    weights = [p for m in det._checked_modules().values() for p in m.parameters() if p.ndim > 1]
    assert weights and all(initial_norm(p) for p in weights)  # every matrix was recorded


@register_detector("collapse-flat", hidden=True)
class RegisteredFlat(Flat):
    """A registered Flat, so that a run can use it by name."""


def test_the_cell_records_the_warning(tmp_path):
    out = tmp_path / "run"
    config = run_config(tmp_path, detectors=["collapse-flat", "gmm"], preset="smoke", isolate=False)
    assert run(config, progress=False).complete
    for fold in (0, 1):
        record = json.loads((out / f"cells/vowels/collapse-flat/fold{fold}.json").read_text())
        (warning,) = record["warnings"]
        assert warning["category"] == "CollapseWarning"
        assert warning["message"].startswith("collapse-flat: training scores near-constant")
        healthy = json.loads((out / f"cells/vowels/gmm/fold{fold}.json").read_text())
        assert "CollapseWarning" not in json.dumps(healthy.get("warnings", []))
    table = pd.read_csv(out / "results.csv", keep_default_na=False)
    flagged = table[table["warnings"].str.contains("CollapseWarning")]
    assert set(flagged["detector"]) == {"collapse-flat"}
    report = write_report(out, tsne=False).read_text(encoding="utf-8")
    section = report.split("### Warnings")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if "CollapseWarning" in line]
    assert len(rows) == 2  # one per fold: each message has its fold's numbers
    assert all(r.startswith("| collapse-flat ") and "scores near-constant" in r for r in rows)


def test_a_group_records_the_warning_in_its_own_fold_only(tmp_path):
    """compute_group (one child fitting a GAN's folds together) gives the collapsed fold
    its warning and leaves the other folds' records clean."""
    config = run_config(tmp_path, detectors=["rgan"], folds=3, preset="smoke")
    pending = plan(config)
    cls = type("MiddleFoldCollapses", (OneFoldCollapses,), {})
    cls.collapsed_seed = pending[1].cell.seed
    results = compute_group([p.cell for p in pending], [p.inputs for p in pending], cls)
    collapse = [
        [w for w in record.get("warnings", []) if w["category"] == "CollapseWarning"]
        for record, _ in results
    ]
    assert [len(c) for c in collapse][::2] == [0, 0] and len(collapse[1]) >= 2
    assert all(record["status"] == "ok" for record, _ in results)
