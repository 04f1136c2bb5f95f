"""The one complementary-GAN core: OCAN's code path, with MMOC-GAN's additions as switches.

``ocan`` is this core with OCAN's settings; ``mmoc-gan-cat``/``-mix`` are the same core
with the paper's additions (Q head, mode codes, MI loss, sigma regulariser, widths, the
epsilon rule). The loop lives here once; the detectors only choose :class:`CoreSettings`.
Design and sources: ``docs/design.md`` ("The complementary-GAN core").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from torch import nn

from benchmark.base import validate_features
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
    feature_matching_mean,
    feature_matching_paired,
    low_density_kl,
    midrange_threshold,
    mutual_info_loss,
    pull_away,
    sigma_regulariser,
)
from detectors.neural.training import torch_seed

__all__ = ["CHOICES", "ComplementaryGAN", "CoreSettings", "REAL", "FAKE"]

REAL, FAKE = 0, 1  # OCAN's class indices of D's (and T's) 2-way softmax

#: The core's design switches and their allowed values; the first value is OCAN's.
CHOICES: dict[str, tuple[str, ...]] = {
    "feature_matching": ("paired-logits", "mean-hidden"),
    "pull_away_on": ("target", "discriminator"),
    "d_optimizer": ("sgd", "adam"),
    "scaling": ("minmax-tanh", "standard-linear"),
    "eps_rule": ("midrange", "quantile"),
    "latent": ("cat", "mix"),
    "mode_init": ("q", "kmeans"),
}


@dataclass(frozen=True)
class CoreSettings:
    """Everything the core's training loop reads; defaults are OCAN's official code."""

    hidden: tuple[int, ...] = (100, 50)
    g_hidden: tuple[int, ...] = (100,)
    noise_dim: int = 50
    d_lr: float = 1e-3
    g_lr: float = 1e-3
    t_lr: float = 1e-3
    entropy_weight: float = OCAN_ENTROPY_WEIGHT
    n_modes: int = 1
    latent: str = "cat"
    mi_weight: float = 0.0
    mode_init: str = "q"
    sigma_init: float = 0.2
    sigma_weight: float = 0.03
    eps_rule: str = "midrange"
    eps_quantile: float = 0.005
    feature_matching: str = "paired-logits"
    pull_away_on: str = "target"
    d_optimizer: str = "sgd"
    scaling: str = "minmax-tanh"

    def check(self) -> None:
        """One place that validates every switch and number, with a one-line error."""
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {list(allowed)}, got {getattr(self, name)!r}"
                )
        if int(self.n_modes) < 1:
            raise ValueError(f"n_modes must be >= 1, got {self.n_modes}")
        if int(self.noise_dim) < 1:
            raise ValueError(f"noise_dim must be >= 1, got {self.noise_dim}")
        if not 0.0 <= float(self.eps_quantile) < 1.0:
            raise ValueError(f"eps_quantile must be in [0, 1), got {self.eps_quantile}")
        for name in ("d_lr", "g_lr", "t_lr"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("mi_weight", "sigma_weight", "entropy_weight"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if float(self.sigma_init) <= 0:
            raise ValueError(f"sigma_init must be > 0, got {self.sigma_init}")


def preprocessing_of(scaling: str) -> str:
    """The harness's feature scaling for a core ``scaling`` choice (tanh G needs [0, 1] data)."""
    return "minmax" if scaling == "minmax-tanh" else "standard"


class ComplementaryGAN(GANDetector):
    """A complementary GAN; score = D's P(fake) = 1 - P(real), native threshold 0.5.

    Subclasses store their ``__init__`` parameters and implement :meth:`settings`.
    After ``fit``: ``discriminator_``, ``generator_``, ``target_`` (T), ``epsilon_``
    (None under the mid-range rule), ``history_``, ``mode_weights_``.
    """

    preprocessing: ClassVar[str] = "minmax"

    def settings(self) -> CoreSettings:  # pragma: no cover - abstract
        raise NotImplementedError

    def _network_settings(self) -> dict:
        """The settings every complementary GAN exposes as parameters (widths, rates)."""
        return {
            "hidden": tuple(int(h) for h in self.hidden),
            "g_hidden": tuple(int(h) for h in self.g_hidden),
            "noise_dim": int(self.noise_dim),
            "d_lr": float(self.d_lr),
            "g_lr": float(self.g_lr),
            "t_lr": float(self.t_lr),
            "entropy_weight": float(self.entropy_weight),
        }

    @classmethod
    def preprocessing_for(cls, params: dict) -> str:
        return preprocessing_of(params.get("scaling", "minmax-tanh"))

    # -- pieces -------------------------------------------------------------------------
    def _build(self, s: CoreSettings, d: int) -> tuple[Discriminator, nn.Module, Discriminator]:
        """D (with a Q head when there are modes), G and T, He-initialised in OCAN's order."""
        m = int(s.n_modes)
        codes = m if m > 1 else 0
        D = he_init_(Discriminator(d, s.hidden, n_out=2, n_codes=codes, activation="relu"))
        n_in = s.noise_dim + (m if s.latent == "cat" and m > 1 else 0)
        out = "tanh" if s.scaling == "minmax-tanh" else None
        G = he_init_(generator_net(n_in, d, s.g_hidden, activation="relu", out_activation=out))
        D, G = D.to(self.device_), G.to(self.device_)
        self.mu_ = self.sigma_ = None
        if s.latent == "mix":
            self.mu_ = nn.Parameter(torch.rand(m, s.noise_dim, device=self.device_) * 2 - 1)
            self.sigma_ = nn.Parameter(
                torch.full((m, s.noise_dim), float(s.sigma_init), device=self.device_)
            )
        T = he_init_(Discriminator(d, s.hidden, n_out=2, activation="relu")).to(self.device_)
        return D, G, T

    def _pretrain_target(self, T: Discriminator, X: torch.Tensor, lr: float) -> Discriminator:
        """OCAN's T: one full-batch SGD step towards "real" on every training row, frozen."""
        opt = make_optimizer("sgd", T.parameters(), lr)
        labels = torch.full((X.shape[0],), REAL, dtype=torch.long, device=X.device)
        loss = F.cross_entropy(T(X).logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return T.requires_grad_(False).eval()

    def _generate(self, s: CoreSettings, n: int, codes, gen: torch.Generator) -> torch.Tensor:
        """G(phi(z, c)): ``cat`` = concat(z, one_hot(c)), z ~ U(-1, 1); ``mix`` = mu_c +
        sigma_c * z, z ~ N(0, I). With one mode and ``cat`` the code is dropped (constant)."""
        if s.latent == "mix":
            z = sample_noise(n, s.noise_dim, "normal", gen, self.device_)
            c = codes if codes is not None else torch.zeros(n, dtype=torch.long, device=z.device)
            return self.generator_(self.mu_[c] + self.sigma_[c] * z)
        z = sample_noise(n, s.noise_dim, "uniform", gen, self.device_)
        if codes is not None and s.n_modes > 1:
            z = torch.cat([z, F.one_hot(codes, int(s.n_modes)).to(z.dtype)], dim=1)
        return self.generator_(z)

    def _codes_fn(self, s: CoreSettings, X: np.ndarray) -> Callable | None:
        """How c_x is drawn per real row: from Q(c | x), or its k-means label; None: one mode."""
        if s.n_modes == 1:
            return None
        if s.mode_init == "kmeans":
            if X.shape[0] < s.n_modes:
                raise ValueError(f"k-means needs at least n_modes={s.n_modes} training rows")
            self.kmeans_ = KMeans(
                n_clusters=int(s.n_modes), n_init=3, random_state=self.random_state
            ).fit(X)
            labels = torch.as_tensor(self.kmeans_.labels_, dtype=torch.long, device=self.device_)
            return lambda q_logits, idx, gen: labels[idx]
        return lambda q_logits, idx, gen: torch.multinomial(
            F.softmax(q_logits, dim=1), 1, generator=gen
        ).reshape(-1)

    def _epsilon(self, s: CoreSettings, T: Discriminator, data: torch.Tensor) -> float | None:
        """The paper's rule on T's P(fake) column: its (1 - eps_quantile) quantile over the
        training normals, i.e. T's P(real) below its eps_quantile quantile. None: mid-range."""
        if s.eps_rule == "midrange":
            return None
        with torch.no_grad():
            p_fake = F.softmax(T(data).logits, dim=1)[:, FAKE].double().cpu().numpy()
        return float(np.quantile(p_fake, 1.0 - float(s.eps_quantile)))

    # -- training -----------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        s = self.settings()
        s.check()
        self._fit_checks(X)
        self._setup()
        m, lam = int(s.n_modes), float(s.mi_weight)
        with self._seeded() as gen:
            data = self._tensor(X)
            D, G, T = self._build(s, X.shape[1])
            self.generator_ = G
            T = self._pretrain_target(T, data, s.t_lr)
            self.epsilon_ = self._epsilon(s, T, data)
            draw_codes = self._codes_fn(s, X)
            d_opt = make_optimizer(
                "sgd" if s.d_optimizer == "sgd" else "adam", D.parameters(), s.d_lr
            )
            g_params = [*G.parameters(), *([self.mu_, self.sigma_] if s.latent == "mix" else [])]
            g_opt = make_optimizer("adam-tf", g_params, s.g_lr)
            use_mi = m > 1 and lam > 0

            def step(idx: torch.Tensor) -> dict[str, float]:
                real = data[idx]
                n = real.shape[0]
                # -- discriminator (and Q): codes from Q on this batch, one fake per real row
                d_real = D(real)
                codes = None
                if draw_codes is not None:
                    with torch.no_grad():
                        codes = draw_codes(d_real.q_logits, idx, gen)
                fake = self._generate(s, n, codes, gen).detach()
                d_fake = D(fake)
                d_loss = (
                    F.cross_entropy(d_real.logits, torch.full((n,), REAL, device=self.device_))
                    + F.cross_entropy(d_fake.logits, torch.full((n,), FAKE, device=self.device_))
                    + s.entropy_weight * categorical_entropy(d_real.logits)
                )
                if use_mi:
                    d_loss = d_loss + lam * mutual_info_loss(
                        d_fake.q_logits, codes, d_real.q_logits
                    )
                d_opt.zero_grad()
                d_loss.backward()
                d_opt.step()
                # -- generator: fresh z, the same codes and real rows, D after its update
                fake = self._generate(s, n, codes, gen)
                t_out = T(fake)
                p_fake = F.softmax(t_out.logits, dim=1)[:, FAKE]
                eps = midrange_threshold(p_fake) if self.epsilon_ is None else self.epsilon_
                kl = low_density_kl(p_fake, eps, strict=True)
                g_real, g_fake = D(real), D(fake)
                pt = pull_away(t_out.features if s.pull_away_on == "target" else g_fake.features)
                if s.feature_matching == "paired-logits":
                    fm = feature_matching_paired(g_real.logits, g_fake.logits)
                else:
                    fm = feature_matching_mean(g_real.features.detach(), g_fake.features)
                g_loss = pt + kl + fm
                losses = {
                    "pull_away": pt.item(),
                    "low_density": kl.item(),
                    "feature_matching": fm.item(),
                }
                if use_mi:
                    mi = F.cross_entropy(g_fake.q_logits, codes)
                    g_loss = g_loss + lam * mi
                    losses["mi"] = mi.item()
                if s.latent == "mix":
                    reg = sigma_regulariser(self.sigma_, float(s.sigma_weight))
                    g_loss = g_loss + reg
                    losses["sigma_reg"] = reg.item()
                g_opt.zero_grad()
                g_loss.backward()
                g_opt.step()
                return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), **losses}

            desc = getattr(self, "registry_name", type(self).__name__.lower())
            self.history_ = self._train(step, X.shape[0], desc, gen, drop_last=True)
        parts = [D, G] + ([self.mu_, self.sigma_] if s.latent == "mix" else [])
        self._check_finite(*parts)
        self.discriminator_ = D.eval()
        self.generator_ = G.eval()
        self.target_ = T
        self.mode_weights_ = np.bincount(self.predict_mode(X), minlength=m) / len(X)

    # -- scoring and sampling -----------------------------------------------------------
    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._score_batches(
            X, lambda x: F.softmax(self.discriminator_(x).logits, dim=1)[:, FAKE]
        )

    def _native_threshold(self) -> float:
        return 0.5

    def predict_mode(self, X) -> np.ndarray:
        """The mode of each row: its k-means cluster, argmax Q(c | x), or 0 with one mode."""
        check_is_fitted(self, "discriminator_")
        X = validate_features(X, n_features=self.n_features_in_)
        s = self.settings()
        if s.n_modes == 1:
            return np.zeros(X.shape[0], dtype=np.int64)
        if s.mode_init == "kmeans":
            return self.kmeans_.predict(X).astype(np.int64)
        q = self._score_batches(X, lambda x: self.discriminator_(x).q_logits.argmax(dim=1))
        return q.astype(np.int64)

    def sample(
        self, n: int, mode: int | None = None, random_state: int | None = None
    ) -> np.ndarray:
        """``n`` generated (complementary) rows, in the original feature space.

        ``mode`` fixes the code c (0 .. n_modes - 1); None draws codes with the training
        rows' mode frequencies. Rows go back through ``inverse_transform_`` when the
        harness set it (a fitted scaler or a function); otherwise they are in fit's space.
        """
        check_is_fitted(self, "generator_")
        s = self.settings()
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        m = int(s.n_modes)
        if mode is not None and not 0 <= int(mode) < m:
            raise ValueError(f"mode must be in [0, {m - 1}], got {mode}")
        with torch_seed(random_state, self.device_) as gen, torch.no_grad():
            if mode is None:
                w = torch.as_tensor(self.mode_weights_, dtype=torch.float32, device=self.device_)
                codes = torch.multinomial(w + 1e-12, int(n), replacement=True, generator=gen)
            else:
                codes = torch.full((int(n),), int(mode), dtype=torch.long, device=self.device_)
            rows = self._generate(s, int(n), codes, gen).double().cpu().numpy()
        inverse = getattr(self, "inverse_transform_", None)
        if inverse is None:
            return rows
        if hasattr(inverse, "inverse_transform"):
            inverse = inverse.inverse_transform
        return np.asarray(inverse(rows), dtype=np.float64)
