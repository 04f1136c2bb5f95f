"""What every detector of the baseline pack shares: build the PyOD model from the
wrapper's own parameters, fit it seeded, and use PyOD's scores (higher = more anomalous)."""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from benchmark.base import Detector

__all__ = [
    "PyODWrapper",
    "TorchPyODWrapper",
    "numpy_seed",
    "pyod_arguments",
    "PRESETS_DEFAULTS",
]

#: Every preset at the method's published defaults (those of the wrapper's ``__init__``).
PRESETS_DEFAULTS: dict[str, dict[str, Any]] = {"quick": {}, "paper": {}, "smoke": {}}


@contextlib.contextmanager
def numpy_seed(seed: int | None) -> Iterator[None]:
    """Seed NumPy's global generator inside the block, then restore the caller's state.

    Some PyOD classes draw from the global generator (DeepSVDD shuffles with it, DIF
    seeds it); seeding it makes a fit reproducible without leaking state to the caller.
    """
    state = np.random.get_state()
    np.random.seed(None if seed is None else int(seed) % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def pyod_arguments(pyod_cls: type) -> dict[str, inspect.Parameter]:
    """The constructor parameters of a PyOD class, by name (``self`` left out)."""
    params = inspect.signature(pyod_cls.__init__).parameters
    return {k: p for k, p in params.items() if k != "self" and p.kind is p.POSITIONAL_OR_KEYWORD}


class PyODWrapper(Detector):
    """A PyOD detector behind the suite's contract; subclasses name the class and list its
    parameters (PyOD's defaults) in ``__init__``.

    The PyOD model is built at fit time from the wrapper's parameters that the class takes,
    plus :attr:`pinned` (settings with no effect on scores: ``verbose``, ``contamination``,
    which only moves PyOD's own threshold; the suite applies its thresholds itself). Its
    training scores are PyOD's ``decision_scores_`` and its scores PyOD's
    ``decision_function``: higher = more anomalous, as the suite's contract.
    """

    pyod_class: ClassVar[type]
    pinned: ClassVar[dict[str, Any]] = {}

    def _pyod_params(self, X: np.ndarray) -> dict[str, Any]:
        """The PyOD constructor's arguments for a fit on ``X``."""
        accepted = pyod_arguments(self.pyod_class)
        mine = {k: v for k, v in self.get_params(deep=False).items() if k in accepted}
        return mine | {k: v for k, v in self.pinned.items() if k in accepted}

    def _make_model(self, X: np.ndarray) -> Any:
        """A fresh, unfitted PyOD model for a fit on ``X`` (subclasses adjust it)."""
        return self.pyod_class(**self._pyod_params(X))

    def _fit(self, X: np.ndarray) -> None:
        with numpy_seed(getattr(self, "random_state", None)):
            self.model_ = self._make_model(X)
            self.model_.fit(X)
        self.decision_scores_ = np.asarray(self.model_.decision_scores_, dtype=np.float64)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(X)


class TorchPyODWrapper(PyODWrapper):
    """A PyTorch-based PyOD detector: ``neural`` (smoke tolerance, GPU placement), fitted
    with torch's global generator forked, so the seed PyOD sets does not leak out."""

    neural = True
    #: Warnings of PyOD's code that say nothing about the fit (regular expressions).
    quiet: ClassVar[tuple[str, ...]] = ()

    def _fit(self, X: np.ndarray) -> None:
        import torch

        with torch.random.fork_rng(devices=self._cuda_devices()), warnings.catch_warnings():
            for message in self.quiet:
                warnings.filterwarnings("ignore", message=message)
            super()._fit(X)

    def _score(self, X: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            for message in self.quiet:
                warnings.filterwarnings("ignore", message=message)
            return super()._score(X)

    def _device(self) -> str:
        """The torch device of this fit: ``device`` resolved (``auto``: CUDA when present)."""
        from detectors.neural import resolve_device

        return str(resolve_device(getattr(self, "device", "cpu")))

    def _cuda_devices(self) -> list[int]:
        """The GPUs whose generator the fit may reseed (none on the CPU)."""
        import torch

        device = torch.device(self._device())
        return [device.index or 0] if device.type == "cuda" else []
