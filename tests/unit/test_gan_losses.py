"""The complementary-GAN loss terms on inputs whose value is known by hand."""

from __future__ import annotations

import math

import pytest
import torch

from detectors.neural.gan_losses import (
    categorical_entropy,
    density_mask,
    feature_matching_mean,
    feature_matching_paired,
    low_density_kl,
    midrange_threshold,
    mutual_info_loss,
    pull_away,
    sigma_regulariser,
)


def test_pull_away_of_orthogonal_features_is_zero():
    assert pull_away(torch.eye(5) * 3.0).item() == pytest.approx(0.0, abs=1e-7)


def test_pull_away_of_identical_features_is_one():
    rows = torch.tensor([[1.0, -2.0, 0.5]]).repeat(6, 1)
    assert pull_away(rows).item() == pytest.approx(1.0, abs=1e-6)


def test_pull_away_squares_cosines_and_ignores_scale():
    # cos(a, b) = -1: squared, it counts as fully aligned; scaling a row changes nothing
    rows = torch.tensor([[1.0, 0.0], [-5.0, 0.0]])
    assert pull_away(rows).item() == pytest.approx(1.0, abs=1e-6)
    # 45 degrees: cos^2 = 1/2 for the single pair, in both orders
    rows = torch.tensor([[1.0, 0.0], [2.0, 2.0]])
    assert pull_away(rows).item() == pytest.approx(0.5, abs=1e-6)


def test_pull_away_gradient_is_finite_for_a_zero_row():
    rows = torch.tensor([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]], requires_grad=True)
    pull_away(rows).backward()
    assert torch.isfinite(rows.grad).all()


def test_feature_matching_is_zero_for_equal_batches():
    a = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    assert feature_matching_mean(a, a.clone()).item() == 0.0
    assert feature_matching_paired(a, a.clone()).item() == pytest.approx(0.0, abs=1e-5)


def test_feature_matching_values():
    real = torch.zeros(2, 2)
    fake = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    # batch means differ by (1.5, 2): squared distance 6.25
    assert feature_matching_mean(real, fake).item() == pytest.approx(6.25)
    # paired L2 distances 5 and 0: mean 2.5 (not squared)
    assert feature_matching_paired(real, fake).item() == pytest.approx(2.5, abs=1e-5)
    # the mean version ignores the pairing; the paired one does not
    assert feature_matching_mean(fake, fake.flip(0)).item() == 0.0
    assert feature_matching_paired(fake, fake.flip(0)).item() == pytest.approx(5.0, abs=1e-5)


def test_feature_matching_paired_needs_equal_shapes():
    with pytest.raises(ValueError, match="equal shapes"):
        feature_matching_paired(torch.zeros(3, 2), torch.zeros(4, 2))


def test_density_mask_selects_exactly_the_samples_at_or_above_eps():
    p = torch.tensor([0.1, 0.3, 0.30001, 0.9, 0.2999])
    assert density_mask(p, 0.3).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert density_mask(p, 0.3, strict=True).tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]


def test_low_density_kl_averages_masked_logs_over_the_whole_batch():
    p = torch.tensor([0.5, 0.25, 0.01, 0.02], requires_grad=True)
    loss = low_density_kl(p, 0.1)
    assert loss.item() == pytest.approx((math.log(0.5) + math.log(0.25)) / 4, rel=1e-6)
    loss.backward()
    # only the masked-in samples receive a gradient (d/dp log p / 4 = 1 / (4p))
    assert p.grad.tolist() == pytest.approx([0.5, 1.0, 0.0, 0.0], rel=1e-5)


def test_midrange_threshold():
    assert midrange_threshold(torch.tensor([0.2, 0.9, 0.4])).item() == pytest.approx(0.55)


def test_entropies():
    assert categorical_entropy(torch.zeros(2, 4)).item() == pytest.approx(math.log(4), rel=1e-6)
    p = 0.8  # a 2-way softmax with P = (0.2, 0.8): the binary entropy of 0.8
    expected = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    logits = torch.tensor([[0.0, math.log(p / (1 - p))]])
    assert categorical_entropy(logits).item() == pytest.approx(expected, rel=1e-5)
    saturated = torch.tensor([[0.0, 60.0], [60.0, 0.0]])  # stays finite when D saturates
    assert categorical_entropy(saturated).item() == pytest.approx(0.0, abs=1e-6)


def test_sigma_regulariser_is_zero_at_one_and_weighted_otherwise():
    assert sigma_regulariser(torch.ones(5, 50)).item() == 0.0
    # (1 - 0.2)^2 = 0.64 for every coordinate and mode: 0.03 * 5 * 0.64 / 5
    assert sigma_regulariser(torch.full((5, 50), 0.2)).item() == pytest.approx(0.03 * 0.64)
    sigma = torch.full((2, 3), 0.5, requires_grad=True)
    sigma_regulariser(sigma, weight=1.0).backward()
    assert (sigma.grad < 0).all()  # gradient descent raises sigma towards 1


def test_mutual_info_loss():
    codes = torch.tensor([0, 1, 2, 0])
    confident = 50.0 * torch.nn.functional.one_hot(codes, 3).float()
    # Q recovers every code: cross-entropy 0
    assert mutual_info_loss(confident, codes).item() == pytest.approx(0.0, abs=1e-6)
    # real rows spread evenly over 3 modes: minus the marginal entropy log 3
    real = torch.zeros(6, 3)
    assert mutual_info_loss(confident, codes, real).item() == pytest.approx(-math.log(3), rel=1e-5)
    # all real rows in one mode: no entropy bonus
    collapsed = torch.tensor([[50.0, 0.0, 0.0]]).repeat(6, 1)
    assert mutual_info_loss(confident, codes, collapsed).item() == pytest.approx(0.0, abs=1e-5)
