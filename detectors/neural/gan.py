"""Shared GAN building blocks: discriminator module, noise, a plain GAN trainer, a base class.

``rgan`` and ``anogan`` train with :func:`train_regular_gan`; the complementary GANs
(OCAN, MMOC-GAN, :mod:`detectors.neural.complementary`) reuse :class:`Discriminator`,
:func:`sample_noise`, :func:`he_init_` and :class:`GANDetector`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
import torch._dynamo  # noqa: F401  (see below)
import torch.nn.functional as F
from torch import nn

from detectors.neural.fold_batch import stacked_forward
from detectors.neural.mlp import mlp
from detectors.neural.training import DivergenceError, NeuralDetector, train_loop

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
    "train_regular_gan",
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

    def forward_stacked(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> DOutput:
        """:meth:`forward` for k folds at once: ``params`` this module's parameters stacked
        on a leading fold axis (:class:`~detectors.neural.fold_batch.FoldStack`), ``x``
        ``(k, rows, n_features)``."""
        h = stacked_forward(self.trunk, params, x, "trunk.")
        q = stacked_forward(self.q_head, params, h, "q_head.") if self.q_head is not None else None
        return DOutput(stacked_forward(self.head, params, h, "head."), h, q)


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


def train_regular_gan(
    X: torch.Tensor,
    D: Discriminator,
    G: nn.Module,
    *,
    noise_dim: int,
    noise: str,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    batch_size: int,
    n_epochs: int,
    max_steps: int | None = None,
    progress: bool = False,
    desc: str = "GAN",
    keras_style: bool = False,
    weight_penalty: float = 0.0,
) -> list[dict[str, float]]:
    """Train a regular (non-saturating) GAN on the rows of ``X``; returns the loss history.

    Per minibatch: one D step on BCE(real -> 1) + BCE(fake -> 0), then one G step on
    BCE(D(G(z)) -> 1) with fresh noise. ``D`` must have a single-logit head.

    ``keras_style`` follows OCAN's Keras RGAN baseline: each epoch draws one generated
    row per training row up front (the D steps use the rows of their minibatch), D's
    loss is the mean BCE over the joint real + generated batch, and ``weight_penalty``
    adds Keras's ``l1_l2`` kernel regulariser of each player to its own loss.
    """
    n_rows = X.shape[0]
    epoch_fakes: list[torch.Tensor] = []

    def draw_epoch_fakes(epoch: int) -> None:
        with torch.no_grad():
            epoch_fakes[:] = [G(sample_noise(n_rows, noise_dim, noise, generator, X.device))]

    def step(idx: torch.Tensor) -> dict[str, float]:
        real = X[idx]
        n = real.shape[0]
        if keras_style:
            fake = epoch_fakes[0][idx]
        else:
            fake = G(sample_noise(n, noise_dim, noise, generator, X.device)).detach()
        real_logit, fake_logit = D(real).logits, D(fake).logits
        bce_real = F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
        bce_fake = F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit))
        d_loss = (bce_real + bce_fake) / 2 if keras_style else bce_real + bce_fake
        d_loss = d_loss + l1_l2_penalty(D, weight_penalty)
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()

        fake_logit = D(G(sample_noise(n, noise_dim, noise, generator, X.device))).logits
        g_loss = F.binary_cross_entropy_with_logits(fake_logit, torch.ones_like(fake_logit))
        g_loss = g_loss + l1_l2_penalty(G, weight_penalty)
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    return train_loop(
        step,
        n_rows,
        batch_size=batch_size,
        n_epochs=n_epochs,
        max_steps=max_steps,
        generator=generator,
        progress=progress,
        desc=desc,
        on_epoch=draw_epoch_fakes if keras_style else None,
    )


class GANDetector(NeuralDetector):
    """Base of the GAN detectors: training-loop plumbing and divergence checks.

    Subclasses store ``batch_size``, ``n_epochs``, ``max_steps``, ``verbose`` (and the
    :class:`NeuralDetector` parameters) in ``__init__``.
    """

    def _fit_plain_gan(self, X: np.ndarray, gen: torch.Generator, desc: str) -> None:
        """Build ``discriminator_``/``generator_`` and train them as a regular GAN on ``X``.

        ``anogan``'s GAN (whose generator's latent space it searches): the subclass's
        ``hidden``, ``g_hidden``, ``noise_dim``, ``noise`` and ``lr``, Adam for both.
        """
        self.discriminator_ = Discriminator(X.shape[1], self.hidden).to(self.device_)
        self.generator_ = generator_net(self.noise_dim, X.shape[1], self.g_hidden).to(self.device_)
        self.history_ = train_regular_gan(
            self._tensor(X),
            self.discriminator_,
            self.generator_,
            noise_dim=self.noise_dim,
            noise=self.noise,
            d_optimizer=make_optimizer("adam", self.discriminator_.parameters(), self.lr),
            g_optimizer=make_optimizer("adam", self.generator_.parameters(), self.lr),
            generator=gen,
            batch_size=self.batch_size,
            n_epochs=self.n_epochs,
            max_steps=self.max_steps,
            progress=bool(self.verbose),
            desc=desc,
        )

    def _train(
        self,
        step: Callable[[torch.Tensor], dict[str, float]],
        n_rows: int,
        desc: str,
        gen: torch.Generator,
        *,
        drop_last: bool = False,
    ) -> list[dict[str, float]]:
        """Run ``step`` under this detector's epoch/step budget and return the history."""
        return train_loop(
            step,
            n_rows,
            batch_size=self.batch_size,
            n_epochs=self.n_epochs,
            max_steps=self.max_steps,
            generator=gen,
            progress=bool(self.verbose),
            desc=desc,
            drop_last=drop_last,
        )

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
