"""Spread cells over the GPUs of a machine: each neural cell gets one GPU, chosen by its name.

A cell asks for ``cuda`` or ``auto`` (the run's ``--device``); with several GPUs the
cell's process makes one of them its current device before fitting, so ``cuda`` means
that GPU and the result records it (``cuda:N``). The choice is a stable hash of the cell's
name, not its position in the queue: the same cell lands on the same GPU in every run and
with either backend, and needs no scheduler state. ``cuda:N`` pins every cell to GPU N.
"""

from __future__ import annotations

import hashlib

__all__ = ["gpu_for", "use_gpu_for"]


def gpu_for(cell_name: str, device: str, n_gpus: int) -> int | None:
    """The GPU index a cell asking for ``device`` should use, or None to leave it alone.

    Only an unpinned CUDA request (``cuda`` or ``auto``) on a machine with more than one
    GPU is spread; ``cpu`` and ``cuda:N`` are the user's explicit choice.
    """
    if device not in ("cuda", "auto") or n_gpus < 2:
        return None
    digest = hashlib.sha256(cell_name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % n_gpus


def use_gpu_for(cell_name: str, params: dict, neural: bool) -> int | None:
    """Make the chosen GPU current in this process for a neural cell; returns its index.

    Called in the process that computes the cell (a local child or a Dask worker), before
    the detector is built, so ``torch.device("cuda")`` resolves to that GPU.
    """
    device = str(params.get("device", "cpu"))
    if not neural or device not in ("cuda", "auto"):
        return None
    import torch

    index = gpu_for(cell_name, device, torch.cuda.device_count())
    if index is not None:
        torch.cuda.set_device(index)
    return index
