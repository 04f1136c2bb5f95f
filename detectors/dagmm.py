"""DAGMM (Zong et al., ICLR 2018): an autoencoder and a GMM estimation net trained end to end.

No official code exists; this follows the paper (``docs/design.md``, "DAGMM"):

* compression net: a tanh autoencoder; the low-dimensional code ``z_c`` is joined by the
  relative Euclidean distance ``||x - x'|| / ||x||`` and the cosine similarity of ``x`` and
  its reconstruction ``x'``: ``z = [z_c, rel, cos]``;
* estimation net: ``z -> hidden (tanh) -> Dropout(0.5) -> K`` softmax memberships ``gamma``;
* per minibatch the GMM parameters ``phi, mu, Sigma`` are the ``gamma``-weighted moments of
  ``z`` and the sample energy is ``E(z) = -log sum_k phi_k N(z; mu_k, Sigma_k)``;
* loss ``mean ||x - x'||^2 + lambda1 * mean E(z) + lambda2 * sum_k sum_j 1 / Sigma_k,jj``
  with ``lambda1 = 0.1`` and ``lambda2 = 0.005``; Adam, learning rate 1e-4.

Input scaling: ``preprocessing = "minmax"`` (features scaled to [0, 1] on the training
rows). The relative distance ``||x - x'|| / ||x||`` is ill-conditioned for z-scored data,
where ordinary rows sit near the origin: with z-scoring, the rows the energy flagged on
Thyroid were normal rows of small norm (median ||x|| 1.0-1.3 vs 8-10 for the anomalies),
and F1 fell to 0.12 (see ``results/reproductions/dagmm-zscore.md``). The paper used the
ODDS files, which are not centred; public DAGMM ports min-max scale as well.

Numerical care (the paper is silent): ``Sigma_k + eps I`` (jitter ``cov_eps``) and a
Cholesky log-determinant; if a Cholesky factorisation still fails the jitter is raised
tenfold (at most six times). The relative distance's denominator ``||x||`` is floored at
``norm_floor`` (0.1) times the median norm of the training rows off the origin: min-max
scaling puts a row whose every feature sits at its training minimum at the origin (2,701
of Mammography's 8,738 training normals), where a bare ``1e-8`` guard made ``rel`` about
1e7 and the energy's largest term; no other bundled set has a training row below the
floor. After training, ``phi, mu, Sigma`` are recomputed in float64 over all training
rows (dropout off) and the score of a row is its energy.

Training runs through :meth:`DAGMM.fit_group` for one fold or k (a plain fit is a group of
one): the folds step in lockstep, each with its own network, rows, batches and dropout
stream, sharing one backward call and one Adam step, so a grouped fold equals its lone fit
bit for bit. This path gives the scores the earlier one-fold loop gave, bit for bit (so
``revision`` stays 2). It is not faster (see ``fold_batchable``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import nn

from benchmark.registry import register_detector
from detectors.neural import NeuralDetector, mlp
from detectors.neural.cost import NEURAL_COST
from detectors.neural.fold_batch import FoldOptimizer, train_lockstep
from detectors.neural.gan import check_group
from detectors.neural.training import EpochRun

__all__ = ["ARCHITECTURES", "DAGMM", "gmm_energy", "gmm_parameters", "resolve_architecture"]

#: The paper's per-data-set networks (``docs/design.md``, "DAGMM"):
#: autoencoder hidden sizes and code size, estimation-net hidden size, K, epochs, batch.
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "thyroid": dict(
        hidden=(12, 4), latent=1, est_hidden=10, n_components=2, n_epochs=20000, batch_size=1024
    ),
    "arrhythmia": dict(
        hidden=(10,), latent=2, est_hidden=10, n_components=2, n_epochs=10000, batch_size=128
    ),
    "kddcup": dict(
        hidden=(60, 30, 10), latent=1, est_hidden=10, n_components=4, n_epochs=200, batch_size=1024
    ),
}


def resolve_architecture(architecture: str, d: int) -> str:
    """Map ``"auto"`` to a paper architecture by input size: d <= 20 thyroid, >= 200 arrhythmia.

    Anything in between gets the paper's KDDCUP (120-d) network, its one mid-sized design.
    """
    if architecture != "auto":
        if architecture not in ARCHITECTURES:
            raise ValueError(
                f"unknown DAGMM architecture {architecture!r}; "
                f"choose 'auto' or one of {sorted(ARCHITECTURES)}"
            )
        return architecture
    if d <= 20:
        return "thyroid"
    if d >= 200:
        return "arrhythmia"
    return "kddcup"


def _safe_cholesky(cov: torch.Tensor, eps: float) -> torch.Tensor:
    """Cholesky factor of ``cov + eps I``; the jitter grows tenfold until it succeeds."""
    eye = torch.eye(cov.shape[-1], dtype=cov.dtype, device=cov.device)
    jitter = eps
    for _ in range(7):
        chol, info = torch.linalg.cholesky_ex(cov + jitter * eye)
        if not bool((info > 0).any()):
            return chol
        jitter *= 10.0
    raise torch.linalg.LinAlgError(f"covariance not positive definite even with jitter {jitter}")


def gmm_parameters(
    z: torch.Tensor, gamma: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixture weights, means and covariances as the ``gamma``-weighted moments of ``z``.

    ``z`` is (n, D), ``gamma`` (n, K) soft memberships; returns phi (K,), mu (K, D) and
    Sigma (K, D, D), the paper's per-batch estimates.
    """
    weight = gamma.sum(dim=0).clamp_min(1e-12)
    phi = gamma.mean(dim=0)
    mu = gamma.T @ z / weight[:, None]
    diff = z[:, None, :] - mu[None, :, :]
    cov = torch.einsum("nk,nki,nkj->kij", gamma, diff, diff) / weight[:, None, None]
    return phi, mu, cov


def gmm_energy(
    z: torch.Tensor, phi: torch.Tensor, mu: torch.Tensor, cov: torch.Tensor, eps: float = 1e-6
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample energy ``-log sum_k phi_k N(z; mu_k, Sigma_k + eps I)`` and the diagonal penalty.

    Uses a Cholesky log-determinant and triangular solves (no explicit inverse) and a
    log-sum-exp over components, so it stays finite where a direct density would underflow.
    Returns the (n,) energies and ``sum_k sum_j 1 / (Sigma_k + eps I)_jj``.
    """
    dim = z.shape[1]
    chol = _safe_cholesky(cov, eps)
    diff = (z[:, None, :] - mu[None, :, :]).permute(1, 2, 0)  # (K, D, n)
    sol = torch.linalg.solve_triangular(chol, diff, upper=False)
    maha = (sol**2).sum(dim=1).T  # (n, K)
    logdet = 2.0 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(dim=-1)
    log_norm = -0.5 * (maha + logdet[None, :] + dim * math.log(2.0 * math.pi))
    energy = -torch.logsumexp(torch.log(phi.clamp_min(1e-12))[None, :] + log_norm, dim=1)
    penalty = (1.0 / (torch.diagonal(cov, dim1=-2, dim2=-1) + eps)).sum()
    return energy, penalty


class _DAGMMNet(nn.Module):
    """Compression autoencoder plus estimation net; returns z, reconstruction, gamma."""

    def __init__(self, d: int, arch: dict[str, Any], dropout: float, norm_floor: float = 1e-8):
        super().__init__()
        self.norm_floor = float(norm_floor)
        sizes = [d, *arch["hidden"], arch["latent"]]
        self.encoder = mlp(sizes, activation="tanh")
        self.decoder = mlp(sizes[::-1], activation="tanh")
        self.estimation = mlp(
            [arch["latent"] + 2, arch["est_hidden"], arch["n_components"]],
            activation="tanh",
            dropout=dropout,
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        code = self.encoder(x)
        recon = self.decoder(code)
        rel = (x - recon).norm(dim=1) / x.norm(dim=1).clamp_min(self.norm_floor)
        cos = nn.functional.cosine_similarity(x, recon, dim=1, eps=1e-8)
        z = torch.cat([code, rel[:, None], cos[:, None]], dim=1)
        gamma = torch.softmax(self.estimation(z), dim=1)
        return z, recon, gamma


#: The values a step records in the history, in the order of ``DAGMM._losses``.
_LOSS_NAMES = ("loss", "reconstruction", "energy", "cov_penalty")


def _rng_state(device: torch.device) -> torch.Tensor:
    """The global RNG state that dropout on ``device`` draws from."""
    if device.type == "cuda":
        return torch.cuda.get_rng_state(device)
    return torch.random.get_rng_state()


def _set_rng_state(state: torch.Tensor, device: torch.device) -> None:
    """Put back a state taken by :func:`_rng_state`."""
    if device.type == "cuda":
        torch.cuda.set_rng_state(state, device)
    else:
        torch.random.set_rng_state(state)


@dataclass
class _Fold:
    """One fold's part of a group: its detector, network, rows, batches and dropout RNG."""

    det: DAGMM
    net: _DAGMMNet
    data: torch.Tensor
    run: EpochRun
    rng: torch.Tensor


@register_detector(
    "dagmm",
    cost=NEURAL_COST,
    presets={
        # 200 steps stopped before the reconstruction's first plateau (docs/design.md,
        # "DAGMM", stability audit).
        "quick": {"max_steps": 1000, "batch_size": 256, "learning_rate": 1e-3},
        "paper": {},
        "smoke": {"max_steps": 20, "batch_size": 256, "learning_rate": 1e-3},
    },
    summary="DAGMM: autoencoder + GMM estimation net, score = sample energy",
)
class DAGMM(NeuralDetector):
    """Deep autoencoding Gaussian mixture model (Zong et al. 2018); score = sample energy.

    Features are min-max scaled (see the module docstring for why not z-scored).

    ``architecture`` picks the paper's network for ``"thyroid"`` (6-12-4-1, K=2),
    ``"arrhythmia"`` (274-10-2, K=2) or ``"kddcup"`` (120-60-30-10-1, K=4); ``"auto"``
    chooses by input size (see :func:`resolve_architecture`). ``n_epochs``,
    ``batch_size`` and ``n_components`` default (``None``) to the architecture's paper
    values; ``max_steps`` caps the number of gradient steps (the quick preset).
    ``norm_floor`` floors ``||x||`` in the relative distance at that fraction of the
    median training-row norm (``norm_floor_`` is the value used; 0 keeps a bare 1e-8).
    """

    #: 2: ||x|| of the relative distance floored at norm_floor (2026-12-04). The lockstep
    #: training loop (2026-12-05) moved no score: unchanged.
    revision: ClassVar[int] = 2

    #: :meth:`fit_group` trains k folds in lockstep, each exactly as alone, but measured
    #: 0.8-1.3x against k lone fits (``fold-batching-dagmm-d*`` perf cases, 2026-12-05):
    #: a step's time is the fold's own kernels, which lockstep cannot share. A group of
    #: five paper-budget folds would be one task of five cells' time (shuttle: ~6 h), so
    #: the engine keeps DAGMM's folds apart (docs/methods/dagmm.md, "Fold batching").
    fold_batchable: ClassVar[bool] = False

    preprocessing = "minmax"

    def __init__(
        self,
        architecture: str = "auto",
        n_components: int | None = None,
        lambda_energy: float = 0.1,
        lambda_cov: float = 0.005,
        cov_eps: float = 1e-6,
        norm_floor: float = 0.1,
        dropout: float = 0.5,
        learning_rate: float = 1e-4,
        n_epochs: int | None = None,
        batch_size: int | None = None,
        max_steps: int | None = None,
        grad_clip: float | None = None,
        random_state: int | None = None,
        device: str = "auto",
        verbose: bool = False,
    ):
        self.architecture = architecture
        self.n_components = n_components
        self.lambda_energy = lambda_energy
        self.lambda_cov = lambda_cov
        self.cov_eps = cov_eps
        self.norm_floor = norm_floor
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.grad_clip = grad_clip
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @classmethod
    def planned_budget(cls, params: dict, n: int, d: int) -> tuple[int, int]:
        """(gradient steps, rows per step) on ``n`` rows of ``d`` features (for the cost model)."""
        arch = ARCHITECTURES[resolve_architecture(params.get("architecture", "auto"), d)]
        epochs = int(params.get("n_epochs") or arch["n_epochs"])
        batch = max(1, min(int(params.get("batch_size") or arch["batch_size"]), max(n, 1)))
        steps = epochs * -(-max(n, 1) // batch)
        if params.get("max_steps") is not None:
            steps = min(steps, int(params["max_steps"]))
        return steps, batch

    @classmethod
    def fit_group(cls, detectors: Sequence[Self], Xs: Sequence[np.ndarray]) -> list[Self]:
        """Fit ``detectors[i]`` on ``Xs[i]`` for every i at once (the folds of a data set).

        The detectors (one class, equal ``get_params()`` but ``random_state``) end exactly
        as ``detectors[i].fit(Xs[i])`` would leave them: a plain fit is a group of one, so
        one code path trains both (:func:`~detectors.neural.fold_batch.train_lockstep`).
        A divergence in any fold raises :class:`~detectors.neural.DivergenceError`.
        """
        detectors, Xs = list(detectors), list(Xs)
        check_group(cls, detectors, Xs)
        arrays = [det._begin_fit(X) for det, X in zip(detectors, Xs)]
        cls._fit_folds(detectors, arrays)
        return [det._end_fit(X) for det, X in zip(detectors, arrays)]

    def _fit(self, X: np.ndarray) -> None:
        type(self)._fit_folds([self], [X])

    @classmethod
    def _fit_folds(cls, detectors: list[Self], Xs: list[np.ndarray]) -> None:
        """Train ``detectors[i]`` on ``Xs[i]`` for every i in lockstep, then fit each GMM."""
        folds = [det._start_fold(X) for det, X in zip(detectors, Xs)]
        first = detectors[0]
        group = FoldOptimizer(
            [list(f.net.parameters()) for f in folds],
            lambda ps: torch.optim.Adam(ps, lr=first.learning_rate, foreach=True),
        )

        def fold_loss(i: int, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            fold = folds[i]
            _set_rng_state(fold.rng, fold.data.device)  # dropout draws from the fold's stream
            out = fold.det._losses(fold, idx)
            fold.rng = _rng_state(fold.data.device)
            return out

        def clip(active: Sequence[int]) -> None:
            for i in active:
                nn.utils.clip_grad_norm_(folds[i].net.parameters(), first.grad_clip)

        cuda = sorted({f.data.device.index or 0 for f in folds if f.data.device.type == "cuda"})
        with torch.random.fork_rng(devices=cuda):  # the caller's global RNG is left alone
            train_lockstep(
                [f.run for f in folds],
                fold_loss,
                group,
                _LOSS_NAMES,
                clip if first.grad_clip is not None else None,
            )
        for fold, X in zip(folds, Xs):
            fold.det._finish_fold(fold, X)

    def _start_fold(self, X: np.ndarray) -> _Fold:
        """This fold's seeded part: its network (from its seed), rows, batches and RNG."""
        self._setup()
        self.architecture_ = resolve_architecture(self.architecture, X.shape[1])
        arch = dict(ARCHITECTURES[self.architecture_])
        if self.n_components is not None:
            arch["n_components"] = int(self.n_components)
        n_epochs = int(self.n_epochs if self.n_epochs is not None else arch["n_epochs"])
        batch_size = int(self.batch_size if self.batch_size is not None else arch["batch_size"])
        data = self._tensor(X)
        # The relative distance's denominator: ||x|| floored at norm_floor x the median
        # norm of the training rows off the origin (min-max scaling can put whole rows at
        # the origin: a third of Mammography's normals).
        norms = np.linalg.norm(X, axis=1)
        median_norm = float(np.median(norms[norms > 0])) if (norms > 0).any() else 0.0
        self.norm_floor_ = max(float(self.norm_floor) * median_norm, 1e-8)
        with self._seeded() as gen:
            self.net_ = _DAGMMNet(X.shape[1], arch, self.dropout, self.norm_floor_).to(self.device_)
            self.net_.train()
            # the global RNG as the seeded fit left it: where this fold's dropout draws
            rng = _rng_state(self.device_)
        run = EpochRun(
            X.shape[0],
            batch_size=batch_size,
            n_epochs=n_epochs,
            generator=gen,
            max_steps=self.max_steps,
            # A batch of one row has no covariance; drop such a remainder batch.
            drop_last=X.shape[0] % batch_size == 1,
            progress=self.verbose,
            desc="dagmm",
        )
        return _Fold(self, self.net_, data, run, rng)

    def _losses(self, fold: _Fold, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The fold's loss on its batch ``idx`` and its parts (the order of _LOSS_NAMES)."""
        x = fold.data[idx]
        z, recon, gamma = fold.net(x)
        phi, mu, cov = gmm_parameters(z, gamma)
        energy, penalty = gmm_energy(z, phi, mu, cov, self.cov_eps)
        rec = ((x - recon) ** 2).sum(dim=1).mean()
        mean_energy = energy.mean()
        loss = rec + self.lambda_energy * mean_energy + self.lambda_cov * penalty
        return loss, torch.stack([loss, rec, mean_energy, penalty])

    def _finish_fold(self, fold: _Fold, X: np.ndarray) -> None:
        """After training: the loss history, and phi, mu, Sigma over every training row."""
        self.history_ = fold.run.history
        self.net_.eval()
        z, gamma = self._latent(X)
        self.phi_, self.mu_, self.cov_ = gmm_parameters(z, gamma)

    def _latent(self, X: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """``z`` and ``gamma`` of every row, in float64, with dropout off."""
        zs, gs = [], []
        with torch.no_grad():
            for start in range(0, X.shape[0], 8192):
                z, _, gamma = self.net_(self._tensor(X[start : start + 8192]))
                zs.append(z.double())
                gs.append(gamma.double())
        return torch.cat(zs), torch.cat(gs)

    def _score(self, X: np.ndarray) -> np.ndarray:
        z, _ = self._latent(X)
        energy, _ = gmm_energy(z, self.phi_, self.mu_, self.cov_, self.cov_eps)
        return energy.cpu().numpy()
