"""Deep Isolation Forest (Xu et al., TKDE 2023) through PyOD's ``DIF``."""

from __future__ import annotations

from pyod.models.dif import DIF

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import DIF_COST
from detectors.pyod_pack.wrapper import TorchPyODWrapper

__all__ = ["DIFDetector"]


@register_detector(
    "dif",
    group="extended",
    cost=DIF_COST,
    presets={"quick": {}, "paper": {}, "smoke": {"n_ensemble": 5}},
    summary="Deep Isolation Forest: iForests on random neural representations (Xu et al. 2023)",
    # Every row goes through 50 networks of 500 and 100 units at fit and at scoring; the
    # forests see 256 rows each, so a 10,000-row subsample changes little (binds on shuttle only).
    train_cap={"quick": 10_000, "paper": None, "smoke": 10_000},
)
class DIFDetector(TorchPyODWrapper):
    """Deep Isolation Forest: ``n_ensemble`` randomly initialised (untrained) MLPs map the
    rows to ``representation_dim`` features; an iForest of ``n_estimators`` trees on each
    representation; score = the mean isolation score.

    PyOD's defaults (the paper's): 50 networks [500, 100] -> 20 with tanh, 6 trees each of
    256 rows. Untrained, so ``neural`` here means float scores from torch (the smoke
    tolerance) and the GPU when ``device`` asks for it.
    """

    pyod_class = DIF
    # PyOD's data loaders ask for pinned memory, which a CPU-only machine cannot give.
    quiet = (r"'pin_memory' argument is set as true",)

    def __init__(
        self,
        batch_size: int = 1000,
        representation_dim: int = 20,
        hidden_neurons: list[int] | None = None,
        hidden_activation: str = "tanh",
        skip_connection: bool = False,
        n_ensemble: int = 50,
        n_estimators: int = 6,
        max_samples: int = 256,
        random_state: int | None = None,
        device: str = "cpu",
    ):
        self.batch_size = batch_size
        self.representation_dim = representation_dim
        self.hidden_neurons = hidden_neurons
        self.hidden_activation = hidden_activation
        self.skip_connection = skip_connection
        self.n_ensemble = n_ensemble
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state
        self.device = device

    def _make_model(self, X):
        return self.pyod_class(**(self._pyod_params(X) | {"device": self._device()}))
