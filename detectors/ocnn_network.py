"""OC-NN (Chalapathy, Menon & Chawla 2018): a one-class neural network with a hinge objective.

The paper's objective (``docs/design.md``, "OC-NN"):

    min_{w, V, r}  1/2 ||w||^2 + 1/2 ||V||^2 + 1/nu * mean_n max(0, r - y_n) - r,
    y_n = <w, g(V x_n + b)>,

with one hidden layer. Optimisation alternates a pass of minibatch gradient steps on
``(w, V, b)`` with ``r`` fixed and the closed-form ``r <- nu-quantile of y over the
training rows`` after each epoch. The decision value is ``S = y - r`` (``S < 0``:
anomaly), so the score is ``r - y`` with native threshold 0; about ``nu`` of the training
rows score > 0.

The weight penalties follow the authors' code, not the equation (``penalty_gradient``).
In the official Keras model (raghavchalapathy/oc-nn, ``src/models/OC_NN.py``) the loss
computes ``1/2 ||w||^2 + 1/2 ||V||^2`` from NumPy copies of the weights taken when the
model is built, so both terms are constants and pass no gradient; in its TensorFlow
model (``src/models/ocnn.py``) the weights are declared ``trainable=False``. By default
(``"reference-code"``) the penalties are evaluated (the logged loss is the objective's
value) but detached: the weights move under the hinge term only. ``"paper-equation"``
differentiates them, as the formula reads (and ``models/tf_OneClass_NN_model.py``, whose
tiny plain-GD steps barely move the weights). Measured here, that variant collapses:
Adam's step on ``1/2 ||V||^2`` does not shrink with ``V``, so ``||V||`` falls from ~8 to
~0.03 on musk, ``g(Vx + b)`` becomes linear in ``x`` and the sign of the ranking is
arbitrary (15 of 35 folds below AUROC 0.5 at the paper budget; docs/design.md).

Choices the paper leaves open (documented because they matter):

* ``g`` defaults to the cosine of the official Keras code. Fed standardised features
  directly (no pretrained encoder in front), a sigmoid or linear ``g`` lets the objective
  collapse to a constant output (a monotone unit cannot enclose the data), giving AUROC
  ~0.5 even on easy data. With ``g = cos``, a hidden bias and the random-Fourier
  initialisation ``V ~ N(0, 2 gamma)``, ``b ~ U(0, 2 pi)`` and output scale
  ``sqrt(2 / hidden)``, the hidden layer starts as random features of the RBF kernel
  ``exp(-gamma ||x - y||^2)`` (gamma = 1/d, as our ``ocsvm``; ``w`` starts at PyTorch's
  default, not at an SVM solution) and then trains ``V`` and ``b`` with ``w``, which is
  OC-NN's point. ``activation="sigmoid"``/``"linear"`` with
  ``hidden_bias=False`` is the plain variant.
* Ties: the hinge's subgradient at ``y == r`` is 1, not relu's (and the authors' code's)
  0. Duplicated rows share ``y``; when a block of them holds more than ``nu`` of the rows
  and the lowest ``y``, ``r`` equals their ``y``, no row lies strictly below it and, with
  0, every gradient vanishes: training stops at initialisation (mammography, one row 30 %
  of the normals). With 1 the block is pushed up as the joint minimisation over ``r``
  would; on data without ties only the rare row whose ``y`` equals ``r`` exactly changes.
* Adam (lr 1e-3) rather than the official code's tiny learning rates; hidden size 32
  (the official TensorFlow version); ``nu = 0.1``; 100 epochs of batch 100.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn

from benchmark.registry import CostModel, register_detector
from detectors.neural import NeuralDetector, train_loop
from detectors.neural.cost import TRAINING_TERMS, neural_terms

__all__ = ["OCNNNetwork"]

_G = {"sigmoid": torch.sigmoid, "linear": lambda h: h, "cosine": torch.cos}

#: ``penalty_gradient`` values: whether ``1/2 ||w||^2 + 1/2 ||V||^2`` is differentiated.
PENALTY_GRADIENTS = ("reference-code", "paper-equation")


def _ocnn_terms(params, n_train, n_test, d, budget) -> list[float]:
    """The neural terms, plus per epoch a constant and a pass over every training row (the
    quantile r is recomputed on all of them after each epoch)."""
    steps, batch = budget
    per_epoch = -(-max(n_train, 1) // max(batch, 1))
    epochs = -(-steps // per_epoch) if steps else 0
    return [*neural_terms(params, n_train, n_test, d, budget), epochs, epochs * n_train * d]


OCNN_COST = CostModel(
    "neural terms + epochs x (a + b n_train d): r is the nu-quantile of every row, each epoch",
    _ocnn_terms,
    neural=True,
    batched_terms=TRAINING_TERMS,
)


@register_detector(
    "ocnn-network",
    cost=OCNN_COST,
    presets={
        "quick": {"max_steps": 1500},
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
    ``penalty_gradient`` says whether the weight penalties ``1/2 ||w||^2 + 1/2 ||V||^2``
    pass a gradient: ``"reference-code"`` (default: no, as in the authors' Keras and
    TensorFlow code, where they are constants) or ``"paper-equation"`` (yes, as the
    formula reads; collapses ``V`` under Adam, see the module docstring).
    ``history_`` holds per epoch the mean loss and hinge, ``r`` and the norms
    ``w_norm``/``v_norm`` (Frobenius norms of the output and hidden weights).
    """

    #: 2: the weight penalties pass no gradient, ties at r get one (2026-12-04).
    revision: ClassVar[int] = 2

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
        penalty_gradient: str = "reference-code",
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
        self.penalty_gradient = penalty_gradient
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
        if (pg := self.penalty_gradient) not in PENALTY_GRADIENTS:
            raise ValueError(f"penalty_gradient must be one of {PENALTY_GRADIENTS}, got {pg!r}")
        differentiate_penalty = pg == "paper-equation"
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
                    # max(0, r - y) with subgradient 1 (not relu's 0) at y == r: rows tied
                    # at r still push (see the module docstring, "ties").
                    hinge = ((r - y) * (y <= r)).mean() / nu
                    reg = 0.5 * (self.w_.weight**2).sum() + 0.5 * (self.V_.weight**2).sum()
                    if not differentiate_penalty:
                        reg = reg.detach()  # a constant, as in the authors' code
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
                norms = {
                    "w_norm": float(self.w_.weight.detach().norm()),
                    "v_norm": float(self.V_.weight.detach().norm()),
                }
                self.history_.append(hist[0] | {"epoch": epoch + 1, "r": float(r)} | norms)
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
