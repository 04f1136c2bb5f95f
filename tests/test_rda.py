"""RDA: the quick budget trains the autoencoder far enough for the l2,1 step to be sparse."""

from __future__ import annotations

import numpy as np
import torch

from benchmark.registry import get_detector


def test_quick_budget_does_not_let_the_shrinkage_take_every_training_row():
    # With 300 steps shared by 5 rounds, the sigmoid autoencoder was still near its
    # initial output (about 0.5 per feature) when the l2,1 step ran, so every training
    # row got S != 0 and the later rounds trained on the autoencoder's own output
    # (Mammography's AUROC fell to 0.45). Here 300 steps flag all 3000 rows.
    rng = np.random.default_rng(0)
    X = np.clip(rng.gamma(1.0, 0.08, size=(3000, 6)), 0.0, 1.0)  # skewed toward 0
    torch.set_num_threads(1)
    det = get_detector("rda").build("quick", random_state=0, device="cpu").fit(X)
    assert (det.train_outlier_norms_ > 0).mean() < 0.9
