"""Deep SVDD (Ruff et al., ICML 2018) through PyOD's ``DeepSVDD``."""

from __future__ import annotations

from pyod.models.deep_svdd import DeepSVDD

from benchmark.registry import register_detector
from detectors.pyod_pack.costs import DEEPSVDD_COST
from detectors.pyod_pack.wrapper import TorchPyODWrapper

__all__ = ["DeepSVDDDetector"]


@register_detector(
    "deepsvdd",
    group="extended",
    cost=DEEPSVDD_COST,
    presets={"quick": {}, "paper": {}, "smoke": {"epochs": 3}},
    summary="Deep SVDD: distance to a hypersphere centre in a learned space (Ruff et al. 2018)",
    # PyOD's 100 epochs of 32-row batches cost ~epochs x n / 32 steps: the quick preset fits
    # a seeded subsample of 10,000 rows (binds on mammography and shuttle only).
    train_cap={"quick": 10_000, "paper": None, "smoke": 10_000},
)
class DeepSVDDDetector(TorchPyODWrapper):
    """One-class Deep SVDD: an MLP without biases maps rows near a fixed centre ``c`` (the
    mean initial embedding); score = squared distance to ``c``.

    PyOD's defaults: layers [64, 32], ReLU, sigmoid output, dropout 0.2, Adam at 1e-4,
    L2 5e-7, 100 epochs of 32 rows, inputs standardised again inside (PyOD's
    ``preprocessing=True``; the harness's z-score came first). CPU only: PyOD's class
    takes no device. ``n_features`` is set from the data at fit time.
    """

    # PyOD's ``preprocessing`` (standardise inside) is pinned: the name is the suite's
    # class attribute for the harness's scaling (``Detector.preprocessing``).
    pinned = {"verbose": 0, "preprocessing": True}

    def __init__(
        self,
        use_ae: bool = False,
        hidden_neurons: list[int] | None = None,
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        optimizer: str = "adam",
        epochs: int = 100,
        batch_size: int = 32,
        dropout_rate: float = 0.2,
        l2_regularizer: float = 5e-7,
        learning_rate: float = 1e-4,
        random_state: int | None = None,
    ):
        self.use_ae = use_ae
        self.hidden_neurons = hidden_neurons
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.optimizer = optimizer
        self.epochs = epochs
        self.batch_size = batch_size
        self.dropout_rate = dropout_rate
        self.l2_regularizer = l2_regularizer
        self.learning_rate = learning_rate
        self.random_state = random_state

    pyod_class = DeepSVDD

    def _make_model(self, X):
        return self.pyod_class(n_features=X.shape[1], **self._pyod_params(X))
