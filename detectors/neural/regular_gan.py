"""The regular GAN's training loop (``rgan``, ``anogan``'s GAN), for k folds at once.

A plain fit is a group of one, so the loop exists once. Every fold keeps its own rows,
torch generator (shuffles, noise), :class:`~detectors.neural.training.EpochRun` and
networks; each round, every fold still training takes its D step and then its G step in
lockstep with the others (:class:`~detectors.neural.fold_batch.FoldOptimizer`: its own
forward pass and losses, one shared backward and optimiser step), an epoch's last, shorter
batch included. A fold whose budget is spent stops and never moves again.
``docs/design.md``, "Fold batching".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from detectors.neural.fold_batch import FoldOptimizer
from detectors.neural.gan import (
    Discriminator,
    GANDetector,
    l1_l2_penalty,
    make_optimizer,
    sample_noise,
)
from detectors.neural.training import EpochRun

__all__ = [
    "GANFold",
    "RegularGAN",
    "RegularGANSettings",
    "train_regular_gans",
]


@dataclass(frozen=True)
class RegularGANSettings:
    """What the loop reads besides the folds: noise, optimisers and OCAN's Keras options.

    ``keras_style`` follows OCAN's Keras RGAN baseline: the D steps take generated rows
    drawn up front, one per training row of the epoch, D's loss is the mean BCE over the
    joint real + generated batch, and ``weight_penalty`` adds Keras's ``l1_l2`` kernel
    regulariser of each player to its own loss. ``fake_refresh`` (keras_style only) draws
    those rows in blocks of that many minibatches instead of once per epoch, so none is
    more than ``fake_refresh`` G steps old; None: one block per epoch, as the Keras loop.
    """

    noise_dim: int
    noise: str
    d_optimizer: str
    d_lr: float
    g_optimizer: str
    g_lr: float
    keras_style: bool = False
    weight_penalty: float = 0.0
    fake_refresh: int | None = None


@dataclass
class GANFold:
    """One fold's part of a group: its D (single-logit head), G, rows and run."""

    D: Discriminator
    G: nn.Module
    data: torch.Tensor
    run: EpochRun
    fakes: torch.Tensor | None = None  # keras_style: the current block's generated rows
    used: int = 0  # rows of ``fakes`` the D steps have taken
    left: int = 0  # rows of the epoch not yet drawn

    @classmethod
    def start(
        cls,
        s: RegularGANSettings,
        D: Discriminator,
        G: nn.Module,
        data: torch.Tensor,
        generator: torch.Generator,
        **run_options,
    ) -> GANFold:
        """A fold and its :class:`EpochRun` (``run_options``: batch size, epochs, ...)."""
        fold = cls(D, G, data, EpochRun(data.shape[0], generator=generator, **run_options))
        if s.keras_style:
            fold.run.on_epoch = lambda epoch: fold._new_epoch()
        return fold

    def _new_epoch(self) -> None:
        self.fakes, self.used, self.left = None, 0, self.data.shape[0]

    def next_fakes(self, s: RegularGANSettings, k: int) -> torch.Tensor:
        """keras_style: the generated rows of a D step on ``k`` real rows, taken in order
        from the current block; a new block (the epoch's next ``fake_refresh`` minibatches'
        worth, or the whole epoch's) is drawn from the current G when it is used up."""
        if self.fakes is None or self.used + k > self.fakes.shape[0]:
            n = self.left
            if s.fake_refresh is not None:
                n = min(n, s.fake_refresh * self.run.batch_size)
            n = max(n, k)
            with torch.no_grad():
                gen, device = self.run.generator, self.data.device
                self.fakes = self.G(sample_noise(n, s.noise_dim, s.noise, gen, device))
            self.used, self.left = 0, max(self.left - n, 0)
        fake = self.fakes[self.used : self.used + k]
        self.used += k
        return fake


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Mean BCE-with-logits of ``(rows, 1)`` logits against a constant target."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class _RegularGANFolds:
    """The folds of one group and their two optimisers; one lockstep D step and G step."""

    def __init__(self, s: RegularGANSettings, folds: list[GANFold]):
        self.s, self.folds = s, folds
        self.d = FoldOptimizer(
            [list(f.D.parameters()) for f in folds],
            lambda ps: make_optimizer(s.d_optimizer, ps, s.d_lr),
        )
        self.g = FoldOptimizer(
            [list(f.G.parameters()) for f in folds],
            lambda ps: make_optimizer(s.g_optimizer, ps, s.g_lr),
        )

    def _noise(self, fold: GANFold, n: int) -> torch.Tensor:
        s = self.s
        return sample_noise(n, s.noise_dim, s.noise, fold.run.generator, fold.data.device)

    def _d_loss(self, f: GANFold, rows: torch.Tensor) -> torch.Tensor:
        s = self.s
        real = f.data[rows]
        if s.keras_style:
            fake = f.next_fakes(s, len(rows))
        else:
            with torch.no_grad():
                fake = f.G(self._noise(f, len(rows)))
        bce_real, bce_fake = _bce(f.D(real).logits, 1.0), _bce(f.D(fake).logits, 0.0)
        d_loss = (bce_real + bce_fake) / 2 if s.keras_style else bce_real + bce_fake
        return d_loss + l1_l2_penalty(f.D, s.weight_penalty)

    def _g_loss(self, f: GANFold, rows: torch.Tensor) -> torch.Tensor:
        fake = f.G(self._noise(f, len(rows)))
        return _bce(f.D(fake).logits, 1.0) + l1_l2_penalty(f.G, self.s.weight_penalty)

    def step(self, sub: list[int], idx: list[torch.Tensor]) -> torch.Tensor:
        """One D step then one G step for the folds ``sub`` (their batches ``idx``);
        returns their ``(d_loss, g_loss)``, ``(k, 2)``, without gradient."""
        folds = [self.folds[i] for i in sub]
        d_losses = [self._d_loss(f, rows) for f, rows in zip(folds, idx)]
        self.d.step(sub, d_losses)
        g_losses = [self._g_loss(f, rows) for f, rows in zip(folds, idx)]
        self.g.step(sub, g_losses)
        return torch.stack([torch.stack(d_losses), torch.stack(g_losses)], dim=1).detach()


def train_regular_gans(s: RegularGANSettings, folds: list[GANFold]) -> None:
    """Train every fold's D and G until its budget is spent (per minibatch: one D step on
    BCE(real -> 1) + BCE(fake -> 0), then one G step on BCE(D(G(z)) -> 1) with fresh
    noise); the weights end in each fold's modules, the losses in ``fold.run.history``."""
    group = _RegularGANFolds(s, folds)
    active = list(range(len(folds)))
    who = [f"fold {i} of the group" if len(folds) > 1 else None for i in active]
    try:
        while active:
            batches = [folds[i].run.next_batch() for i in active]
            losses = group.step(active, batches).tolist()  # one fetch of every fold's losses
            for i, (d_loss, g_loss) in zip(active, losses):
                folds[i].run.record_fold({"d_loss": d_loss, "g_loss": g_loss}, who[i])
            active = [i for i in active if not folds[i].run.done]
    finally:
        for fold in folds:
            fold.run.close()


class RegularGAN(GANDetector):
    """Base of the detectors built on a regular GAN (``rgan``, ``anogan``): k folds' GANs
    trained by :func:`train_regular_gans`; a subclass gives the settings, the networks and
    what follows training."""

    def settings(self) -> RegularGANSettings:  # pragma: no cover - abstract
        """The loop's settings, after checking the parameters only the subclass has."""
        raise NotImplementedError

    def _networks(self, s: RegularGANSettings, d: int) -> tuple[Discriminator, nn.Module]:
        """D and G for ``d`` features (called under the fold's seed)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _after_training(self, X: np.ndarray, gen: torch.Generator) -> None:
        """Checks and set-up once the GAN is trained (``gen``: the fold's generator)."""
        raise NotImplementedError  # pragma: no cover - abstract

    @classmethod
    def _fit_folds(cls, detectors: list[Self], Xs: list[np.ndarray]) -> None:
        s = detectors[0].settings()
        folds = []
        for det, X in zip(detectors, Xs):
            det._fit_checks(X)
            det._setup()
            with det._seeded() as gen:  # the weights come from the fold's own seed
                D, G = det._networks(s, X.shape[1])
            desc = getattr(det, "registry_name", cls.__name__.lower())
            folds.append(GANFold.start(s, D, G, det._tensor(X), gen, **det._run_options(desc)))
        train_regular_gans(s, folds)
        for det, fold, X in zip(detectors, folds, Xs):
            det.discriminator_, det.generator_ = fold.D, fold.G
            det.history_ = fold.run.history
            det._after_training(X, fold.run.generator)
