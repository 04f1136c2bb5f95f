"""OC-NN (Chalapathy, Menon & Chawla 2018): a one-class neural network with a hinge objective.

The paper's objective (``docs/design.md``, "OC-NN"), implemented as written rather than after any
one of the official repository's inconsistent files:

    min_{w, V, r}  1/2 ||w||^2 + 1/2 ||V||^2 + 1/nu * mean_n max(0, r - y_n) - r,
    y_n = <w, g(V x_n + b)>,

with one hidden layer. Optimisation alternates a pass of minibatch gradient steps on
``(w, V)`` with ``r`` fixed and the closed-form ``r <- nu-quantile of y over the training
rows`` after each epoch. The decision value is ``S = y - r`` (``S < 0``: anomaly), so the
score is ``r - y`` with native threshold 0; about ``nu`` of the training rows score > 0.

Choices the paper leaves open (documented because they matter):

* ``g`` defaults to the cosine of the official Keras code. Fed standardised features
  directly (no pretrained encoder in front), a sigmoid or linear ``g`` lets the objective
  collapse to a constant output (``V -> 0`` is what ``1/2 ||V||^2`` asks for, and a
  monotone unit cannot enclose the data), giving AUROC ~0.5 even on easy data. With
  ``g = cos``, a hidden bias and the random-Fourier initialisation ``V ~ N(0, 2 gamma)``,
  ``b ~ U(0, 2 pi)`` and output scale ``sqrt(2 / hidden)``, the network starts as a
  one-class SVM with the RBF kernel ``exp(-gamma ||x - y||^2)`` (gamma = 1/d, as our
  ``ocsvm``) and then trains ``V`` and ``b`` jointly, which is OC-NN's point.
  ``activation="sigmoid"``/``"linear"`` with ``hidden_bias=False`` is the plain variant.
* Adam (lr 1e-3) rather than the official code's tiny learning rates; hidden size 32
  (the official TensorFlow version); ``nu = 0.1``; 100 epochs of batch 100.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmark.registry import register_detector
from detectors.neural import NeuralDetector, train_loop

__all__ = ["OCNNNetwork"]

_G = {"sigmoid": torch.sigmoid, "linear": lambda h: h, "cosine": torch.cos}


@register_detector(
    "ocnn-network",
    presets={
        "quick": {"max_steps": 300},
        "paper": {},
        "smoke": {"max_steps": 20},
    },
    summary="OC-NN: one hidden layer, hinge objective, r = nu-quantile; score r - y",
)
class OCNNNetwork(NeuralDetector):
    """One-class neural network (OC-NN); score = ``r - y(x)``, native threshold 0.

    ``nu`` bounds the fraction of training rows left outside (0.1 by default, one of the
    values of the official code); ``hidden`` is the size of the single hidden layer;
    ``activation`` is ``g`` (``"cosine"``, ``"sigmoid"`` or ``"linear"``); ``gamma`` is the
    RBF width of the cosine initialisation (``"auto"`` = 1/d). ``max_steps`` caps the
    gradient steps (``r`` is still refreshed after the last, possibly partial, epoch).
    """

    def __init__(
        self,
        nu: float = 0.1,
        hidden: int = 32,
        activation: str = "cosine",
        learning_rate: float = 1e-3,
        n_epochs: int = 100,
        batch_size: int = 100,
        max_steps: int | None = None,
        hidden_bias: bool = True,
        gamma: float | str = "auto",
        random_state: int | None = None,
        device: str = "auto",
        verbose: bool = False,
    ):
        self.nu = nu
        self.hidden = hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.hidden_bias = hidden_bias
        self.gamma = gamma
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _outputs(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_(_G[self.activation](self.V_(x))).reshape(-1) * self.out_scale_

    def _all_outputs(self, data: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([self._outputs(x) for x in torch.split(data, 8192)])

    def _fit(self, X: np.ndarray) -> None:
        if not 0.0 < self.nu < 1.0:
            raise ValueError(f"nu must be in (0, 1), got {self.nu}")
        if self.activation not in _G:
            raise ValueError(f"activation must be one of {sorted(_G)}, got {self.activation!r}")
        self._setup()
        data = self._tensor(X)
        nu = float(self.nu)
        with self._seeded() as gen:
            hidden, bias = int(self.hidden), bool(self.hidden_bias)
            self.V_ = nn.Linear(X.shape[1], hidden, bias=bias).to(self.device_)
            self.w_ = nn.Linear(hidden, 1, bias=False).to(self.device_)
            self.out_scale_ = 1.0
            if self.activation == "cosine":
                # Random Fourier features of the RBF kernel exp(-gamma ||x - y||^2).
                gamma = 1.0 / X.shape[1] if self.gamma == "auto" else float(self.gamma)
                with torch.no_grad():
                    self.V_.weight.normal_(0.0, float(np.sqrt(2.0 * gamma)))
                    if self.V_.bias is not None:
                        self.V_.bias.uniform_(0.0, 2.0 * float(np.pi))
                self.out_scale_ = float(np.sqrt(2.0 / hidden))
            params = [*self.V_.parameters(), *self.w_.parameters()]
            opt = torch.optim.Adam(params, lr=self.learning_rate)
            r = torch.quantile(self._all_outputs(data), nu)
            steps_left = self.max_steps
            steps_per_epoch = -(-X.shape[0] // max(1, min(int(self.batch_size), X.shape[0])))
            for epoch in range(int(self.n_epochs)):

                def step(idx: torch.Tensor, r: torch.Tensor = r) -> dict[str, float]:
                    y = self._outputs(data[idx])
                    hinge = torch.relu(r - y).mean() / nu
                    reg = 0.5 * (self.w_.weight**2).sum() + 0.5 * (self.V_.weight**2).sum()
                    loss = reg + hinge - r
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    return {"loss": loss.item(), "hinge": hinge.item()}

                hist = train_loop(
                    step,
                    X.shape[0],
                    batch_size=self.batch_size,
                    n_epochs=1,
                    max_steps=steps_left,
                    generator=gen,
                    progress=False,
                )
                r = torch.quantile(self._all_outputs(data), nu)
                self.history_.append(hist[0] | {"epoch": epoch + 1, "r": float(r)})
                if self.verbose:
                    print(f"ocnn-network epoch {epoch + 1}: {self.history_[-1]}")
                if steps_left is not None:
                    steps_left -= steps_per_epoch
                    if steps_left <= 0:
                        break
        self.r_ = float(r)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self.r_ - self._score_batches(X, self._outputs)

    def _native_threshold(self) -> float:
        return 0.0
