"""Shared GAN building blocks: discriminator module, noise, optimisers, a base class.

``rgan`` and ``anogan`` train with :mod:`detectors.neural.regular_gan`, the complementary
GANs (OCAN, MMOC-GAN) with :mod:`detectors.neural.complementary_train`; both loops train
one fold or k folds at once (:meth:`GANDetector.fit_group`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple, Self

import numpy as np
import torch
import torch._dynamo  # noqa: F401  (see below)
from torch import nn

from benchmark.base import Detector
from detectors.neural.mlp import mlp
from detectors.neural.training import DivergenceError, NeuralDetector

# torch.optim imports torch._dynamo when the first optimiser is built: about 1 s of CPU.
# Importing it here, with the detectors, lets the harness's forkserver (which preloads
# ``detectors``) pay that once instead of once per cell's child process.

__all__ = [
    "DOutput",
    "Discriminator",
    "GANDetector",
    "generator_net",
    "glorot_init_",
    "he_init_",
    "l1_l2_penalty",
    "make_optimizer",
    "sample_noise",
    "check_group",
]


class DOutput(NamedTuple):
    """What a :class:`Discriminator` returns: head logits, last hidden layer, Q logits."""

    logits: torch.Tensor
    features: torch.Tensor
    q_logits: torch.Tensor | None


class Discriminator(nn.Module):
    """An MLP trunk ``d -> hidden...`` with a real/fake head and an optional Q(c|x) head.

    ``n_out=1`` gives one logit of P(real) (sigmoid); ``n_out=2`` gives OCAN's 2-way
    softmax logits. ``n_codes`` adds InfoGAN's Q head, an ``n_codes``-way softmax sharing
    the trunk, so D's optimiser trains Q.
    """

    def __init__(
        self,
        n_features: int,
        hidden: Sequence[int],
        *,
        n_out: int = 1,
        n_codes: int = 0,
        activation: str = "leaky_relu",
    ):
        super().__init__()
        sizes = [int(n_features), *[int(h) for h in hidden]]
        self.trunk = mlp(sizes, activation=activation, out_activation=activation)
        self.head = nn.Linear(sizes[-1], n_out)
        self.q_head = nn.Linear(sizes[-1], n_codes) if n_codes > 0 else None

    def forward(self, x: torch.Tensor) -> DOutput:
        h = self.trunk(x)
        q = self.q_head(h) if self.q_head is not None else None
        return DOutput(self.head(h), h, q)


def generator_net(
    n_in: int,
    n_features: int,
    hidden: Sequence[int],
    *,
    activation: str = "leaky_relu",
    out_activation: str | None = None,
) -> nn.Sequential:
    """The generator MLP ``n_in -> hidden... -> n_features`` (linear output by default)."""
    return mlp(
        [int(n_in), *[int(h) for h in hidden], int(n_features)],
        activation=activation,
        out_activation=out_activation,
    )


def he_init_(module: nn.Module) -> nn.Module:
    """Weights ~ N(0, 2 / fan_in), biases 0: what OCAN's ``xavier_init`` really does."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, std=float(np.sqrt(2.0 / layer.in_features)))
            nn.init.zeros_(layer.bias)
    return module


def glorot_init_(module: nn.Module) -> nn.Module:
    """Weights ~ Glorot uniform, biases 0: Keras's default, used by OCAN's RGAN baseline."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


def l1_l2_penalty(module: nn.Module, weight: float) -> torch.Tensor | float:
    """Keras's ``l1_l2(weight, weight)`` kernel regulariser summed over ``module``'s layers."""
    if weight <= 0:
        return 0.0
    kernels = [m.weight for m in module.modules() if isinstance(m, nn.Linear)]
    return weight * sum(w.abs().sum() + w.pow(2).sum() for w in kernels)


def sample_noise(
    n: int, dim: int, kind: str, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``n`` noise vectors: ``"uniform"`` = U(-1, 1) (OCAN, MMOC-GAN cat) or ``"normal"``."""
    if kind == "uniform":
        return torch.rand(n, dim, generator=generator, device=device) * 2 - 1
    if kind == "normal":
        return torch.randn(n, dim, generator=generator, device=device)
    raise ValueError(f"unknown noise {kind!r}; use 'uniform' or 'normal'")


def make_optimizer(kind: str, params, lr: float) -> torch.optim.Optimizer:
    """An optimiser by name: ``"adam"`` (betas 0.5/0.999, the usual GAN setting),
    ``"adam-tf"`` (TensorFlow 1.x defaults, OCAN's G) or ``"sgd"`` (OCAN's D and T).

    Adam uses PyTorch's fused kernel (the same update, about 3x cheaper per step on the
    CPU, deterministic); the per-step cost matters under the ``quick`` budget.
    """
    params = list(params)
    if kind in ("adam", "adam-tf"):
        betas = (0.5, 0.999) if kind == "adam" else (0.9, 0.999)
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8, fused=True)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimiser {kind!r}; use 'adam', 'adam-tf' or 'sgd'")


def check_group(cls: type, detectors: list[Detector], Xs: list) -> None:
    """The preconditions of ``fit_group``, each a one-line ValueError naming what differs:
    one class, equal parameters except ``random_state``, one matrix per detector."""
    if not detectors:
        raise ValueError("fit_group needs at least one detector")
    if len(detectors) != len(Xs):
        raise ValueError(f"fit_group got {len(detectors)} detectors but {len(Xs)} matrices")
    first = detectors[0]
    for det in detectors:
        if type(det) is not type(first) or not isinstance(det, cls):
            raise ValueError(
                f"fit_group needs detectors of one class {cls.__name__} or below,"
                f" got {type(first).__name__} and {type(det).__name__}"
            )
    params = first.get_params(deep=False)
    for det in detectors[1:]:
        other = det.get_params(deep=False)
        for name, value in params.items():
            if name != "random_state" and other[name] != value:
                raise ValueError(
                    f"fit_group needs equal parameters but random_state; {name} differs:"
                    f" {value!r} vs {other[name]!r}"
                )


class GANDetector(NeuralDetector):
    """Base of the GAN detectors: training-loop plumbing and divergence checks.

    Subclasses store ``batch_size``, ``n_epochs``, ``max_steps``, ``verbose`` (and the
    :class:`NeuralDetector` parameters) in ``__init__``.
    """

    #: 2: fold batching in lockstep (a Linear runs addmm, not a batched product; 2026-12-04).
    revision: ClassVar[int] = 2

    #: Every GAN detector trains through a loop that takes k folds at once.
    fold_batchable: ClassVar[bool] = True

    @classmethod
    def fit_group(cls, detectors: Sequence[Self], Xs: Sequence[np.ndarray]) -> list[Self]:
        """Fit ``detectors[i]`` on ``Xs[i]`` for every i at once, as one batched model.

        The detectors (one class, equal ``get_params()`` but ``random_state``) end exactly
        as ``detectors[i].fit(Xs[i])`` would leave them (one code path: a plain fit is a
        group of one); the matrices need equal widths, not equal rows. A divergence in
        any fold raises :class:`~detectors.neural.DivergenceError` for the group.
        """
        detectors, Xs = list(detectors), list(Xs)
        check_group(cls, detectors, Xs)
        arrays = [det._begin_fit(X) for det, X in zip(detectors, Xs)]
        widths = {X.shape[1] for X in arrays}
        if len(widths) > 1:
            raise ValueError(f"fit_group needs equal n_features, got {sorted(widths)}")
        cls._fit_folds(detectors, arrays)
        return [det._end_fit(X) for det, X in zip(detectors, arrays)]

    def _fit(self, X: np.ndarray) -> None:
        type(self)._fit_folds([self], [X])

    @classmethod
    def _fit_folds(cls, detectors: list[Self], Xs: list[np.ndarray]) -> None:
        """Train ``detectors[i]`` on ``Xs[i]`` (validated float64) for every i."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _run_options(self, desc: str) -> dict:
        """This detector's epoch/step budget, as :class:`EpochRun` takes it."""
        return {
            "batch_size": int(self.batch_size),
            "n_epochs": int(self.n_epochs),
            "max_steps": None if self.max_steps is None else int(self.max_steps),
            "progress": bool(self.verbose),
            "desc": desc,
        }

    def _check_finite(self, *parts: nn.Module | torch.Tensor) -> None:
        """Raise :class:`DivergenceError` if any weight of ``parts`` is NaN/inf."""
        for part in parts:
            named = part.named_parameters() if isinstance(part, nn.Module) else [("tensor", part)]
            for name, p in named:
                if not torch.isfinite(p).all():
                    raise DivergenceError(
                        f"{type(self).__name__}: weight {name!r} became non-finite during"
                        " training; lower the learning rate"
                    )

    def _fit_checks(self, X: np.ndarray) -> None:
        """Parameter checks shared by the GAN detectors (a clear error before any training)."""
        for name in ("batch_size", "n_epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and int(self.max_steps) < 1:
            raise ValueError(f"max_steps must be >= 1 or None, got {self.max_steps}")
