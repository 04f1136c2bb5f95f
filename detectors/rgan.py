"""RGAN: a regular GAN trained on the normals; its discriminator is the detector."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from benchmark.registry import register_detector
from detectors.neural.gan import (
    GANDetector,
)

__all__ = ["RGAN"]


@register_detector(
    "rgan",
    presets={
        "quick": {"n_epochs": 1000, "max_steps": 300},
        "paper": {"n_epochs": 1000, "batch_size": 100},
    },
    summary="regular GAN on the normals; score = 1 - D(x)",
)
class RGAN(GANDetector):
    """Regular GAN on the training normals; score = 1 - D(x) = 1 - P(real).

    The baseline OCAN ships (reference_impls §3) with this suite's shared choices:

    * D ``d -> 128 -> 128 -> 1`` and G ``noise_dim -> 128 -> d`` with leaky-ReLU(0.2)
      units, the MMOC paper's hidden width (OCAN's Keras RGAN used 100/50); G's output is
      linear because the harness standardises the features (OCAN's used tanh on data in
      [-1, 1]); OCAN's 1e-5 L1+L2 weight penalty is dropped.
    * z ~ N(0, I_50) as in that baseline; non-saturating G loss; one D step then one G
      step per minibatch (:func:`detectors.neural.gan.train_regular_gan`, the same trainer
      that pretrains MMOC-GAN's target network).
    * Adam (lr 2e-4, betas 0.5/0.999) for both players instead of the baseline's Keras
      SGD for D: the ``quick`` budget is a few hundred steps, too few for SGD at 0.01.
    * Native threshold 0.5: a row is an anomaly when D(x) < 0.5 (SPEC §2).

    ``max_steps`` caps the gradient steps (None = ``n_epochs`` full epochs); the training
    history (per-epoch ``d_loss``/``g_loss``) is in ``history_``.

    Known behaviour: D only separates the normals from what G has not learnt yet; as G
    covers the data D(x) drifts to ~0.5 there, and far from the data D extrapolates. So
    RGAN is a weak detector (the paper's RGAN row: 9 % of anomalies caught), and its
    AUROC can fall below 0.5 on data sets with far outliers. MMOC-GAN's target network T
    is this detector's D.
    """

    def __init__(
        self,
        hidden: Sequence[int] = (128, 128),
        g_hidden: Sequence[int] = (128,),
        noise_dim: int = 50,
        noise: str = "normal",
        lr: float = 2e-4,
        batch_size: int = 100,
        n_epochs: int = 1000,
        max_steps: int | None = None,
        random_state: int | None = None,
        device: str = "auto",
        verbose: bool = False,
    ):
        self.hidden = hidden
        self.g_hidden = g_hidden
        self.noise_dim = noise_dim
        self.noise = noise
        self.lr = lr
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.max_steps = max_steps
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _fit(self, X: np.ndarray) -> None:
        self._fit_checks(X)
        self._setup()
        with self._seeded() as gen:
            self._fit_plain_gan(X, gen, "rgan")
        self._check_finite(self.discriminator_, self.generator_)
        self.discriminator_.eval()
        self.generator_.eval()

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._score_batches(X, lambda x: 1.0 - torch.sigmoid(self.discriminator_(x).logits))

    def _native_threshold(self) -> float:
        return 0.5
