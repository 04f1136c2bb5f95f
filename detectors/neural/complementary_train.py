"""The complementary-GAN core's training loop, for k folds at once (k = 1 for a plain fit).

Every fold keeps its own data, torch generator (shuffles, noise, codes), epsilon, k-means
labels, :class:`~detectors.neural.training.EpochRun` and networks (D, G with the ``mix``
means and scales, T), and computes its forward passes and losses with them exactly as a
lone fit does; the folds share one backward call and one optimiser step per player
(:class:`~detectors.neural.fold_batch.FoldOptimizer`), so a grouped fold equals its lone
fit by construction. A fold whose budget is spent stops and never moves again.
``docs/design.md``, "Fold batching".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from detectors.neural.fold_batch import FoldOptimizer
from detectors.neural.gan import GANDetector, make_optimizer, sample_noise
from detectors.neural.gan_losses import (
    OCAN_ENTROPY_WEIGHT,
    categorical_entropy,
    cross_entropy,
    feature_matching_mean,
    feature_matching_paired,
    low_density_kl,
    midrange_threshold,
    mutual_info_loss,
    pull_away,
    sigma_regulariser,
)
from detectors.neural.training import EpochRun

__all__ = ["CHOICES", "CoreSettings", "FAKE", "REAL", "Fold", "generate", "train_folds"]

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
    "density_term": ("ocan-code", "paper-eq8"),
    "q_training": ("infogan", "paper-eq11"),
}


@dataclass(frozen=True)
class CoreSettings:
    """Everything the core's training loop reads; defaults are OCAN's official code.

    ``density_term``: G's low-density term on T's output. ``"ocan-code"`` (OCAN's
    ``oc_gan.py``): ``mean(log p * 1[p > eps])`` on T's P(fake) column, pulling the rows T
    finds less real than eps towards "real". ``"paper-eq8"`` (MMOC-GAN Eq. 8, OCAN's paper):
    ``mean(log p * 1[p >= eps])`` on T's P(real), the density proxy, pushing the rows in
    the high-density region out of it. ``q_training``: ``"infogan"`` puts the MI term in
    D's loss (it trains Q with D, as InfoGAN's code); ``"paper-eq11"`` leaves D's loss as
    Eq. 11 (no MI) and trains Q's head with G on Eq. 7's L_MI.
    """

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
    density_term: str = "ocan-code"
    q_training: str = "infogan"

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


@dataclass
class Fold:
    """One fold's own part of a group: its detector (holding D, G, T and the ``mix``
    tables), training rows, k-means labels (None unless ``mode_init="kmeans"``) and run."""

    det: GANDetector  # a ComplementaryGAN
    data: torch.Tensor
    labels: torch.Tensor | None
    run: EpochRun

    def generator_params(self) -> dict[str, torch.Tensor]:
        """G's parameters by name, plus ``mu``/``sigma`` under the ``mix`` latent."""
        extra = {} if self.det.mu_ is None else {"mu": self.det.mu_, "sigma": self.det.sigma_}
        return dict(self.det.generator_.named_parameters()) | extra


def generate(
    s: CoreSettings,
    G: nn.Module,
    mix: tuple[torch.Tensor, torch.Tensor] | None,
    generator: torch.Generator,
    n: int,
    codes: torch.Tensor | None,
) -> torch.Tensor:
    """G(phi(z, c)) for ``n`` rows, the noise from ``generator``: ``cat`` = concat(z,
    one_hot(c)), z ~ U(-1, 1); ``mix`` = mu_c + sigma_c * z, z ~ N(0, I) (``mix`` the
    ``(mu, sigma)`` tables). With one mode and ``cat`` the code is dropped (constant)."""
    device = next(G.parameters()).device
    kind = "normal" if s.latent == "mix" else "uniform"
    z = sample_noise(n, s.noise_dim, kind, generator, device)
    if s.latent == "mix":
        mu, sigma = mix
        c = codes if codes is not None else torch.zeros(n, dtype=torch.long, device=device)
        z = mu[c] + sigma[c] * z
    elif codes is not None and s.n_modes > 1:
        z = torch.cat([z, F.one_hot(codes, int(s.n_modes)).to(z.dtype)], dim=-1)
    return G(z)


class _ComplementaryFolds:
    """The folds still training, their two optimisers, and one lockstep D and G step."""

    def __init__(self, s: CoreSettings, folds: list[Fold]):
        self.s, self.folds = s, list(folds)
        d_kind = "sgd" if s.d_optimizer == "sgd" else "adam"
        self.d = FoldOptimizer(
            [self._d_params(f) for f in folds], lambda ps: make_optimizer(d_kind, ps, s.d_lr)
        )
        self.g = FoldOptimizer(
            [self._g_params(f) for f in folds], lambda ps: make_optimizer("adam-tf", ps, s.g_lr)
        )

    def _q_with_g(self) -> bool:
        """Eq. 11: Q's head trains with G (on L_MI), not with D."""
        return self._use_mi() and self.s.q_training == "paper-eq11"

    def _d_params(self, f: Fold) -> list[torch.Tensor]:
        named = f.det.discriminator_.named_parameters()
        return [p for n, p in named if not (self._q_with_g() and n.startswith("q_head."))]

    def _g_params(self, f: Fold) -> list[torch.Tensor]:
        q = list(f.det.discriminator_.q_head.parameters()) if self._q_with_g() else []
        return list(f.generator_params().values()) + q

    def loss_names(self) -> list[str]:
        """The columns of :meth:`step`'s result, in the history's order."""
        extra = ["mi"] if self._use_mi() else []
        extra += ["sigma_reg"] if self.s.latent == "mix" else []
        return ["d_loss", "g_loss", "pull_away", "low_density", "feature_matching", *extra]

    def _use_mi(self) -> bool:
        return int(self.s.n_modes) > 1 and float(self.s.mi_weight) > 0

    def _mix(self, f: Fold) -> tuple[torch.Tensor, torch.Tensor] | None:
        return None if f.det.mu_ is None else (f.det.mu_, f.det.sigma_)

    def _d_loss(self, f: Fold, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fold's D (and Q) loss on its batch ``idx``, and the batch's mode codes."""
        s, D, gen = self.s, f.det.discriminator_, f.run.generator
        real = f.data[idx]
        d_real = D(real)
        codes = None
        if f.labels is not None:
            codes = f.labels[idx]
        elif s.n_modes > 1:
            with torch.no_grad():
                probs = F.softmax(d_real.q_logits, dim=-1)
                codes = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
        with torch.no_grad():
            fake = generate(s, f.det.generator_, self._mix(f), gen, len(idx), codes)
        d_fake = D(fake)
        d_loss = (
            cross_entropy(d_real.logits, REAL)
            + cross_entropy(d_fake.logits, FAKE)
            + s.entropy_weight * categorical_entropy(d_real.logits)
        )
        if self._use_mi() and not self._q_with_g():
            mi = mutual_info_loss(d_fake.q_logits, codes, d_real.q_logits)
            d_loss = d_loss + float(s.mi_weight) * mi
        return d_loss, codes

    def _g_losses(self, f: Fold, idx: torch.Tensor, codes: torch.Tensor | None) -> list:
        """The fold's G loss and its parts (fresh z, the same codes and real rows, D after
        its update)."""
        s, D = self.s, f.det.discriminator_
        fake = generate(s, f.det.generator_, self._mix(f), f.run.generator, len(idx), codes)
        t_out = f.det.target_(fake)
        ocan = s.density_term == "ocan-code"
        p = F.softmax(t_out.logits, dim=-1)[..., FAKE if ocan else REAL]
        eps = midrange_threshold(p) if f.det.epsilon_ is None else f.det.epsilon_
        kl = low_density_kl(p, eps, strict=ocan)
        g_real, g_fake = D(f.data[idx]), D(fake)
        pt = pull_away(t_out.features if s.pull_away_on == "target" else g_fake.features)
        if s.feature_matching == "paired-logits":
            fm = feature_matching_paired(g_real.logits, g_fake.logits)
        else:
            fm = feature_matching_mean(g_real.features.detach(), g_fake.features)
        g_loss = pt + kl + fm
        parts = [pt, kl, fm]
        if self._use_mi():
            if self._q_with_g():  # Eq. 7's whole L_MI, for G and Q's head
                mi = mutual_info_loss(g_fake.q_logits, codes, g_real.q_logits)
            else:  # Q trained with D: G's part of the MI term
                mi = cross_entropy(g_fake.q_logits, codes)
            g_loss = g_loss + float(s.mi_weight) * mi
            parts.append(mi)
        if s.latent == "mix":
            reg = sigma_regulariser(f.det.sigma_, float(s.sigma_weight))
            g_loss = g_loss + reg
            parts.append(reg)
        return [g_loss, *parts]

    def step(self, active: list[int], idx: list[torch.Tensor]) -> torch.Tensor:
        """One D step then one G step for the folds ``active`` (their batch rows ``idx``).
        Returns their losses, ``(k, len(loss_names()))``, without gradient."""
        folds = [self.folds[i] for i in active]
        d_out = [self._d_loss(f, rows) for f, rows in zip(folds, idx)]
        self.d.step(active, [loss for loss, _ in d_out])
        g_out = [self._g_losses(f, rows, c) for f, rows, (_, c) in zip(folds, idx, d_out)]
        self.g.step(active, [losses[0] for losses in g_out])
        rows = [torch.stack([d_loss, *g]) for (d_loss, _), g in zip(d_out, g_out)]
        return torch.stack(rows).detach()


def train_folds(s: CoreSettings, folds: list[Fold]) -> None:
    """Train the folds' D and G together until every fold's budget is spent; each fold's
    weights end in its own modules and its loss history in ``fold.run.history``."""
    group = _ComplementaryFolds(s, folds)
    names = group.loss_names()
    active = list(range(len(folds)))
    # how a divergence names the fold (None alone), built once rather than every step
    who = [f"the fold with random_state={f.det.random_state}" for f in folds]
    if len(folds) == 1:
        who = [None]
    try:
        while active:
            idx = [folds[i].run.next_batch() for i in active]
            rows = group.step(active, idx).tolist()  # one fetch of every fold's losses
            for i, values in zip(active, rows):
                folds[i].run.record_fold(dict(zip(names, values)), who[i])
            active = [i for i in active if not folds[i].run.done]
    finally:
        for fold in folds:
            fold.run.close()
