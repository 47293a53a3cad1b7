"""Capsules from Sabour, Frosst and Hinton (2017): squash, dynamic routing by agreement, margin loss (chapter 6).

A capsule outputs a vector: its length says how likely the thing it detects is present, its
direction what that thing's properties are. Each lower capsule ``i`` predicts every upper
capsule ``j``, ``û_{j|i} = W_j u_i``; routing sends each lower capsule's output mostly to the
upper capsules whose outputs agree with its prediction.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.utils import check_int


def squash(s: Tensor, dim: int = -1, constant: float = 1.0) -> Tensor:
    """``v = ‖s‖² / (constant + ‖s‖²) · s / ‖s‖`` (the paper's equation 1 with ``constant=1``).

    Short vectors shrink to almost zero length, long ones to just under 1; the direction is
    kept. An all-zero vector gives zeros, and a finite (zero) gradient, never NaN.
    ``constant=0.5`` is a variant found in popular implementations.
    """
    squared = (s * s).sum(dim=dim, keepdim=True)
    norm = squared.clamp_min(torch.finfo(s.dtype).tiny).sqrt()     # ‖s‖, never 0: no 0/0 at s = 0
    return s * (squared / (constant + squared) / norm)


def routing_loops(u_hat: Tensor, iterations: int = 3) -> tuple[Tensor, Tensor]:
    """Procedure 1 of the paper, transcribed line by line with loops over the capsules (slow; for reading).

    ``u_hat``: ``(I, J, D)``, the prediction of each lower capsule ``i`` for each upper capsule
    ``j``. Returns the upper capsules ``v`` ``(J, D)`` and the last coupling coefficients ``c`` ``(I, J)``.
    """
    num_in, num_out, _ = u_hat.shape
    b = [[0.0] * num_out for _ in range(num_in)]                     # for all i, j: b_ij <- 0
    for _ in range(iterations):                                      # for r iterations do
        c = [torch.softmax(torch.tensor(b[i], dtype=u_hat.dtype), dim=0) for i in range(num_in)]  # c_i <- softmax(b_i)
        s = [sum(c[i][j] * u_hat[i, j] for i in range(num_in)) for j in range(num_out)]           # s_j <- sum_i c_ij û_j|i
        v = [squash(s[j]) for j in range(num_out)]                                                # v_j <- squash(s_j)
        for i in range(num_in):                                                                   # b_ij <- b_ij + û_j|i . v_j
            for j in range(num_out):
                b[i][j] = b[i][j] + float(u_hat[i, j] @ v[j])
    return torch.stack(v), torch.stack(c)


def dynamic_routing(u_hat: Tensor, iterations: int = 3, mask: Tensor | None = None, accumulate: bool = True,
                    squash_constant: float = 1.0) -> tuple[Tensor, Tensor]:
    """Routing by agreement on a batch, vectorised: ``u_hat`` ``(B, I, J, D)`` -> ``v`` ``(B, J, D)``, ``c`` ``(B, I, J)``.

    ``mask`` ``(B, I)``: lower capsules to leave out (padding); their predictions count as zero.
    ``accumulate=False`` sets ``b = û·v`` instead of adding to it, as some popular
    implementations do; ``squash_constant`` picks the squash variant.
    """
    check_iterations(iterations)
    if u_hat.dim() != 4:
        raise ValueError(f"u_hat must have shape (batch, lower capsules, upper capsules, dim), got {tuple(u_hat.shape)}")
    if mask is not None:
        u_hat = u_hat * mask[:, :, None, None].to(u_hat.dtype)
    b = u_hat.new_zeros(u_hat.shape[:3])                              # (B, I, J) routing logits
    for r in range(iterations):
        c = torch.softmax(b, dim=2)                                   # each lower capsule's shares sum to 1
        s = torch.einsum("bij,bijd->bjd", c, u_hat)                   # (B, J, D) weighted sum of predictions
        v = squash(s, constant=squash_constant)
        if r < iterations - 1:                                        # the last update would be unused
            agreement = torch.einsum("bijd,bjd->bij", u_hat, v)
            b = b + agreement if accumulate else agreement
    return v, c


def margin_loss(lengths: Tensor, targets: Tensor, m_plus: float = 0.9, m_minus: float = 0.1,
                weight: float = 0.5) -> Tensor:
    """The paper's equation 4, averaged over the batch: the true class's capsule should be longer than
    ``m_plus``, every other one shorter than ``m_minus`` (down-weighted by ``weight``)."""
    present = F.one_hot(targets, lengths.shape[-1]).to(lengths.dtype)
    loss = present * F.relu(m_plus - lengths) ** 2 + weight * (1 - present) * F.relu(lengths - m_minus) ** 2
    return loss.sum(dim=-1).mean()


def check_iterations(iterations: int) -> int:
    return check_int("iterations", iterations, minimum=1, hint="the number of routing iterations, 3 in the paper")


class CapsuleLayer(nn.Module):
    """Any number of lower capsules of size ``in_dim`` -> ``num_capsules`` upper capsules of size ``capsule_dim``.

    The transformation ``W_j`` is shared by all lower capsules (Zhao et al. 2018): with one lower
    capsule per word, reviews of any length use the same weights. ``forward(u, mask)`` returns
    the upper capsules ``(B, J, D)`` and the coupling coefficients ``(B, I, J)``.
    """

    def __init__(self, in_dim: int, num_capsules: int, capsule_dim: int, iterations: int = 3):
        super().__init__()
        for name, value in (("in_dim", in_dim), ("num_capsules", num_capsules), ("capsule_dim", capsule_dim)):
            check_int(name, value, minimum=1)
        self.iterations = check_iterations(iterations)
        self.in_dim, self.num_capsules, self.capsule_dim = in_dim, num_capsules, capsule_dim
        self.weight = nn.Parameter(torch.empty(num_capsules, capsule_dim, in_dim))   # W_j, one per upper capsule
        nn.init.xavier_uniform_(self.weight.view(num_capsules * capsule_dim, in_dim))

    def predictions(self, u: Tensor) -> Tensor:
        """``û_{j|i} = W_j u_i``: ``(B, I, in_dim)`` -> ``(B, I, J, D)``."""
        if u.dim() != 3 or u.shape[-1] != self.in_dim:
            raise ValueError(f"u must have shape (batch, lower capsules, {self.in_dim}), got {tuple(u.shape)}")
        return torch.einsum("bik,jdk->bijd", u, self.weight)

    def forward(self, u: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return dynamic_routing(self.predictions(u), self.iterations, mask)
