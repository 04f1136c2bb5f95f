"""Seeding, device choice and a training loop with loss history and divergence checks."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from benchmark.base import Detector, DetectorError

__all__ = [
    "DivergenceError",
    "EpochRun",
    "NeuralDetector",
    "batch_indices",
    "resolve_device",
    "torch_seed",
    "train_loop",
]


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


class NeuralDetector(Detector):
    """Base of the neural detectors: device and seed handling shared by all of them.

    Subclasses keep ``random_state``, ``device`` and ``verbose`` among their
    ``__init__`` parameters; ``fit`` resolves the device into ``device_`` and trains
    under :func:`torch_seed`, so the same seed gives identical scores on the CPU.
    """

    neural = True

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
