"""The one complementary-GAN core: OCAN's code path, with MMOC-GAN's additions as switches.

``ocan`` is this core with OCAN's settings; ``mmoc-gan-cat``/``-mix`` are the same core
with the paper's additions (Q head, mode codes, MI loss, sigma regulariser, widths, the
epsilon rule). The detectors only choose :class:`CoreSettings`; the training loop lives
once, in :mod:`detectors.neural.complementary_train`, and trains one fold (``fit``) or k
folds at once (``fit_group``). Design and sources: ``docs/design.md`` ("The
complementary-GAN core", "Fold batching").
"""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from torch import nn

from benchmark.base import validate_features
from detectors.neural.complementary_train import (
    CHOICES,
    FAKE,
    REAL,
    CoreSettings,
    Fold,
    generate,
    train_folds,
)
from detectors.neural.gan import (
    Discriminator,
    GANDetector,
    check_group,
    generator_net,
    he_init_,
    make_optimizer,
)
from detectors.neural.training import EpochRun, torch_seed

__all__ = ["CHOICES", "ComplementaryGAN", "CoreSettings", "REAL", "FAKE", "check_group"]


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

    def _kmeans_labels(self, s: CoreSettings, X: np.ndarray) -> torch.Tensor | None:
        """``mode_init="kmeans"``: each training row's k-means cluster (fits ``kmeans_``)."""
        if s.n_modes == 1 or s.mode_init != "kmeans":
            return None
        if X.shape[0] < s.n_modes:
            raise ValueError(f"k-means needs at least n_modes={s.n_modes} training rows")
        self.kmeans_ = KMeans(
            n_clusters=int(s.n_modes), n_init=3, random_state=self.random_state
        ).fit(X)
        return torch.as_tensor(self.kmeans_.labels_, dtype=torch.long, device=self.device_)

    def _epsilon(self, s: CoreSettings, T: Discriminator, data: torch.Tensor) -> float | None:
        """The paper's rule: eps on the column the density term reads, cut at T's P(real)
        ``eps_quantile`` quantile over the training normals. ``"ocan-code"``: the (1 -
        eps_quantile) quantile of P(fake); ``"paper-eq8"``: the eps_quantile quantile of
        P(real), so 1 - eps_quantile of the normals are "high density". None: mid-range."""
        if s.eps_rule == "midrange":
            return None
        ocan = s.density_term == "ocan-code"
        with torch.no_grad():
            probs = F.softmax(T(data).logits, dim=1)[:, FAKE if ocan else REAL]
        p = probs.double().cpu().numpy()
        q = float(s.eps_quantile)
        return float(np.quantile(p, 1.0 - q if ocan else q))

    # -- training -----------------------------------------------------------------------
    @classmethod
    def _fit_folds(cls, detectors: list[Self], Xs: list[np.ndarray]) -> None:
        """Build each fold's networks and train the folds in lockstep."""
        s = detectors[0].settings()
        s.check()
        folds = [det._start_fold(s, X) for det, X in zip(detectors, Xs)]
        train_folds(s, folds)
        for fold, X in zip(folds, Xs):
            fold.det._finish_fold(s, fold, X)

    def _start_fold(self, s: CoreSettings, X: np.ndarray) -> Fold:
        """This fold's seeded part: its networks (He init from its seed), T, epsilon, k-means."""
        self._fit_checks(X)
        self._setup()
        with self._seeded() as gen:
            data = self._tensor(X)
            D, G, T = self._build(s, X.shape[1])
            self.discriminator_, self.generator_ = D, G
            self.target_ = self._pretrain_target(T, data, s.t_lr)
            self.epsilon_ = self._epsilon(s, self.target_, data)
            labels = self._kmeans_labels(s, X)
        run = EpochRun(
            X.shape[0],
            batch_size=int(self.batch_size),
            n_epochs=int(self.n_epochs),
            generator=gen,
            max_steps=None if self.max_steps is None else int(self.max_steps),
            drop_last=True,
            progress=bool(self.verbose),
            desc=getattr(self, "registry_name", type(self).__name__.lower()),
        )
        return Fold(self, data, labels, run)

    def _finish_fold(self, s: CoreSettings, fold: Fold, X: np.ndarray) -> None:
        """After training: finite weights, eval mode, history and the modes' frequencies."""
        parts = [self.discriminator_, self.generator_]
        self._check_finite(*parts, *([self.mu_, self.sigma_] if s.latent == "mix" else []))
        self.discriminator_.eval()
        self.generator_.eval()
        self.history_ = fold.run.history
        m = int(s.n_modes)
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
            mix = None if self.mu_ is None else (self.mu_, self.sigma_)
            rows = generate(s, self.generator_, mix, gen, int(n), codes)
            rows = rows.double().cpu().numpy()
        inverse = getattr(self, "inverse_transform_", None)
        if inverse is None:
            return rows
        if hasattr(inverse, "inverse_transform"):
            inverse = inverse.inverse_transform
        return np.asarray(inverse(rows), dtype=np.float64)
