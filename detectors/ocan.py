"""OCAN (Zheng et al., AAAI 2019): a complementary GAN, ported from its official code."""

from __future__ import annotations

from collections.abc import Sequence

from benchmark.registry import register_detector
from detectors.neural.complementary import ComplementaryGAN, CoreSettings
from detectors.neural.cost import NEURAL_COST
from detectors.neural.gan_losses import OCAN_ENTROPY_WEIGHT

__all__ = ["OCAN"]


@register_detector(
    "ocan",
    cost=NEURAL_COST,
    presets={
        "quick": {"batch_size": 70, "n_epochs": 1000, "max_steps": 300, "d_lr": 1e-2},
        "paper": {
            "n_epochs": 1000,
            "batch_size": 100,
            "hidden": (128, 128),
            "g_hidden": (128,),
        },
        "smoke": {"batch_size": 70, "n_epochs": 1000, "max_steps": 20, "d_lr": 1e-2},
    },
    summary="OCAN complementary GAN, faithful to its official code; score = P(fake)",
)
class OCAN(ComplementaryGAN):
    """OCAN's complementary GAN; score = D's P(fake), native threshold 0.5 (D's argmax).

    The complementary-GAN core (:mod:`detectors.neural.complementary`) with one mode, no
    MI term and OCAN's settings, ported from PanpanZheng/OCAN ``oc_gan.py``
    (``docs/design.md``, "OCAN"). Where the code and the paper's prose differ, the code
    wins:

    * D ``d -> 100 -> 50 -> 2`` (ReLU, softmax over {real = 0, fake = 1}); G
      ``50 -> 100 -> d`` (ReLU, **tanh** output); weights N(0, 2/fan_in), biases 0. The
      ``paper`` preset widens both to the MMOC paper's 128 units, 1000 epochs, batch 100.
    * Inputs min-max scaled to [0, 1] on the training normals, so G's tanh over [-1, 1]
      can place complementary rows outside the data range.
    * T: D's architecture, one full-batch SGD step (lr 1e-3) towards "real", frozen.
    * G loss = pull-away on T's last hidden layer + ``mean(log p * 1[p > eps])`` with
      ``p`` = T's P(fake) and ``eps`` its batch mid-range + the row-paired L2 between D's
      logits of real and generated rows. D loss = CE(real) + CE(fake) + 1.85 x entropy
      of D on the real rows. SGD (``d_lr``) for D, Adam with TF defaults (``g_lr``) for
      G; one D step then one G step per minibatch; the last partial batch is dropped.

    ``max_steps`` caps the gradient steps. The ``quick`` preset runs 300 steps (the
    official runs do 2 000-3 500) with a 10x larger SGD rate for D (``d_lr=1e-2``).
    """

    def __init__(
        self,
        hidden: Sequence[int] = (100, 50),
        g_hidden: Sequence[int] = (100,),
        noise_dim: int = 50,
        d_lr: float = 1e-3,
        g_lr: float = 1e-3,
        t_lr: float = 1e-3,
        entropy_weight: float = OCAN_ENTROPY_WEIGHT,
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
        self.t_lr = t_lr
        self.entropy_weight = entropy_weight
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.max_steps = max_steps
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @classmethod
    def preprocessing_for(cls, params: dict) -> str:
        return "minmax"

    def settings(self) -> CoreSettings:
        return CoreSettings(**self._network_settings())
