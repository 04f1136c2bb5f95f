"""MMOC-GAN (ICLR 2019 submission): a multimodal complementary GAN, as SPEC §4 pins it.

Two registered variants share one implementation: ``mmoc-gan-cat`` (one-hot mode code
concatenated to uniform noise, InfoGAN style) and ``mmoc-gan-mix`` (a learnable Gaussian
per mode, DeLiGAN style).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from torch import nn

from benchmark.base import validate_features
from benchmark.registry import register_detector
from detectors.neural.gan import (
    Discriminator,
    GANDetector,
    generator_net,
    make_optimizer,
    sample_noise,
)
from detectors.neural.gan_losses import (
    OCAN_ENTROPY_WEIGHT,
    bernoulli_entropy,
    feature_matching_mean,
    low_density_kl,
    mutual_info_loss,
    pull_away,
    sigma_regulariser,
)
from detectors.neural.training import torch_seed
from detectors.rgan import RGAN

__all__ = ["MMOCGAN", "MMOCGANCat", "MMOCGANMix"]

#: ``paper``: the paper's settings. ``quick``: 250 steps (plus 50 for T's GAN) instead of
#: the paper's 1000 epochs, about 2 s of one CPU core, with a larger Adam rate to make up
#: for part of that: 1e-2 for ``cat``; 3e-3 for ``mix``, which inverted on 2 of 6
#: synthetic seeds at 1e-2.
_QUICK: dict[str, Any] = {
    "n_epochs": 1000,
    "max_steps": 250,
    "lr": 1e-2,
    "pretrain_epochs": 1000,
    "pretrain_max_steps": 50,
}
_PAPER: dict[str, Any] = {
    "n_epochs": 1000,
    "batch_size": 100,
    "hidden": (128, 128),
    "g_hidden": (128,),
}


class MMOCGAN(GANDetector):
    """Multimodal one-class GAN; score = 1 - P(real) of its discriminator, native threshold 0.5.

    The paper published no code; these are SPEC §4's choices:

    * D: ``d -> 128 -> 128`` (leaky ReLU) with two heads sharing the trunk: P(real) and
      Q(c | x), an ``n_modes``-way softmax (InfoGAN: D's optimiser trains Q).
      G: ``input -> 128 -> d``, leaky ReLU, linear output (standardised data). Adam.
    * Mode code: for every real row x of a minibatch, c_x ~ Q(c | x) (``mode_init="q"``)
      or c_x = the k-means cluster of x on the training normals (``"kmeans"``, an
      extension); one generated row per real row. ``cat``: input concat(z, one_hot(c)),
      z ~ U(-1, 1); ``mix``: input mu_c + sigma_c * z, z ~ N(0, I), mu ~ U(-1, 1) and
      sigma = ``sigma_init`` at the start, both trained with G.
    * Target network T: the discriminator of the suite's ``rgan`` (a regular GAN) fitted
      on the same normals (``pretrain_*`` budget), then frozen. epsilon = the
      ``eps_quantile`` (1 - 0.995) quantile of T's P(real) on the training normals.
    * G loss = L_FM (squared distance of the batch means of D's last hidden layer)
      + L_PT (squared cosines of the same features of the fake rows) + L_KL
      (mean of log T(x~) * 1[T(x~) >= epsilon]) + ``mi_weight`` * L_MI
      (+ ``sigma_weight`` regulariser for ``mix``).
    * D loss = BCE(real -> real) + BCE(fake -> fake) + ``entropy_weight`` (1.85) x the
      entropy of D on the real rows + ``mi_weight`` * L_MI on the (detached) fake rows.

    Where SPEC is silent (our choices, documented here):

    * L_MI = CE(Q(c | x~), c) - H(batch mean of Q(c | x_real)). The entropy part does
      not depend on G's parameters (codes are sampled, not differentiated), so in the G
      step only the CE acts; it acts through D's loss, the only place it can train Q,
      which is how InfoGAN applies its MI term to both players. ``mi_weight`` scales it
      in both losses, so ``mi_weight=0`` switches the MI machinery off entirely.
    * Per minibatch one D step then one G step (OCAN's order). The G step keeps the D
      step's codes and draws fresh noise; its FM target (the real rows' mean features)
      comes from the D step's forward pass, i.e. D just before its update - one forward
      less per step, which matters under the ``quick`` budget. Batches are shuffled each
      epoch; a partial last batch is kept. The sigma regulariser averages
      (1 - sigma_c)^2 over the noise coordinates (DeLiGAN's code).
    * T's GAN uses ``rgan``'s defaults (z ~ N(0, I), Adam ``pretrain_lr``) with this
      detector's widths and batch size and the ``pretrain_epochs``/``pretrain_max_steps``
      budget.
    * With ``n_modes=1`` and ``mi_weight=0`` it is a complementary GAN with SPEC's losses.

    Known behaviour: the generator places its samples just outside the normal support
    (the method's intent), so rows *far* from every normal row are scored by D's
    extrapolation, which can call them real; and T, a regular GAN's D, is not a density
    estimate away from the data. On data sets whose anomalies are far outliers (e.g.
    thyroid, cardio) AUROC can fall below 0.5; OCAN's tanh generator over [-1, 1] on
    [0, 1]-scaled data does not have this problem.

    After ``fit``: ``history_`` (per-epoch losses), ``pretrain_history_`` (T's GAN),
    ``epsilon_``, ``mode_weights_`` (how often each mode is used on the training rows).
    :meth:`sample` draws complementary samples. ``inverse_transform_`` is a hook the
    harness may set after ``fit`` to the fitted feature scaler (or its
    ``inverse_transform``), so that :meth:`sample` returns rows in the original feature
    space; it defaults to the identity.
    """

    latent: ClassVar[str] = "cat"

    def __init__(
        self,
        n_modes: int = 10,
        mi_weight: float = 1.0,
        mode_init: str = "q",
        hidden: Sequence[int] = (128, 128),
        g_hidden: Sequence[int] = (128,),
        noise_dim: int = 50,
        lr: float = 1e-3,
        entropy_weight: float = OCAN_ENTROPY_WEIGHT,
        eps_quantile: float = 0.005,
        sigma_init: float = 0.2,
        sigma_weight: float = 0.03,
        batch_size: int = 100,
        n_epochs: int = 1000,
        max_steps: int | None = None,
        pretrain_epochs: int = 1000,
        pretrain_max_steps: int | None = None,
        pretrain_lr: float = 2e-4,
        random_state: int | None = None,
        device: str = "auto",
        verbose: bool = False,
    ):
        self.n_modes = n_modes
        self.mi_weight = mi_weight
        self.mode_init = mode_init
        self.hidden = hidden
        self.g_hidden = g_hidden
        self.noise_dim = noise_dim
        self.lr = lr
        self.entropy_weight = entropy_weight
        self.eps_quantile = eps_quantile
        self.sigma_init = sigma_init
        self.sigma_weight = sigma_weight
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.max_steps = max_steps
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_max_steps = pretrain_max_steps
        self.pretrain_lr = pretrain_lr
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # -- pieces -------------------------------------------------------------------------
    def _check_params(self, X: np.ndarray) -> None:
        self._fit_checks(X)
        if int(self.n_modes) < 1:
            raise ValueError(f"n_modes must be >= 1, got {self.n_modes}")
        if self.mode_init not in ("q", "kmeans"):
            raise ValueError(f"mode_init must be 'q' or 'kmeans', got {self.mode_init!r}")
        if not 0.0 <= float(self.eps_quantile) < 1.0:
            raise ValueError(f"eps_quantile must be in [0, 1), got {self.eps_quantile}")
        if self.mode_init == "kmeans" and X.shape[0] < self.n_modes:
            raise ValueError(f"k-means needs at least n_modes={self.n_modes} training rows")

    def _pretrain_target(self, X: np.ndarray) -> nn.Module:
        """T: the discriminator of an ``rgan`` fitted on the normals; sets ``epsilon_``."""
        gan = RGAN(
            hidden=self.hidden,
            g_hidden=self.g_hidden,
            noise_dim=self.noise_dim,
            lr=self.pretrain_lr,
            batch_size=self.batch_size,
            n_epochs=self.pretrain_epochs,
            max_steps=self.pretrain_max_steps,
            random_state=self.random_state,
            device=str(self.device_),
            verbose=self.verbose,
        ).fit(X)
        self.pretrain_history_ = gan.history_
        p_real = 1.0 - gan.decision_scores_
        self.epsilon_ = float(np.quantile(p_real, self.eps_quantile))
        return gan.discriminator_.requires_grad_(False).eval()

    def _build_generator(self, d: int) -> None:
        m, k = int(self.n_modes), int(self.noise_dim)
        n_in = k + m if self.latent == "cat" else k
        self.generator_ = generator_net(n_in, d, self.g_hidden).to(self.device_)
        if self.latent == "mix":
            mu = torch.rand(m, k, device=self.device_) * 2 - 1
            self.mu_ = nn.Parameter(mu)
            self.sigma_ = nn.Parameter(
                torch.full((m, k), float(self.sigma_init), device=self.device_)
            )

    def _g_params(self) -> list[nn.Parameter]:
        extra = [self.mu_, self.sigma_] if self.latent == "mix" else []
        return [*self.generator_.parameters(), *extra]

    def _generate(self, codes: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """G(phi(z, c)) for one code per row: the ``cat`` or ``mix`` feature construction."""
        n, k = codes.shape[0], int(self.noise_dim)
        if self.latent == "cat":
            z = sample_noise(n, k, "uniform", gen, self.device_)
            phi = torch.cat([z, F.one_hot(codes, int(self.n_modes)).to(z.dtype)], dim=1)
        else:
            z = sample_noise(n, k, "normal", gen, self.device_)
            phi = self.mu_[codes] + self.sigma_[codes] * z
        return self.generator_(phi)

    def _codes_fn(
        self, X: np.ndarray
    ) -> Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]:
        """How c_x is drawn for a minibatch: sampled from Q, or the row's k-means label."""
        if self.mode_init == "kmeans":
            self.kmeans_ = KMeans(
                n_clusters=int(self.n_modes), n_init=3, random_state=self.random_state
            ).fit(X)
            labels = torch.as_tensor(self.kmeans_.labels_, dtype=torch.long, device=self.device_)
            return lambda q_logits, idx, gen: labels[idx]
        return lambda q_logits, idx, gen: torch.multinomial(
            F.softmax(q_logits, dim=1), 1, generator=gen
        ).reshape(-1)

    # -- training -----------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        self._check_params(X)
        self._setup()
        T = self._pretrain_target(X)
        eps, lam, beta = self.epsilon_, float(self.mi_weight), float(self.entropy_weight)
        with self._seeded() as gen:
            data = self._tensor(X)
            D = Discriminator(X.shape[1], self.hidden, n_codes=int(self.n_modes)).to(self.device_)
            self.discriminator_ = D
            self._build_generator(X.shape[1])
            draw_codes = self._codes_fn(X)
            d_opt = make_optimizer("adam", D.parameters(), self.lr)
            g_opt = make_optimizer("adam", self._g_params(), self.lr)

            def step(idx: torch.Tensor) -> dict[str, float]:
                real = data[idx]
                n = real.shape[0]
                # -- discriminator (and Q): codes from Q on this batch, one fake per real row
                with torch.no_grad():
                    codes = draw_codes(D(real).q_logits, idx, gen)
                    fake = self._generate(codes, gen)
                out = D(torch.cat([real, fake]))
                r_logit, f_logit = out.logits[:n], out.logits[n:]
                d_mi = mutual_info_loss(out.q_logits[n:], codes, out.q_logits[:n])
                d_loss = (
                    F.binary_cross_entropy_with_logits(r_logit, torch.ones_like(r_logit))
                    + F.binary_cross_entropy_with_logits(f_logit, torch.zeros_like(f_logit))
                    + beta * bernoulli_entropy(r_logit)
                    + lam * d_mi
                )
                d_opt.zero_grad()
                d_loss.backward()
                d_opt.step()
                # -- generator: same codes, fresh noise; the real rows' features and Q come
                # from the D step's pass (saves a forward); D frozen: no weight gradients
                real_features = out.features[:n].detach()
                real_q = out.q_logits[:n].detach()
                D.requires_grad_(False)
                fake = self._generate(codes, gen)
                out_f = D(fake)
                fm = feature_matching_mean(real_features, out_f.features)
                pt = pull_away(out_f.features)
                kl = low_density_kl(torch.sigmoid(T(fake).logits).reshape(-1), eps)
                mi = mutual_info_loss(out_f.q_logits, codes, real_q)
                g_loss = fm + pt + kl + lam * mi
                losses = {"fm": fm.item(), "pull_away": pt.item(), "kl": kl.item(), "mi": mi.item()}
                if self.latent == "mix":
                    reg = sigma_regulariser(self.sigma_, float(self.sigma_weight))
                    g_loss = g_loss + reg
                    losses["sigma_reg"] = reg.item()
                g_opt.zero_grad()
                g_loss.backward()
                g_opt.step()
                D.requires_grad_(True)
                return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), **losses}

            self.history_ = self._train(
                step, X.shape[0], getattr(self, "registry_name", "mmoc-gan"), gen
            )
        self._check_finite(D, self.generator_, *self._g_params())
        D.eval()
        self.generator_.eval()
        self.target_ = T
        self.mode_weights_ = np.bincount(self.predict_mode(X), minlength=int(self.n_modes)) / len(X)

    # -- scoring and sampling -----------------------------------------------------------
    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._score_batches(X, lambda x: 1.0 - torch.sigmoid(self.discriminator_(x).logits))

    def _native_threshold(self) -> float:
        return 0.5

    def predict_mode(self, X) -> np.ndarray:
        """The mode of each row: its k-means cluster, or argmax Q(c | x) (for figures)."""
        check_is_fitted(self, "discriminator_")
        X = validate_features(X, n_features=self.n_features_in_)
        if self.mode_init == "kmeans":
            return self.kmeans_.predict(X).astype(np.int64)
        q = self._score_batches(X, lambda x: self.discriminator_(x).q_logits.argmax(dim=1))
        return q.astype(np.int64)

    def sample(
        self, n: int, mode: int | None = None, random_state: int | None = None
    ) -> np.ndarray:
        """``n`` generated complementary rows, in the original feature space.

        ``mode`` fixes the code c (0 .. n_modes - 1); None draws codes with the training
        rows' mode frequencies. Rows are mapped back through ``inverse_transform_`` when
        the harness set it (otherwise they are in the space ``fit`` saw).
        """
        check_is_fitted(self, "generator_")
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        m = int(self.n_modes)
        if mode is not None and not 0 <= int(mode) < m:
            raise ValueError(f"mode must be in [0, {m - 1}], got {mode}")
        with torch_seed(random_state, self.device_) as gen, torch.no_grad():
            if mode is None:
                weights = torch.as_tensor(
                    self.mode_weights_, dtype=torch.float32, device=self.device_
                )
                codes = torch.multinomial(weights + 1e-12, int(n), replacement=True, generator=gen)
            else:
                codes = torch.full((int(n),), int(mode), dtype=torch.long, device=self.device_)
            rows = self._generate(codes, gen).double().cpu().numpy()
        inverse = getattr(self, "inverse_transform_", None)
        if inverse is None:
            return rows
        if hasattr(inverse, "inverse_transform"):
            inverse = inverse.inverse_transform
        return np.asarray(inverse(rows), dtype=np.float64)


@register_detector(
    "mmoc-gan-cat",
    presets={"quick": _QUICK, "paper": _PAPER},
    summary="MMOC-GAN, one-hot mode code concatenated to the noise; score = 1 - P(real)",
)
class MMOCGANCat(MMOCGAN):
    """MMOC-GAN with phi_cat(z, c) = concat(z, one_hot(c)), z ~ U(-1, 1) (see :class:`MMOCGAN`)."""

    latent: ClassVar[str] = "cat"


@register_detector(
    "mmoc-gan-mix",
    presets={"quick": {**_QUICK, "lr": 3e-3}, "paper": _PAPER},
    summary="MMOC-GAN, a learnable Gaussian per mode in latent space; score = 1 - P(real)",
)
class MMOCGANMix(MMOCGAN):
    """MMOC-GAN with phi_mix(z, c) = mu_c + sigma_c * z, z ~ N(0, I) (see :class:`MMOCGAN`)."""

    latent: ClassVar[str] = "mix"
