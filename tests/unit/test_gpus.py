"""Cells spread over several GPUs: which requests are spread, and that the choice is stable."""

from __future__ import annotations

import torch

from benchmark.engine.gpus import gpu_for, use_gpu_for

NAMES = [f"cardio/mmoc-gan-cat/fold{k}" for k in range(5)] + [
    f"{ds}/ocan/fold{k}" for ds in ("thyroid", "vowels", "musk") for k in range(5)
]


def test_unpinned_cuda_requests_are_spread_over_every_gpu_and_stay_put():
    for device in ("cuda", "auto"):
        chosen = [gpu_for(name, device, 4) for name in NAMES]
        assert set(chosen) == {0, 1, 2, 3}  # 20 cells reach all four GPUs
        assert chosen == [gpu_for(name, device, 4) for name in NAMES]  # same cell, same GPU


def test_cpu_pinned_gpus_and_one_gpu_machines_are_left_alone():
    assert gpu_for(NAMES[0], "cpu", 4) is None
    assert gpu_for(NAMES[0], "cuda:1", 4) is None
    assert gpu_for(NAMES[0], "cuda", 1) is None
    assert gpu_for(NAMES[0], "auto", 0) is None


def test_a_neural_cell_makes_its_gpu_current_and_a_classical_one_does_not(monkeypatch):
    current = []
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", current.append)
    index = use_gpu_for(NAMES[0], {"device": "cuda"}, neural=True)
    assert index in (0, 1) and current == [index]
    assert use_gpu_for(NAMES[0], {"device": "cuda"}, neural=False) is None
    assert use_gpu_for(NAMES[0], {"device": "cpu"}, neural=True) is None
    assert use_gpu_for(NAMES[0], {}, neural=True) is None
    assert current == [index]
