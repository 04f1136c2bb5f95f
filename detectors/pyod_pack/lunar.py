"""LUNAR (Goodge et al., AAAI 2022) through PyOD's ``LUNAR``."""

from __future__ import annotations

from pyod.models.lunar import LUNAR

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import LUNAR_COST
from detectors.pyod_pack.wrapper import TorchPyODWrapper

__all__ = ["LUNARDetector"]


@register_detector(
    "lunar",
    group="extended",
    cost=LUNAR_COST,
    presets={"quick": {}, "paper": {}, "smoke": {"n_epochs": 20}},
    summary="LUNAR: a learned message-passing weighting of k=5 neighbour distances (Goodge 2022)",
    # The exact neighbour search runs over twice the training rows (negative samples are
    # added) and 200 full-batch epochs follow: the quick preset caps at 10,000 rows (~1 min a
    # cell on one core; binds on shuttle only).
    train_cap={"quick": 10_000, "paper": None, "smoke": 10_000},
)
class LUNARDetector(TorchPyODWrapper):
    """LUNAR: a small network turns the distances to a row's k nearest training rows into
    a score, trained to tell the normals from generated negative samples.

    PyOD's defaults (the paper's): k = 5, the WEIGHT model, MIXED negative sampling
    (uniform and subspace-perturbed, epsilon 0.1, as many as the rows), 10 % validation
    for model selection, 200 full-batch epochs of Adam at 1e-3 with weight decay 0.1,
    inputs min-max scaled inside. PyOD picks CUDA whenever present; the wrapper moves the
    network to ``device`` so a cell runs where the harness says.
    """

    pyod_class = LUNAR
    pinned = {"verbose": 0, "n_jobs": 1}

    def __init__(
        self,
        model_type: str = "WEIGHT",
        n_neighbours: int = 5,
        negative_sampling: str = "MIXED",
        val_size: float = 0.1,
        epsilon: float = 0.1,
        proportion: float = 1.0,
        n_epochs: int = 200,
        lr: float = 0.001,
        wd: float = 0.1,
        random_state: int | None = None,
        device: str = "cpu",
    ):
        self.model_type = model_type
        self.n_neighbours = n_neighbours
        self.negative_sampling = negative_sampling
        self.val_size = val_size
        self.epsilon = epsilon
        self.proportion = proportion
        self.n_epochs = n_epochs
        self.lr = lr
        self.wd = wd
        self.random_state = random_state
        self.device = device

    def _make_model(self, X):
        import torch

        model = self.pyod_class(**self._pyod_params(X))
        model.device = torch.device(self._device())
        model.network.to(model.device)
        return model
