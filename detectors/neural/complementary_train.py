"""The complementary-GAN core's training loop, for k folds at once (k = 1 for a plain fit).

Every fold keeps its own data, torch generator (shuffles, noise, codes), epsilon, k-means
labels, :class:`~detectors.neural.training.EpochRun` and networks; the weights of D, G
(with the ``mix`` means and scales) and T are stacked on a leading fold axis
(:class:`~detectors.neural.fold_batch.FoldStack`) and each step runs every fold's D step
and G step with batched matrix products. A fold whose budget is spent leaves the stack
and never moves again. ``docs/design.md``, "Fold batching".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from detectors.neural.fold_batch import FoldStack, stacked_forward
from detectors.neural.gan import Discriminator, GANDetector, make_optimizer, sample_noise
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

__all__ = ["CHOICES", "CoreSettings", "FAKE", "REAL", "Fold", "generate_stacked", "train_folds"]

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


def generate_stacked(
    s: CoreSettings,
    G: nn.Module,
    params: dict[str, torch.Tensor],
    gens: list[torch.Generator],
    n: int,
    codes: torch.Tensor | None,
) -> torch.Tensor:
    """G(phi(z, c)) for k folds, ``n`` rows each, fold i's noise from ``gens[i]``:
    ``cat`` = concat(z, one_hot(c)), z ~ U(-1, 1); ``mix`` = mu_c + sigma_c * z,
    z ~ N(0, I). With one mode and ``cat`` the code is dropped (constant)."""
    device = next(iter(params.values())).device
    kind = "normal" if s.latent == "mix" else "uniform"
    z = torch.stack([sample_noise(n, s.noise_dim, kind, g, device) for g in gens])
    if s.latent == "mix":
        folds = torch.arange(len(gens), device=device).unsqueeze(1)
        c = (
            codes
            if codes is not None
            else torch.zeros(z.shape[:2], dtype=torch.long, device=device)
        )
        z = params["mu"][folds, c] + params["sigma"][folds, c] * z
    elif codes is not None and s.n_modes > 1:
        z = torch.cat([z, F.one_hot(codes, int(s.n_modes)).to(z.dtype)], dim=-1)
    return stacked_forward(G, params, z)


class _Group:
    """The stacked state of the folds still training (all with equal batch rows)."""

    def __init__(self, s: CoreSettings, folds: list[Fold]):
        first = folds[0].det
        self.s, self.folds = s, list(folds)
        self.D: Discriminator = first.discriminator_
        self.G: nn.Module = first.generator_
        self.T: Discriminator = first.target_
        d_kind = "sgd" if s.d_optimizer == "sgd" else "adam"
        self.d = FoldStack(
            [dict(f.det.discriminator_.named_parameters()) for f in folds],
            lambda ps: make_optimizer(d_kind, ps, s.d_lr),
        )
        self.g = FoldStack(
            [f.generator_params() for f in folds], lambda ps: make_optimizer("adam-tf", ps, s.g_lr)
        )
        self.t = FoldStack([dict(f.det.target_.named_parameters()) for f in folds])
        n_max = max(f.data.shape[0] for f in folds)
        self.data = torch.stack([F.pad(f.data, (0, 0, 0, n_max - f.data.shape[0])) for f in folds])
        self.labels = None
        if folds[0].labels is not None:
            self.labels = torch.stack([F.pad(f.labels, (0, n_max - len(f.labels))) for f in folds])
        self.eps = None
        if s.eps_rule != "midrange":
            eps = [[f.det.epsilon_] for f in folds]
            self.eps = torch.tensor(eps, dtype=self.data.dtype, device=self.data.device)

    def keep(self, keep: list[int]) -> None:
        """Continue with the folds at positions ``keep`` only (the others are finished)."""
        if not keep:
            self.folds = []
            return
        for stack in (self.d, self.g, self.t):
            stack.keep(keep)
        rows = torch.tensor(keep, dtype=torch.long, device=self.data.device)
        self.data = self.data[rows]
        self.labels = None if self.labels is None else self.labels[rows]
        self.eps = None if self.eps is None else self.eps[rows]
        self.folds = [self.folds[i] for i in keep]

    def loss_names(self) -> list[str]:
        """The columns of :meth:`step`'s result, in the history's order."""
        extra = ["mi"] if self._use_mi() else []
        extra += ["sigma_reg"] if self.s.latent == "mix" else []
        return ["d_loss", "g_loss", "pull_away", "low_density", "feature_matching", *extra]

    def _use_mi(self) -> bool:
        return int(self.s.n_modes) > 1 and float(self.s.mi_weight) > 0

    def step(self, idx: torch.Tensor) -> torch.Tensor:
        """One D step then one G step for every fold; ``idx`` ``(k, rows)`` the folds' batch
        rows. Returns the losses, ``(k, len(loss_names()))``, without gradient."""
        s, lam, gens = self.s, float(self.s.mi_weight), [f.run.generator for f in self.folds]
        n = idx.shape[1]
        folds = torch.arange(len(self.folds), device=idx.device).unsqueeze(1)
        real = self.data[folds, idx]
        # -- discriminator (and Q): codes from Q on this batch, one fake per real row
        d_real = self.D.forward_stacked(self.d.params, real)
        codes = None
        if self.labels is not None:
            codes = self.labels[folds, idx]
        elif s.n_modes > 1:
            with torch.no_grad():
                probs = F.softmax(d_real.q_logits, dim=-1)
                draws = [torch.multinomial(p, 1, generator=g) for p, g in zip(probs, gens)]
                codes = torch.stack(draws).squeeze(-1)
        with torch.no_grad():
            fake = generate_stacked(s, self.G, self.g.params, gens, n, codes)
        d_fake = self.D.forward_stacked(self.d.params, fake)
        d_loss = (
            cross_entropy(d_real.logits, REAL)
            + cross_entropy(d_fake.logits, FAKE)
            + s.entropy_weight * categorical_entropy(d_real.logits)
        )
        if self._use_mi():
            d_loss = d_loss + lam * mutual_info_loss(d_fake.q_logits, codes, d_real.q_logits)
        self.d.step(d_loss)
        # -- generator: fresh z, the same codes and real rows, D after its update
        fake = generate_stacked(s, self.G, self.g.params, gens, n, codes)
        t_out = self.T.forward_stacked(self.t.params, fake)
        p_fake = F.softmax(t_out.logits, dim=-1)[..., FAKE]
        eps = midrange_threshold(p_fake).unsqueeze(-1) if self.eps is None else self.eps
        kl = low_density_kl(p_fake, eps, strict=True)
        g_real = self.D.forward_stacked(self.d.params, real)
        g_fake = self.D.forward_stacked(self.d.params, fake)
        pt = pull_away(t_out.features if s.pull_away_on == "target" else g_fake.features)
        if s.feature_matching == "paired-logits":
            fm = feature_matching_paired(g_real.logits, g_fake.logits)
        else:
            fm = feature_matching_mean(g_real.features.detach(), g_fake.features)
        g_loss = pt + kl + fm
        parts = [pt, kl, fm]
        if self._use_mi():
            mi = cross_entropy(g_fake.q_logits, codes)
            g_loss = g_loss + lam * mi
            parts.append(mi)
        if s.latent == "mix":
            reg = sigma_regulariser(self.g.params["sigma"], float(s.sigma_weight))
            g_loss = g_loss + reg
            parts.append(reg)
        self.g.step(g_loss)
        return torch.stack([d_loss, g_loss, *parts], dim=1).detach()


def train_folds(s: CoreSettings, folds: list[Fold]) -> None:
    """Train the folds' D and G together until every fold's budget is spent; each fold's
    weights end in its own modules and its loss history in ``fold.run.history``."""
    group = _Group(s, folds)
    names = group.loss_names()
    # how a divergence names the fold (None alone), built once rather than every step
    who = {id(f): f"the fold with random_state={f.det.random_state}" for f in folds}
    if len(folds) == 1:
        who = {id(folds[0]): None}
    try:
        while group.folds:
            idx = torch.stack([f.run.next_batch() for f in group.folds])
            rows = group.step(idx).tolist()  # one fetch of every fold's losses
            for fold, values in zip(group.folds, rows):
                fold.run.record_fold(dict(zip(names, values)), who[id(fold)])
            if any(f.run.done for f in group.folds):
                group.keep([i for i, f in enumerate(group.folds) if not f.run.done])
    finally:
        for fold in folds:
            fold.run.close()
