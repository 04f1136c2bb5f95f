"""The shared neural toolkit: MLP builder, seeding, device choice and the training loop.

Every neural detector of the suite (the complementary-GAN family and the deep
baselines) builds on these pieces, so they live here once.
"""

from detectors.neural.mlp import mlp
from detectors.neural.training import (
    DivergenceError,
    NeuralDetector,
    batch_indices,
    resolve_device,
    torch_seed,
    train_loop,
)

__all__ = [
    "DivergenceError",
    "NeuralDetector",
    "batch_indices",
    "mlp",
    "resolve_device",
    "torch_seed",
    "train_loop",
]
