"""RGAN: a regular GAN trained on the normals; its discriminator is the detector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from benchmark.registry import register_detector
from detectors.neural.cost import NEURAL_COST
from detectors.neural.gan import Discriminator, generator_net, glorot_init_
from detectors.neural.regular_gan import RegularGAN, RegularGANSettings

__all__ = ["RGAN"]


@register_detector(
    "rgan",
    cost=NEURAL_COST,
    presets={
        "quick": {"n_epochs": 1000, "max_steps": 1000},
        "paper": {"n_epochs": 1000, "batch_size": 100, "hidden": (128, 128), "g_hidden": (128,)},
        "smoke": {"n_epochs": 1000, "max_steps": 20},
    },
    summary="regular GAN on the normals (OCAN's RGAN baseline); score = 1 - D(x)",
)
class RGAN(RegularGAN):
    """Regular GAN on the training normals; score = 1 - D(x) = 1 - P(real).

    A port of the RGAN baseline OCAN ships (``Baselines/model_components.py``, Keras;
    ``docs/design.md``, "RGAN"):

    * D ``d -> 100 -> 50 -> 1`` (LeakyReLU 0.2, sigmoid); G ``50 -> 100 -> d``
      (LeakyReLU 0.2, **tanh**); Glorot-uniform weights, zero biases (Keras defaults);
      a 1e-5 L1 + 1e-5 L2 kernel penalty on both (``weight_penalty``). The ``paper``
      preset uses the MMOC paper's 128-unit layers, 1000 epochs, batch 100.
    * Inputs min-max scaled to [0, 1] on the training normals (tanh G covers them).
    * z ~ N(0, I_50). The D steps take generated rows drawn up front, one per training
      row, in blocks of ``fake_refresh`` = 10 minibatches (the Keras loop draws them once
      per epoch, and OCAN ran it on 700 / 7,000 rows at batch 70 / 700: 10 minibatches an
      epoch; ``None`` draws once per epoch); per minibatch one D step (SGD, lr 0.01:
      Keras's ``'sgd'``) on the joint real (1) + generated (0) batch, then one G step
      (Adam, Keras defaults, lr 1e-3) on fresh noise towards 1.
    * Native threshold 0.5: a row is an anomaly when D(x) < 0.5.

    ``max_steps`` caps the gradient steps; ``history_`` holds per-epoch ``d_loss`` and
    ``g_loss``. Known behaviour: D only separates the normals from what G has not learnt
    yet, and away from the data it extrapolates; the paper's RGAN row catches 9 % of
    anomalies. Its measured AUROC is in ``docs/design.md``.
    """

    #: 3: generated rows redrawn every fake_refresh = 10 minibatches (2026-12-04).
    revision: ClassVar[int] = 3

    preprocessing: ClassVar[str] = "minmax"

    def __init__(
        self,
        hidden: Sequence[int] = (100, 50),
        g_hidden: Sequence[int] = (100,),
        noise_dim: int = 50,
        d_lr: float = 1e-2,
        g_lr: float = 1e-3,
        weight_penalty: float = 1e-5,
        fake_refresh: int | None = 10,
        batch_size: int = 70,
        n_epochs: int = 200,
        max_steps: int | None = None,
        random_state: int | None = None,
        device: str = "auto",
        verbose: bool = False,
    ):
        self.hidden = hidden
        self.g_hidden = g_hidden
        self.noise_dim = noise_dim
        self.d_lr = d_lr
        self.g_lr = g_lr
        self.weight_penalty = weight_penalty
        self.fake_refresh = fake_refresh
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.max_steps = max_steps
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def settings(self) -> RegularGANSettings:
        """The loop's settings, after checking the parameters only RGAN has."""
        for name in ("d_lr", "g_lr"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if float(self.weight_penalty) < 0:
            raise ValueError(f"weight_penalty must be >= 0, got {self.weight_penalty}")
        refresh = self.fake_refresh
        if refresh is not None and (
            isinstance(refresh, bool) or not isinstance(refresh, int | np.integer) or refresh < 1
        ):
            raise ValueError(f"fake_refresh must be None or an integer >= 1, got {refresh!r}")
        return RegularGANSettings(
            noise_dim=int(self.noise_dim),
            noise="normal",
            d_optimizer="sgd",
            d_lr=float(self.d_lr),
            g_optimizer="adam-tf",
            g_lr=float(self.g_lr),
            keras_style=True,
            weight_penalty=float(self.weight_penalty),
            fake_refresh=None if refresh is None else int(refresh),
        )

    def _networks(self, s: RegularGANSettings, d: int) -> tuple[Discriminator, nn.Module]:
        D = glorot_init_(Discriminator(d, self.hidden)).to(self.device_)
        G = generator_net(s.noise_dim, d, self.g_hidden, out_activation="tanh")
        return D, glorot_init_(G).to(self.device_)

    def _after_training(self, X: np.ndarray, gen: torch.Generator) -> None:
        self._check_finite(self.discriminator_, self.generator_)
        self.discriminator_.eval()
        self.generator_.eval()

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._score_batches(X, lambda x: 1.0 - torch.sigmoid(self.discriminator_(x).logits))

    def _native_threshold(self) -> float:
        return 0.5
