"""Seeding, device choice, a training loop with loss history and divergence checks, and
the check that no weight matrix collapsed during training."""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Callable, Iterator
from typing import ClassVar

import numpy as np
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from tqdm.auto import tqdm

from benchmark.base import Detector, DetectorError

__all__ = [
    "WEIGHT_COLLAPSE_RATIO",
    "DivergenceError",
    "EpochRun",
    "NeuralDetector",
    "batch_indices",
    "resolve_device",
    "torch_seed",
    "train_loop",
    "initial_norm",
]

#: A weight matrix whose norm at the end of training is below this fraction of its norm
#: at initialisation has collapsed: its layer's pre-activations are then 1 % of what they
#: were, nearly constant. Every layer of the GANs, DAGMM and RDA ended at 0.8-1.5x its
#: initial norm (smoke and quick presets), 80x above; OC-NN's V, when its penalty was
#: differentiated (``penalty_gradient="paper-equation"``), at 0.0025-0.13 at the paper
#: budget (musk warns). docs/design.md, "Instability and collapse".
WEIGHT_COLLAPSE_RATIO = 1e-2


class DivergenceError(DetectorError):
    """Training produced a non-finite loss; the model is unusable."""


def resolve_device(device: str) -> torch.device:
    """``"auto"`` picks CUDA when present, else the CPU; ``"cuda"`` without a GPU is an error."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DetectorError(f"device {device!r} requested but no CUDA GPU is available")
    if device != "cpu" and not device.startswith("cuda"):
        raise DetectorError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'")
    resolved = torch.device(device)
    if resolved.type == "cuda" and resolved.index is None:  # the current GPU, named
        resolved = torch.device("cuda", torch.cuda.current_device())
    return resolved


@contextlib.contextmanager
def torch_seed(seed: int | None, device: torch.device) -> Iterator[torch.Generator]:
    """Seed torch inside the block only (the caller's global RNG state is restored).

    Yields a generator for the detector's own sampling (batches, noise).
    """
    seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        yield gen


def batch_indices(
    n: int, batch_size: int, generator: torch.Generator, *, drop_last: bool = False
) -> list[torch.Tensor]:
    """Shuffled minibatch index tensors covering ``range(n)`` once (an epoch)."""
    perm = torch.randperm(n, generator=generator, device=generator.device)
    size = max(1, min(int(batch_size), n))
    chunks = list(torch.split(perm, size))
    if drop_last and len(chunks) > 1 and len(chunks[-1]) < size:
        chunks = chunks[:-1]
    return chunks


class EpochRun:
    """One model's place in its epoch/step budget: the loop of :func:`train_loop`, unrolled.

    ``next_batch()`` gives the next minibatch's indices (drawing an epoch's shuffle from
    ``generator`` when one starts, after ``on_epoch(epoch)``); ``record(losses)`` checks and
    accumulates that step's losses and closes the epoch. ``done`` turns True after
    ``n_epochs`` epochs or ``max_steps`` steps, whichever comes first; ``history`` holds
    the per-epoch mean of every loss. Fold-batched training keeps one per fold, so each
    fold draws and stops exactly as it would alone.
    """

    def __init__(
        self,
        n_rows: int,
        *,
        batch_size: int,
        n_epochs: int,
        generator: torch.Generator,
        max_steps: int | None = None,
        drop_last: bool = False,
        on_epoch: Callable[[int], None] | None = None,
        progress: bool = False,
        desc: str = "training",
    ):
        if n_epochs < 1:
            raise ValueError(f"n_epochs must be >= 1, got {n_epochs}")
        self.n_rows, self.batch_size, self.n_epochs = n_rows, batch_size, n_epochs
        self.max_steps, self.drop_last, self.on_epoch = max_steps, drop_last, on_epoch
        self.generator = generator
        self.history: list[dict[str, float]] = []
        self.epoch = self.steps = 0
        self.done = False
        self._chunks: list[torch.Tensor] | None = None
        self._pos, self._count, self._sums = 0, 0, {}
        self._bar = tqdm(total=n_epochs, desc=desc, disable=not progress, leave=False)

    def next_batch(self) -> torch.Tensor:
        """The indices of the next minibatch (a new shuffle at the start of an epoch)."""
        if self._chunks is None:
            if self.on_epoch is not None:
                self.on_epoch(self.epoch)
            self._chunks = batch_indices(
                self.n_rows, self.batch_size, self.generator, drop_last=self.drop_last
            )
            self._pos = 0
        return self._chunks[self._pos]

    def record(self, losses: dict[str, float]) -> None:
        """Account one finished step's losses; a non-finite loss raises DivergenceError."""
        for name, value in losses.items():
            value = float(value)
            if not math.isfinite(value):
                raise DivergenceError(
                    f"loss {name!r} became {value} at epoch {self.epoch + 1}, step"
                    f" {self.steps + 1}; lower the learning rate"
                )
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1
        self.steps += 1
        self._pos += 1
        capped = self.max_steps is not None and self.steps >= self.max_steps
        if capped or self._pos == len(self._chunks):
            means = {k: v / max(self._count, 1) for k, v in self._sums.items()}
            self.history.append(means | {"epoch": self.epoch + 1})
            self._bar.update(1)
            self.epoch += 1
            self._chunks, self._count, self._sums = None, 0, {}
            self.done = capped or self.epoch == self.n_epochs
            if self.done:
                self.close()

    def record_fold(self, losses: dict[str, float], fold: str | None) -> None:
        """:meth:`record` for one fold of a group trained together: a divergence names
        the fold (``fold``, e.g. "fold 2 of the group"); None for a fold trained alone."""
        try:
            self.record(losses)
        except DivergenceError as exc:
            if fold is None:
                raise
            raise DivergenceError(f"{fold}: {exc}") from None

    def close(self) -> None:
        """Close the progress bar (also on an error mid-training)."""
        self._bar.close()


def train_loop(
    step: Callable[[torch.Tensor], dict[str, float]],
    n_rows: int,
    *,
    batch_size: int,
    n_epochs: int,
    generator: torch.Generator,
    max_steps: int | None = None,
    progress: bool = False,
    desc: str = "training",
    drop_last: bool = False,
    on_epoch: Callable[[int], None] | None = None,
) -> list[dict[str, float]]:
    """Run ``step(batch_idx) -> {loss name: value}`` over shuffled minibatches.

    ``on_epoch(epoch)`` (optional) runs before each epoch's first step, e.g. to draw the
    epoch's generated rows once, as Keras GAN loops do.

    Stops after ``n_epochs`` epochs or ``max_steps`` gradient steps, whichever comes
    first (so a large data set cannot make an epoch budget explode). Returns the
    per-epoch mean of every loss; a non-finite loss raises :class:`DivergenceError`.
    """
    run = EpochRun(
        n_rows,
        batch_size=batch_size,
        n_epochs=n_epochs,
        generator=generator,
        max_steps=max_steps,
        drop_last=drop_last,
        on_epoch=on_epoch,
        progress=progress,
        desc=desc,
    )
    try:
        while not run.done:
            run.record(step(run.next_batch()))
    finally:
        run.close()
    return run.history


# -- weight collapse ---------------------------------------------------------------------
# Norms at initialisation, by parameter: id -> (weak reference, Frobenius norm). Recorded by
# a global optimiser step pre-hook at each optimiser's first step (the weights are then
# still as initialised, whichever init the detector applied), so no training loop,
# plain or fold-batched, needs to call anything.
_INITIAL: dict[int, tuple[weakref.ref, float]] = {}
_STEPPED: weakref.WeakSet = weakref.WeakSet()
_HOOK: list = []


def _record(param: torch.Tensor) -> None:
    if param.ndim < 2 or initial_norm(param) is not None:
        return
    key = id(param)
    ref = weakref.ref(param, lambda _, key=key: _INITIAL.pop(key, None))
    _INITIAL[key] = (ref, float(param.detach().norm()))


def initial_norm(param: torch.Tensor) -> float | None:
    """The norm recorded for ``param`` at initialisation, or None if none was."""
    entry = _INITIAL.get(id(param))
    return entry[1] if entry is not None and entry[0]() is param else None


def _first_step_hook(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
    if optimizer in _STEPPED:
        return
    _STEPPED.add(optimizer)
    for group in optimizer.param_groups:
        for param in group["params"]:
            _record(param)


def _install_hook() -> None:
    """Install the first-step hook once per process (it only reads weights)."""
    if not _HOOK:
        _HOOK.append(register_optimizer_step_pre_hook(_first_step_hook))


class NeuralDetector(Detector):
    """Base of the neural detectors: device and seed handling shared by all of them.

    Subclasses keep ``random_state``, ``device`` and ``verbose`` among their
    ``__init__`` parameters; ``fit`` resolves the device into ``device_`` and trains
    under :func:`torch_seed`, so the same seed gives identical scores on the CPU.

    After the fit, besides the base class's check of the training scores, every weight
    matrix (2-D or more) of the modules named by ``collapse_modules`` is compared with its
    norm at initialisation: below :data:`WEIGHT_COLLAPSE_RATIO` of it, a
    :class:`~benchmark.base.CollapseWarning` names the layer and the two norms.
    """

    neural = True
    #: Fitted attributes holding the ``nn.Module``s whose weights are checked after the
    #: fit, e.g. ``("discriminator_",)``; None: every module among the fitted attributes.
    collapse_modules: ClassVar[tuple[str, ...] | None] = None

    def _begin_fit(self, X) -> np.ndarray:
        _install_hook()
        for module in self._checked_modules().values():  # a refit's weights start afresh
            for param in module.parameters():
                _INITIAL.pop(id(param), None)
        return super()._begin_fit(X)

    def _collapse_findings(self) -> list[str]:
        findings = super()._collapse_findings()
        for attr, module in self._checked_modules().items():
            for name, param in module.named_parameters():
                before = initial_norm(param)
                if not before:  # never trained by an optimiser, not watched, or all zero
                    continue
                after = float(param.detach().norm())
                if after < WEIGHT_COLLAPSE_RATIO * before:
                    findings.append(
                        f"{self._display_name()}: weight {attr}{name} collapsed: norm"
                        f" {after:.3g} after training, {after / before:.3g} of its"
                        f" {before:.3g} at initialisation (collapse below"
                        f" {WEIGHT_COLLAPSE_RATIO:g})"
                    )
        return findings

    def _checked_modules(self) -> dict[str, nn.Module]:
        """``{attribute + ".": module}`` of the modules :attr:`collapse_modules` names."""
        names = self.collapse_modules
        if names is None:
            names = [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]
        found = {f"{k}.": getattr(self, k, None) for k in names}
        return {k: m for k, m in found.items() if isinstance(m, nn.Module)}

    def _setup(self) -> None:
        self.device_ = resolve_device(getattr(self, "device", "auto"))
        self.history_: list[dict[str, float]] = []

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(X, dtype=torch.float32, device=self.device_)

    def _seeded(self):
        return torch_seed(getattr(self, "random_state", None), self.device_)

    def _score_batches(
        self, X: np.ndarray, fn: Callable[[torch.Tensor], torch.Tensor], batch: int = 4096
    ) -> np.ndarray:
        """Apply ``fn`` to ``X`` in chunks without gradients; returns a float64 vector."""
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], batch):
                out.append(fn(self._tensor(X[start : start + batch])).reshape(-1).double().cpu())
        return torch.cat(out).numpy()
