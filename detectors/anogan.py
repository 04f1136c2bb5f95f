"""AnoGAN (Schlegl et al., IPMI 2017): a GAN on the normals plus a latent search per query row.

Training is the suite's regular GAN on the training normals
(:mod:`detectors.neural.regular_gan`, the loop ``rgan`` uses too; ``fit_group`` trains
k folds' GANs at once, each as it would alone):
D ``d -> 128 -> 128 -> 1``, G ``50 -> 128 -> d``, leaky ReLU, linear G output (the
features are standardised), z ~ U(-1, 1)^50.

Scoring (``docs/design.md``, "AnoGAN"): with G and D frozen, each query row ``x`` gets a latent
``z`` found by gradient descent (Adam, ``search_steps`` steps from z0 ~ U(-1, 1)) on

    L(z) = (1 - lam) * sum |x - G(z)| + lam * sum |f(x) - f(G(z))|,   lam = 0.1,

where ``f`` is D's last hidden layer; the anomaly score is ``L(z*)`` at the last step.
After each step ``z`` is projected back onto the prior's support [-1, 1] (our choice; the
paper does not say): G is piecewise linear with a linear output, so a free ``z`` can
leave the region G was trained on and let G extrapolate towards far-away anomalies.
``noise="normal"`` trains on N(0, I) and searches without the projection.

The search is **batched**: the latents of all rows of a chunk form one (n, k) tensor and
one Adam optimiser minimises the *sum* of the per-row losses. Row ``i``'s loss depends
on ``z_i`` only and Adam's update is element-wise, so every row follows exactly the path
it would follow alone; :func:`latent_search` with ``batched=False`` runs that row-by-row
loop (for the equivalence test and ``python -m benchmark.perf``). The starting latents are
drawn from a generator seeded by ``random_state``, once per call, for all rows up front,
so scores do not depend on the chunk size.

Training-row scores (for the train-quantile threshold) come from a seeded subsample of at
most ``n_train_scores`` training rows rather than all of them: the search costs
``search_steps`` forward/backward passes per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmark.registry import CostModel, register_detector
from detectors.neural.cost import TRAINING_TERMS, neural_terms
from detectors.neural.gan import Discriminator, generator_net, sample_noise
from detectors.neural.regular_gan import RegularGAN, RegularGANSettings

__all__ = ["AnoGAN", "latent_search"]


def _row_losses(
    x: torch.Tensor,
    fx: torch.Tensor,
    z: torch.Tensor,
    G: nn.Module,
    features: Callable[[torch.Tensor], torch.Tensor],
    lam: float,
) -> torch.Tensor:
    """AnoGAN's per-row loss ``(1 - lam) |x - G(z)|_1 + lam |f(x) - f(G(z))|_1``."""
    gz = G(z)
    residual = (x - gz).abs().sum(dim=1)
    discrimination = (fx - features(gz)).abs().sum(dim=1)
    return (1.0 - lam) * residual + lam * discrimination


def latent_search(
    x: torch.Tensor,
    z0: torch.Tensor,
    G: nn.Module,
    features: Callable[[torch.Tensor], torch.Tensor],
    *,
    lam: float = 0.1,
    n_steps: int = 500,
    lr: float = 0.01,
    bound: float | None = None,
    batched: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Search ``z*`` for each row of ``x`` from ``z0``; return (scores, z*).

    ``batched=True`` optimises all rows' latents at once (one Adam on the sum of the
    independent per-row losses); ``batched=False`` loops over rows with one optimiser
    each, the textbook formulation. Both give the same result up to float rounding.
    ``bound`` projects ``z`` back onto ``[-bound, bound]`` after every step (None: free).
    G and the feature map must be frozen (no dropout/batch-norm, no parameter grads).
    """
    if not batched:
        kw = dict(lam=lam, n_steps=n_steps, lr=lr, bound=bound)
        pairs = [
            latent_search(x[i : i + 1], z0[i : i + 1], G, features, **kw) for i in range(x.shape[0])
        ]
        return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
    with torch.enable_grad():
        with torch.no_grad():
            fx = features(x)
        z = z0.detach().clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(int(n_steps)):
            loss = _row_losses(x, fx, z, G, features, lam).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if bound is not None:
                with torch.no_grad():
                    z.clamp_(-bound, bound)
    with torch.no_grad():
        scores = _row_losses(x, fx, z, G, features, lam)
    return scores, z.detach()


_QUICK: dict[str, Any] = {
    "max_steps": 200,
    "hidden": (64, 64),
    "g_hidden": (64,),
    "search_steps": 20,
    "search_lr": 0.1,
}


def _anogan_terms(params, n_train, n_test, d, budget) -> list[float]:
    search = n_test * int(params.get("search_steps") or 0)
    return [*neural_terms(params, n_train, n_test, d, budget)[:4], search, search * d]


ANOGAN_COST = CostModel(
    "steps x (a + batch x (b + c d)) + latent search (n_test x search_steps x (e + f d))",
    _anogan_terms,
    neural=True,
    batched_terms=TRAINING_TERMS,
)


@register_detector(
    "anogan",
    cost=ANOGAN_COST,
    presets={
        "quick": _QUICK,
        "paper": {"n_epochs": 1000, "batch_size": 100, "search_steps": 500},
        "smoke": {**_QUICK, "max_steps": 20, "search_steps": 5},
    },
    summary="AnoGAN: GAN on normals + per-row latent search (lam = 0.1)",
)
class AnoGAN(RegularGAN):
    """AnoGAN: regular GAN on the normals; score = loss of a latent search per row.

    ``lam`` weighs the feature (discrimination) loss against the residual loss;
    ``search_steps``/``search_lr`` set the per-row Adam search; ``search`` is
    ``"batched"`` (default) or ``"rowwise"`` (same result, one optimiser per row, slow);
    ``search_batch_size`` rows are optimised together. ``max_steps`` caps the GAN's
    gradient steps; ``n_train_scores`` bounds the training rows scored for the threshold.
    """

    def __init__(
        self,
        hidden: Sequence[int] = (128, 128),
        g_hidden: Sequence[int] = (128,),
        noise_dim: int = 50,
        noise: str = "uniform",
        lr: float = 2e-4,
        batch_size: int = 100,
        n_epochs: int = 1000,
        max_steps: int | None = None,
        lam: float = 0.1,
        search_steps: int = 500,
        search_lr: float = 0.01,
        search: str = "batched",
        search_batch_size: int = 4096,
        n_train_scores: int | None = 2000,
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
        self.lam = lam
        self.search_steps = search_steps
        self.search_lr = search_lr
        self.search = search
        self.search_batch_size = search_batch_size
        self.n_train_scores = n_train_scores
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def settings(self) -> RegularGANSettings:
        """The GAN loop's settings, after checking the parameters only AnoGAN has."""
        if self.noise not in ("uniform", "normal"):
            raise ValueError(f"noise must be 'uniform' or 'normal', got {self.noise!r}")
        if self.search not in ("batched", "rowwise"):
            raise ValueError(f"search must be 'batched' or 'rowwise', got {self.search!r}")
        if int(self.search_steps) < 0:
            raise ValueError(f"search_steps must be >= 0, got {self.search_steps}")
        lr = float(self.lr)
        return RegularGANSettings(int(self.noise_dim), self.noise, "adam", lr, "adam", lr)

    def _networks(self, s: RegularGANSettings, d: int) -> tuple[Discriminator, nn.Module]:
        D = Discriminator(d, self.hidden).to(self.device_)
        return D, generator_net(s.noise_dim, d, self.g_hidden).to(self.device_)

    def _after_training(self, X: np.ndarray, gen: torch.Generator) -> None:
        """Freeze the GAN, draw the search seed, and score (a sample of) the training rows."""
        # The search seed: fixed per fitted model, so scoring is repeatable.
        self.search_seed_ = int(torch.randint(0, 2**31 - 1, (1,), generator=gen).item())
        self._check_finite(self.discriminator_, self.generator_)
        for net in (self.discriminator_, self.generator_):
            net.eval()
            net.requires_grad_(False)
        rows = np.arange(X.shape[0])
        if self.n_train_scores is not None and X.shape[0] > int(self.n_train_scores):
            rng = np.random.default_rng(self.search_seed_)
            rows = np.sort(rng.choice(X.shape[0], int(self.n_train_scores), replace=False))
        self.train_score_rows_ = rows
        self.decision_scores_ = self._score(X[rows])

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator_(x).features

    def _score(self, X: np.ndarray) -> np.ndarray:
        gen = torch.Generator(device=self.device_)
        gen.manual_seed(self.search_seed_)
        z0 = sample_noise(X.shape[0], self.noise_dim, self.noise, gen, self.device_)
        bound = 1.0 if self.noise == "uniform" else None
        out = []
        size = max(1, int(self.search_batch_size))
        for start in range(0, X.shape[0], size):
            scores, _ = latent_search(
                self._tensor(X[start : start + size]),
                z0[start : start + size],
                self.generator_,
                self._features,
                lam=float(self.lam),
                n_steps=int(self.search_steps),
                lr=float(self.search_lr),
                bound=bound,
                batched=self.search == "batched",
            )
            out.append(scores.double().cpu())
        return torch.cat(out).numpy()
