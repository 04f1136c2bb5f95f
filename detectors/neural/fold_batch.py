"""Fold batching: k folds of one model trained in lockstep, each exactly as it trains alone.

Every fold computes its forward pass and its losses with its own modules, on its own
tensors, through the code of a lone fit (a lone fit is a group of one). The folds share
two calls per optimiser step: one ``backward`` of the sum of their losses, and one
optimiser ``step`` over every fold's tensors (:class:`FoldOptimizer`). Equality with a
lone fit then holds by construction, not by the luck of a kernel:

* every kernel of the forward and backward passes gets the operands a lone fit gives it:
  the same shapes and strides, in tensors allocated for that fold alone (so with the
  allocator's alignment, never at an offset inside a stack of folds);
* ``d(sum_i loss_i) / d loss_i`` is exactly 1, and the folds share no weight, so each
  leaf's gradient is its own fold's, accumulated in the order of that fold's own graph;
* the optimisers (SGD, Adam's fused kernel) update each tensor apart, and a fold that has
  no loss this step gets no gradient and is skipped, its step count included.

What it buys is the per-step overhead paid once for k folds (the backward call, the
optimiser's Python and multi-tensor work, the loop). A first design stacked the folds'
weights and ran one batched GEMM per layer (1.5-1.7x at d = 6); on an AMD EPYC its MKL
kernels rounded a fold's product differently at some offsets inside the stack (a fold
of 19 rows x 6 features at an odd position; OCAN at d = 9 moved by 8e-4 after 40 steps),
so a grouped fold could differ from its lone fit. ``docs/design.md``, "Fold batching".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from detectors.neural.training import EpochRun

__all__ = ["FoldOptimizer", "train_lockstep"]


class FoldOptimizer:
    """One optimiser over k folds' parameters, stepped on the losses of the active folds.

    ``params[i]`` are fold i's leaves. ``make_opt`` builds the optimiser from all of them
    (each tensor apart, as every ``torch.optim`` optimiser keeps them), so each fold's
    update and step count are those its own optimiser would make.
    """

    def __init__(
        self,
        params: Sequence[Sequence[torch.Tensor]],
        make_opt: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    ):
        self.params = [list(fold) for fold in params]
        self.optimizer = make_opt([p for fold in self.params for p in fold])

    def step(
        self,
        folds: Sequence[int],
        losses: Sequence[torch.Tensor],
        before_step: Callable[[Sequence[int]], None] | None = None,
    ) -> None:
        """One step of the folds ``folds`` (indices into ``params``) on their scalar
        ``losses``; the other folds get no gradient and do not move. ``before_step(folds)``
        (optional) sees the gradients before the update, e.g. to clip each fold's apart."""
        self.optimizer.zero_grad(set_to_none=True)
        inputs = [p for i in folds for p in self.params[i]]
        # backward (not autograd.grad): it lays each gradient out like its leaf, as the
        # fused Adam kernel requires
        torch.stack(list(losses)).sum().backward(inputs=inputs)
        if before_step is not None:
            before_step(folds)
        self.optimizer.step()


def train_lockstep(
    runs: Sequence[EpochRun],
    fold_loss: Callable[[int, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    optimizer: FoldOptimizer,
    names: Sequence[str],
    before_step: Callable[[Sequence[int]], None] | None = None,
) -> None:
    """Train k folds of a one-loss model in lockstep until every fold's budget is spent.

    Each round, every fold i still training takes its next batch from ``runs[i]`` and
    ``fold_loss(i, batch)`` gives its scalar loss and the values its history records (a
    1-d tensor in ``names`` order); the folds then share one backward and one optimiser
    step, and one fetch of every fold's values. A divergence names the fold (a lone fit:
    the lone fit's message). Used by DAGMM; the GAN loops take two players' steps.
    """
    active = list(range(len(runs)))
    who = [f"fold {i} of the group" if len(runs) > 1 else None for i in active]
    try:
        while active:
            out = [fold_loss(i, runs[i].next_batch()) for i in active]
            optimizer.step(active, [loss for loss, _ in out], before_step)
            rows = torch.stack([values.detach() for _, values in out]).tolist()
            for i, row in zip(active, rows):
                runs[i].record_fold(dict(zip(names, row)), who[i])
            active = [i for i in active if not runs[i].done]
    finally:
        for run in runs:
            run.close()
