"""Position information for attention, which has none of its own (chapter 7): sinusoidal, learned, rotary.

Self-attention treats its input as a set: permute the words and the outputs permute the same
way. Adding a position vector to each word vector (sinusoidal or learned), or rotating queries
and keys by an angle proportional to the position (RoPE), lets the model use word order.
"""
from __future__ import annotations


import torch
from torch import Tensor, nn


def sinusoidal_encoding(max_len: int, dim: int, base: float = 10_000.0) -> Tensor:
    """``(max_len, dim)``: ``PE[t, 2i] = sin(t / base^(2i/dim))``, ``PE[t, 2i+1] = cos(...)`` (Vaswani et al. 2017)."""
    if max_len < 1 or dim < 2 or dim % 2:
        raise ValueError(f"max_len must be >= 1 and dim an even number >= 2, got max_len={max_len}, dim={dim}")
    positions = torch.arange(max_len, dtype=torch.float64)[:, None]                 # (T, 1)
    frequencies = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)     # (dim / 2,)
    encoding = torch.zeros(max_len, dim, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies)
    return encoding.float()


def _check_length(steps: int, max_len: int) -> None:
    if steps > max_len:
        raise ValueError(f"the sequence has {steps} positions, the position table only max_len={max_len}: "
                         f"cut the sequences or build the model with a larger max_len")


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal vectors of :func:`sinusoidal_encoding` (no parameters), up to ``max_len``."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", sinusoidal_encoding(max_len, dim), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        _check_length(x.shape[1], self.max_len)
        return x + self.table[:x.shape[1]].to(x.dtype)


class LearnedPositionalEmbedding(nn.Module):
    """One learned vector per position, up to ``max_len`` positions (BERT, GPT-2)."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.max_len = max_len
        self.embedding = nn.Embedding(max_len, dim)
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        """``x + position vectors`` for ``x`` of shape ``(B, T, dim)``."""
        _check_length(x.shape[1], self.max_len)
        return x + self.embedding.weight[:x.shape[1]]


def rotary(x: Tensor, positions: Tensor | None = None, base: float = 10_000.0) -> Tensor:
    """Rotary position embedding (RoPE, Su et al. 2021) of ``x`` ``(..., T, d)``, ``d`` even.

    Each pair of dimensions ``(2i, 2i+1)`` of the vector at position ``t`` is rotated by the angle
    ``t · base^(-2i/d)``. Then ``rotary(q, m) · rotary(k, n)`` depends on ``m - n`` only: attention
    scores see relative positions.
    """
    steps, dim = x.shape[-2], x.shape[-1]
    if dim % 2:
        raise ValueError(f"rotary needs an even size, got {dim}")
    if positions is None:
        positions = torch.arange(steps, device=x.device)
    angles = positions.to(torch.float64)[:, None] * base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)     # (T, d / 2)
    even, odd = x[..., 0::2], x[..., 1::2]
    rotated = torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1)
    return rotated.flatten(-2)


def relative_distance(max_len: int) -> Tensor:
    """``(max_len, max_len)`` matrix of ``i - j``, handy for plots of RoPE's scores."""
    positions = torch.arange(max_len)
    return positions[:, None] - positions[None, :]


__all__ = ["LearnedPositionalEmbedding", "SinusoidalPositionalEncoding", "relative_distance", "rotary",
           "sinusoidal_encoding"]
