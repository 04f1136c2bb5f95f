"""Stacked weights for training k models of one architecture at once (fold batching).

:func:`stacked_forward` runs an MLP on ``(k, rows, features)`` input with batched matrix
products from weights stacked on a leading fold axis; :class:`FoldStack` stacks the k
folds' own parameters for that and steps them with one optimiser, each fold's tensors
apart, so every fold moves as it would alone and a finished fold not at all. Design and
measurements: ``docs/design.md``, "Fold batching".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

__all__ = ["FoldStack", "per_fold", "stacked_forward"]

#: Layers whose output is exact (no rounding): applied to all folds at once.
_EXACT = (nn.ReLU, nn.LeakyReLU, nn.Identity)


def per_fold(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``fn`` applied to each fold's slice ``x[i]`` on its own, the results stacked.

    Element-wise maths with rounding (tanh, sigmoid, log) runs vectorised over the body
    of a tensor and element by element over its tail, and the two round differently; on
    the whole stack a fold's last rows can fall in the body where, alone, they are the
    tail (measured: BCE-with-logits gradients differing by ~1e-9 between k = 1 and 2,
    grown to 0.3 in AnoGAN's scores after 2000 steps). Each fold alone sees its own
    tensor, so it rounds as it would in a plain fit.
    """
    return torch.stack([fn(fold) for fold in x])


def stacked_forward(
    module: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor, prefix: str = ""
) -> torch.Tensor:
    """``module(x)`` for every fold at once: ``module`` gives the structure (an nn.Linear,
    an nn.Sequential of them, or a parameter-free layer), ``params[prefix + name]`` the
    stacked ``(k, ...)`` weights, ``x`` is ``(k, rows, in)``."""
    if isinstance(module, nn.Linear):
        weight, bias = params[prefix + "weight"], params[prefix + "bias"]
        if weight.shape[-2] == 1:
            # One output (a sigmoid head): the batched GEMM takes a matrix-vector path whose
            # rounding depends on k (measured: fold 0's logits and weight gradients differ
            # by ~1e-8 between k = 1 and k = 2), so a fold would not train as it does alone.
            # A product and a sum over each row does not depend on k.
            return (x * weight).sum(-1, keepdim=True) + bias.unsqueeze(1)
        return torch.baddbmm(bias.unsqueeze(1), x, weight.mT)
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            x = stacked_forward(child, params, x, f"{prefix}{name}.")
        return x
    if next(module.parameters(), None) is not None:
        raise TypeError(f"stacked_forward cannot batch a {type(module).__name__} with weights")
    if isinstance(module, _EXACT):
        return module(x)
    return per_fold(module, x)


class FoldStack:
    """One player's weights for k folds, stacked for the batched forward pass.

    ``named[i]`` are fold i's own parameters (the leaves of its nn.Modules, updated in
    place); ``params[name]`` stacks them for the folds still training, ``(k, *shape)``, and
    the gradient flows back through the stack to each fold's leaves. One optimiser built by
    ``make_opt`` (None: a frozen network) holds every fold's leaves as separate tensors, so
    each fold's update and step count are those of its own optimiser, and a fold that has
    left the stack gets no gradient and is skipped by the optimiser: it never moves again.
    """

    def __init__(
        self,
        named: Sequence[dict[str, torch.Tensor]],
        make_opt: Callable[[list[torch.Tensor]], torch.optim.Optimizer] | None = None,
    ):
        self.named = list(named)
        self.active = list(range(len(self.named)))
        leaves = [p for fold in self.named for p in fold.values()]
        self.optimizer = make_opt(leaves) if make_opt is not None else None
        self.params: dict[str, torch.Tensor] = {}
        self.restack()

    def restack(self) -> None:
        """Stack the active folds' current weights (after an update or a fold leaving)."""
        self.params = {
            name: torch.stack([self.named[i][name] for i in self.active]) for name in self.named[0]
        }

    def step(self, loss: torch.Tensor) -> None:
        """One optimiser step of the active folds on their losses ``loss`` (``(k,)``; the
        gradient of the sum is each fold's own, the folds sharing no weight)."""
        self.optimizer.zero_grad(set_to_none=True)
        # backward (not autograd.grad): its accumulation gives each leaf a gradient laid out
        # like the leaf, as the fused Adam kernel requires (a weight's arrives transposed)
        loss.sum().backward(inputs=[p for i in self.active for p in self.named[i].values()])
        self.optimizer.step()
        self.restack()

    def select(self, folds: list[int]) -> None:
        """Make the folds ``folds`` (indices into ``named``) the active ones, if not already:
        a group can step some of its folds alone (those whose minibatch is shorter)."""
        if list(folds) != self.active:
            self.active = list(folds)
            self.restack()

    def keep(self, keep: list[int]) -> None:
        """Continue with the active folds at positions ``keep`` only."""
        self.active = [self.active[i] for i in keep]
        self.restack()
