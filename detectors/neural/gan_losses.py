"""The loss terms of the complementary-GAN family, written once for OCAN and MMOC-GAN.

Every function takes and returns torch tensors and is differentiable where it should be,
so a detector composes its objective from these terms instead of re-deriving them. Rows are
the second-to-last dimension (features the last); leading dimensions, e.g. the fold axis of
fold-batched training (``detectors/neural/fold_batch.py``), give one value per slice.
Definitions and sources: ``docs/design.md``, "Losses of the complementary-GAN family":

* :func:`pull_away` - the PT term, mean squared cosine over pairs ``i != j``;
* :func:`feature_matching_mean` - the papers' ``||mean f(x) - mean f(x~)||^2``;
* :func:`feature_matching_paired` - OCAN's per-sample paired L2 on D's logits;
* :func:`density_mask` / :func:`low_density_kl` - the masked ``log T(x~)`` term;
* :func:`midrange_threshold` - OCAN's per-batch epsilon;
* :func:`categorical_entropy` - D's confidence term;
* :func:`sigma_regulariser` - DeLiGAN's pull of the mixture sigmas towards 1;
* :func:`mutual_info_loss` - InfoGAN's categorical MI term with the marginal entropy of Q.
* :func:`cross_entropy` - the mean cross-entropy of 2-way D, T and Q heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "OCAN_ENTROPY_WEIGHT",
    "categorical_entropy",
    "cross_entropy",
    "density_mask",
    "feature_matching_mean",
    "feature_matching_paired",
    "low_density_kl",
    "midrange_threshold",
    "mutual_info_loss",
    "pull_away",
    "sigma_regulariser",
]

#: Weight of the entropy of D on real samples in OCAN's code (both detectors' default).
OCAN_ENTROPY_WEIGHT = 1.85

_TINY = 1e-12


def pull_away(features: torch.Tensor) -> torch.Tensor:
    """Mean of ``cos^2(f_i, f_j)`` over ordered pairs ``i != j`` (0 = orthogonal, 1 = parallel).

    The pull-away term of EBGAN, used by OCAN and MMOC-GAN to approximate the entropy of
    the generated distribution: minimising it spreads the generated samples out. Cosines
    are squared as in OCAN's official code. Fewer than two rows give 0.
    """
    n = features.shape[-2]
    if n < 2:
        return features.new_zeros(features.shape[:-2])
    unit = features / features.norm(dim=-1, keepdim=True).clamp_min(_TINY)
    cos2 = (unit @ unit.mT).pow(2)
    off_diagonal = cos2.sum(dim=(-2, -1)) - cos2.diagonal(dim1=-2, dim2=-1).sum(dim=-1)
    return off_diagonal / (n * (n - 1))


def feature_matching_mean(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The papers' L_FM (MMOC-GAN Eq. 9): squared distance between real and fake batch means."""
    return (real.mean(dim=-2) - fake.mean(dim=-2)).pow(2).sum(dim=-1)


def feature_matching_paired(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """OCAN's L_FM: mean over rows of ``||real_i - fake_i||_2`` (paired, not squared).

    OCAN applies it to D's 2-d logits of the i-th real and the i-th generated sample of
    the batch, so both batches must have the same number of rows.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"paired feature matching needs equal shapes, got {real.shape} and {fake.shape}"
        )
    # sqrt of a sum of squares with a floor: the gradient of the norm at 0 is otherwise NaN
    return (real - fake).pow(2).sum(dim=-1).clamp_min(_TINY).sqrt().mean(dim=-1)


def density_mask(
    p: torch.Tensor, eps: float | torch.Tensor, *, strict: bool = False
) -> torch.Tensor:
    """0/1 float mask of the samples whose density proxy ``p`` is at or above ``eps``.

    ``strict=True`` uses ``p > eps`` (OCAN's code); the default ``p >= eps`` is the MMOC-GAN
    paper's ``1[p >= eps]`` (Eq. 8). The mask carries no gradient.
    """
    with torch.no_grad():
        keep = p > eps if strict else p >= eps
    return keep.to(p.dtype)


def low_density_kl(
    p: torch.Tensor, eps: float | torch.Tensor, *, strict: bool = False
) -> torch.Tensor:
    """Mean over the whole batch of ``log p_i * mask_i``: the tractable part of KL(p_G || p*).

    Minimising it lowers the density proxy of the generated samples that still sit in a
    high-density region (``p >= eps``) and leaves the others alone; the mean runs over all
    rows, zeros included, as in OCAN's code.
    """
    return (torch.log(p.clamp_min(_TINY)) * density_mask(p, eps, strict=strict)).mean(dim=-1)


def midrange_threshold(p: torch.Tensor) -> torch.Tensor:
    """OCAN's epsilon: ``(max p + min p) / 2`` over the batch (no gradient)."""
    with torch.no_grad():
        return (p.amax(dim=-1) + p.amin(dim=-1)) / 2


def categorical_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of ``softmax(logits)`` over the rows (OCAN's 2-way D)."""
    log_p = F.log_softmax(logits, dim=-1)
    return -(log_p.exp() * log_p).sum(dim=-1).mean(dim=-1)


def sigma_regulariser(sigma: torch.Tensor, weight: float = 0.03) -> torch.Tensor:
    """DeLiGAN's ``L_sigma = weight * sum_c (1 - sigma_c)^2 / m`` for an ``(m, k)`` sigma table.

    ``(1 - sigma_c)^2`` of a k-vector is read as its mean over the k coordinates, as in
    DeLiGAN's code (``mean((sigma - 1)^2)``), so the weight does not scale with the noise
    dimension. It is 0 at sigma = 1 and keeps the mixture components from collapsing.
    """
    per_mode = (1.0 - sigma).pow(2).mean(dim=-1)
    return weight * per_mode.sum(dim=-1) / sigma.shape[-2]


def mutual_info_loss(
    q_logits_fake: torch.Tensor, codes: torch.Tensor, q_logits_real: torch.Tensor | None = None
) -> torch.Tensor:
    """L_MI as the suite reads MMOC-GAN's Eq. 7: ``CE(Q(c|x~), c) - H(mean_x Q(c|x))``.

    The cross-entropy is InfoGAN's lower bound on I(c; G(z, c)) (up to the constant H(c));
    the entropy of the batch-average of Q over the real rows ``q_logits_real`` (omitted
    when None) rewards using every mode. The loss is minimised.
    """
    loss = cross_entropy(q_logits_fake, codes)
    if q_logits_real is not None:
        marginal = F.softmax(q_logits_real, dim=-1).mean(dim=-2)
        loss = loss + (marginal * torch.log(marginal.clamp_min(_TINY))).sum(dim=-1)
    return loss


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor | int) -> torch.Tensor:
    """Mean over the rows of ``-log softmax(logits)[label]``; ``labels`` a class per row or one
    class for all (``F.cross_entropy`` with leading fold dimensions allowed)."""
    log_p = F.log_softmax(logits, dim=-1)
    if isinstance(labels, int):
        return -log_p[..., labels].mean(dim=-1)
    return -log_p.gather(-1, labels.unsqueeze(-1)).squeeze(-1).mean(dim=-1)
