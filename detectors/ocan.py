"""OCAN (Zheng et al., AAAI 2019): a complementary GAN, ported from its official code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from benchmark.registry import register_detector
from detectors.neural.gan import (
    Discriminator,
    GANDetector,
    generator_net,
    he_init_,
    make_optimizer,
    sample_noise,
)
from detectors.neural.gan_losses import (
    OCAN_ENTROPY_WEIGHT,
    categorical_entropy,
    feature_matching_paired,
    low_density_kl,
    midrange_threshold,
    pull_away,
)

__all__ = ["OCAN"]

_REAL, _FAKE = 0, 1  # OCAN's class indices of the 2-way softmax


@register_detector(
    "ocan",
    presets={
        "quick": {"batch_size": 70, "n_epochs": 1000, "max_steps": 300, "d_lr": 1e-2},
        "paper": {
            "n_epochs": 1000,
            "batch_size": 100,
            "hidden": (128, 128),
            "g_hidden": (128,),
        },
    },
    summary="OCAN complementary GAN, faithful to its official code; score = P(fake)",
)
class OCAN(GANDetector):
    """OCAN's complementary GAN; score = D's P(fake), native threshold 0.5 (D's argmax).

    A port of PanpanZheng/OCAN ``oc_gan.py`` (reference_impls §2); each choice follows
    that code, not the paper's prose, where the two differ:

    * Networks (class defaults): D ``d -> 100 -> 50 -> 2`` with ReLU and a softmax over
      {real = 0, fake = 1}; G ``50 -> 100 -> d`` with ReLU and a **tanh** output; weights
      N(0, 2/fan_in), biases 0 (what the code's ``xavier_init`` does). The ``paper``
      preset widens both to the MMOC paper's 128 units, 1000 epochs, batch 100.
    * ``preprocessing = "minmax"``: OCAN's inputs are min-max scaled to [0, 1] while G's
      tanh spans [-1, 1], so G can place complementary samples outside the data range;
      z-scored inputs would break that relation.
    * Target network T: D's architecture, separate weights, given **one full-batch SGD
      step** (lr 1e-3) on the training rows all labelled "real", then frozen - a
      near-random network, exactly as the code (not the paper's "pretrained density
      estimator"; MMOC-GAN implements that reading).
    * G loss = pull-away (squared cosines, off-diagonal mean) on **T's** last hidden layer
      + low-density term ``mean(log p * 1[p > eps])`` with ``p`` = T's **fake** column and
      ``eps`` = the batch mid-range ``(max p + min p) / 2`` + feature matching as the
      per-sample **paired L2 between D's logits** of the i-th real and i-th fake row.
    * D loss = CE(real -> 0) + CE(fake -> 1) + 1.85 x entropy of D on the real rows.
    * Optimisers: plain SGD (``d_lr`` 1e-3) for D, Adam with TensorFlow defaults
      (``g_lr`` 1e-3) for G; one D step then one G step per minibatch, fresh z ~ U(-1, 1)
      for each, the G step re-using the D step's real minibatch; batches per epoch =
      floor(n / batch) (the last partial batch is dropped, as in the code).
    * Detection: D's argmax, i.e. score = P(fake) > 0.5. The code reports the last
      epoch; so does this port (no early stopping).

    ``max_steps`` caps the gradient steps. The ``quick`` preset runs 300 steps (the
    official runs do 2 000-3 500) and compensates with a 10x larger SGD rate for D
    (``d_lr=1e-2``); everything else stays as in the code. ``history_`` holds the
    per-epoch mean ``d_loss``, ``g_loss`` and the three G terms.
    """

    preprocessing: ClassVar[str] = "minmax"

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

    def _pretrain_target(self, X: torch.Tensor) -> Discriminator:
        """T: one full-batch SGD step towards "real" on every training row, then frozen."""
        T = he_init_(Discriminator(X.shape[1], self.hidden, n_out=2, activation="relu"))
        T = T.to(self.device_)
        opt = make_optimizer("sgd", T.parameters(), self.t_lr)
        labels = torch.full((X.shape[0],), _REAL, dtype=torch.long, device=X.device)
        loss = F.cross_entropy(T(X).logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        T.requires_grad_(False)
        return T.eval()

    def _fit(self, X: np.ndarray) -> None:
        self._fit_checks(X)
        self._setup()
        d = X.shape[1]
        with self._seeded() as gen:
            data = self._tensor(X)
            D = he_init_(Discriminator(d, self.hidden, n_out=2, activation="relu")).to(self.device_)
            G = he_init_(
                generator_net(
                    self.noise_dim, d, self.g_hidden, activation="relu", out_activation="tanh"
                )
            ).to(self.device_)
            T = self._pretrain_target(data)
            d_opt = make_optimizer("sgd", D.parameters(), self.d_lr)
            g_opt = make_optimizer("adam-tf", G.parameters(), self.g_lr)

            def step(idx: torch.Tensor) -> dict[str, float]:
                real = data[idx]
                n = real.shape[0]
                # -- discriminator
                fake = G(sample_noise(n, self.noise_dim, "uniform", gen, self.device_)).detach()
                real_logits = D(real).logits
                fake_logits = D(fake).logits
                d_loss = (
                    F.cross_entropy(real_logits, torch.full((n,), _REAL, device=self.device_))
                    + F.cross_entropy(fake_logits, torch.full((n,), _FAKE, device=self.device_))
                    + self.entropy_weight * categorical_entropy(real_logits)
                )
                d_opt.zero_grad()
                d_loss.backward()
                d_opt.step()
                # -- generator (fresh z, same real minibatch, D after its update)
                fake = G(sample_noise(n, self.noise_dim, "uniform", gen, self.device_))
                t_out = T(fake)
                p_fake = F.softmax(t_out.logits, dim=1)[:, _FAKE]
                pt = pull_away(t_out.features)
                kl = low_density_kl(p_fake, midrange_threshold(p_fake), strict=True)
                fm = feature_matching_paired(D(real).logits, D(fake).logits)
                g_loss = pt + kl + fm
                g_opt.zero_grad()
                g_loss.backward()
                g_opt.step()
                return {
                    "d_loss": d_loss.item(),
                    "g_loss": g_loss.item(),
                    "pull_away": pt.item(),
                    "low_density": kl.item(),
                    "feature_matching": fm.item(),
                }

            self.history_ = self._train(step, X.shape[0], "ocan", gen, drop_last=True)
        self._check_finite(D, G)
        self.discriminator_ = D.eval()
        self.generator_ = G.eval()
        self.target_ = T

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._score_batches(
            X, lambda x: F.softmax(self.discriminator_(x).logits, dim=1)[:, _FAKE]
        )

    def _native_threshold(self) -> float:
        return 0.5
