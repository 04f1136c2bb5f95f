"""Multi-layer perceptrons, the building block of every neural detector here."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "sigmoid": lambda: nn.Sigmoid(),
}


def _activation(name: str | None) -> nn.Module | None:
    if name is None:
        return None
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def mlp(
    sizes: Sequence[int],
    *,
    activation: str = "leaky_relu",
    out_activation: str | None = None,
    dropout: float = 0.0,
) -> nn.Sequential:
    """A fully connected net ``sizes[0] -> ... -> sizes[-1]``.

    ``activation`` follows every hidden layer (with optional dropout);
    ``out_activation`` (or none) follows the last one.
    """
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"mlp needs at least two positive layer sizes, got {list(sizes)}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(int(n_in), int(n_out)))
        last = i == len(sizes) - 2
        act = _activation(out_activation if last else activation)
        if act is not None:
            layers.append(act)
        if not last and dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)
