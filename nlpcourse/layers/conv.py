"""1-D convolution and pooling from scratch: unfold the windows, then one matrix product (chapter 4).

A 1-D convolution slides ``C_out`` filters of shape ``(C_in, k)`` along a sequence. Unfolding
cuts the padded input into its windows, ``(B, L_out, C_in * k)``; the convolution is then
a single matrix product with the filters flattened to ``(C_in * k, C_out)``. Like every
deep-learning library, it computes a cross-correlation (the filter is not flipped).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def conv_output_length(length: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       dilation: int = 1) -> int:
    """Number of output positions: ``(L + 2p - d (k - 1) - 1) // s + 1`` (chapter 4)."""
    span = dilation * (kernel_size - 1) + 1
    return (length + 2 * padding - span) // stride + 1


def _windows(x: Tensor, kernel_size: int, stride: int, padding: int, dilation: int,
             pad_value: float = 0.0) -> Tensor:
    """``(B, C, L)`` -> ``(B, C, L_out, k)``: the k (dilated) entries seen by each output position."""
    if x.dim() != 3:
        raise ValueError(f"expected input of shape (batch, channels, length), got {tuple(x.shape)}")
    if min(kernel_size, stride, dilation) < 1 or padding < 0:
        raise ValueError("kernel_size, stride and dilation must be >= 1 and padding >= 0")
    if conv_output_length(x.shape[-1], kernel_size, stride, padding, dilation) < 1:
        raise ValueError(f"a sequence of length {x.shape[-1]} is shorter than the (dilated) kernel "
                         f"span {dilation * (kernel_size - 1) + 1}: pad it or use a smaller kernel")
    if padding:
        x = F.pad(x, (padding, padding), value=pad_value)
    span = dilation * (kernel_size - 1) + 1
    return x.unfold(2, span, stride)[..., ::dilation]  # (B, C, L_out, span) -> (B, C, L_out, k)


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0,
           dilation: int = 1) -> Tensor:
    """``(B, C_in, L)`` * ``(C_out, C_in, k)`` -> ``(B, C_out, L_out)``, as ``F.conv1d`` (chapter 4)."""
    c_out, c_in, k = weight.shape
    if x.dim() == 3 and x.shape[1] != c_in:
        raise ValueError(f"input has {x.shape[1]} channels but the filters expect {c_in}")
    win = _windows(x, k, stride, padding, dilation)            # (B, C_in, L_out, k)
    win = win.permute(0, 2, 1, 3).flatten(2)                   # (B, L_out, C_in * k)
    out = win @ weight.reshape(c_out, c_in * k).T              # (B, L_out, C_out)
    if bias is not None:
        out = out + bias
    return out.transpose(1, 2)                                 # (B, C_out, L_out)


def max_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """The largest entry of each window, as ``F.max_pool1d`` (padding never wins) (chapter 4).

    Like PyTorch, the gradient goes to one entry per window, the first of tied maxima.
    """
    stride = kernel_size if stride is None else stride
    win = _windows(x, kernel_size, stride, padding, 1, pad_value=float("-inf"))  # (B, C, L_out, k)
    first_max = win.argmax(dim=-1, keepdim=True)                                # (B, C, L_out, 1)
    return win.gather(-1, first_max).squeeze(-1)                                # (B, C, L_out)


def avg_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """The mean of each window, padding counted as zeros, as ``F.avg_pool1d`` (chapter 4)."""
    stride = kernel_size if stride is None else stride
    return _windows(x, kernel_size, stride, padding, 1).mean(dim=-1)


class Conv1d(nn.Conv1d):
    """``nn.Conv1d``'s parameters and initialisation, our :func:`conv1d` in ``forward`` (chapter 4)."""

    def forward(self, x: Tensor) -> Tensor:
        if self.padding_mode != "zeros" or isinstance(self.padding, str):
            raise ValueError("this Conv1d supports integer zero padding only")
        return conv1d(x, self.weight, self.bias, self.stride[0], self.padding[0], self.dilation[0])
