"""Transformer encoder and decoder blocks from our attention (chapters 7 and 8), with
``nn.TransformerEncoderLayer``'s and ``nn.TransformerDecoderLayer``'s parameter names.

Post-norm (Vaswani et al. 2017): ``x = norm1(x + attention(x)); x = norm2(x + ffn(x))``.
Pre-norm (``norm_first=True``, as in GPT-2 and most recent models): ``x = x + attention(norm1(x));
x = x + ffn(norm2(x))``, which trains more stably in deep stacks.
With ``attention="linear"`` the encoder block attends with linear attention (Katharopoulos et al. 2020),
same parameters, O(T) instead of O(T²) in the sequence length.
The decoder block (chapter 8) has three such sub-layers: causal self-attention over the target
prefix, cross-attention from the target to the encoder's output (the memory), and the feed-forward network.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.layers.attention import LinearSelfAttention, MultiHeadAttention
from nlpcourse.utils import eval_mode


def gelu_tanh(x: Tensor) -> Tensor:
    """GELU with its tanh approximation, ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``: GPT-2's activation
    (Hugging Face calls it ``gelu_new``) (chapter 9)."""
    return F.gelu(x, approximate="tanh")


ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "gelu_tanh": gelu_tanh}
ATTENTIONS = {"softmax": MultiHeadAttention, "linear": LinearSelfAttention}


class _Block(nn.Module):
    """What the encoder and decoder blocks share: the argument checks, the residual connection and
    LayerNorm around each sub-layer, self-attention and the position-wise feed-forward network (chapter 8)."""

    def __init__(self, d_model: int, nhead: int, activation: str, norm_first: bool):
        super().__init__()
        if nhead < 1 or d_model % nhead:
            raise ValueError(f"nhead ({nhead}) must divide d_model ({d_model}): each head gets "
                             f"d_model / nhead dimensions")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation, self.norm_first = ACTIVATIONS[activation], norm_first

    def _add_feed_forward(self, d_model: int, dim_feedforward: int, dropout: float) -> None:
        """Create the feed-forward network's ``linear1``, ``dropout`` and ``linear2`` (chapter 8)."""
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))          # (B, T, d_model)

    def _self_attention(self, x: Tensor, padding: Tensor | None, causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False, is_causal=causal)
        return self.dropout1(out)                                                     # (B, T, d_model)

    def _residual(self, x: Tensor, norm: nn.LayerNorm, sublayer: Callable[[Tensor], Tensor]) -> Tensor:
        """``x + sublayer(norm(x))`` (pre-norm) or ``norm(x + sublayer(x))`` (post-norm) (chapter 8)."""
        if self.norm_first:
            return x + sublayer(norm(x))
        return norm(x + sublayer(x))


class TransformerEncoderBlock(_Block):
    """Self-attention and a position-wise feed-forward network, each with a residual connection and LayerNorm."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 attention: str = "softmax"):
        super().__init__(d_model, nhead, activation, norm_first)
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}, got {attention!r}")
        self.self_attn = ATTENTIONS[attention](d_model, nhead, dropout=dropout)
        self._add_feed_forward(d_model, dim_feedforward, dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps), nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, src: Tensor, src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """``src`` ``(B, T, d_model)``; ``src_key_padding_mask`` ``(B, T)`` True at padding."""
        x = self._residual(src, self.norm1, lambda h: self._self_attention(h, src_key_padding_mask, is_causal))
        return self._residual(x, self.norm2, lambda h: self.dropout2(self._feed_forward(h)))

    def attention_weights(self, src: Tensor, src_key_padding_mask: Tensor | None = None) -> Tensor:
        """The block's softmax attention weights ``(B, heads, T, T)`` for ``src``, as ``forward`` computes them."""
        if isinstance(self.self_attn, LinearSelfAttention):
            raise ValueError("a linear-attention block forms no T × T weights: build it with attention='softmax'")
        x = self.norm1(src) if self.norm_first else src
        return self.self_attn(x, x, x, key_padding_mask=src_key_padding_mask, need_weights=True,
                              average_attn_weights=False)[1]


class TransformerDecoderBlock(_Block):
    """Causal self-attention over the target prefix, cross-attention to the encoder's memory and a
    position-wise feed-forward network, each with a residual connection and LayerNorm (chapter 8)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False):
        super().__init__(d_model, nhead, activation, norm_first)
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=dropout)
        self.multihead_attn = MultiHeadAttention(d_model, nhead, dropout=dropout)
        self._add_feed_forward(d_model, dim_feedforward, dropout)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model, eps=layer_norm_eps) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(dropout) for _ in range(3))

    def _attend_to_target(self, tgt: Tensor, memory: Tensor, tgt_key_padding_mask: Tensor | None,
                          causal: bool) -> Tensor:
        """The first sub-layer's output ``(B, T_tgt, d_model)``, once ``memory`` is checked (chapter 8)."""
        if memory.dim() != 3 or memory.shape[0] != tgt.shape[0] or memory.shape[-1] != tgt.shape[-1]:
            raise ValueError(f"memory must have shape (batch, source time, d_model) = ({tgt.shape[0]}, S, "
                             f"{tgt.shape[-1]}) to match tgt {tuple(tgt.shape)}, got {tuple(memory.shape)}")
        return self._residual(tgt, self.norm1, lambda h: self._self_attention(h, tgt_key_padding_mask, causal))

    def _cross_attention(self, x: Tensor, memory: Tensor, memory_key_padding_mask: Tensor | None) -> Tensor:
        out, _ = self.multihead_attn(x, memory, memory, key_padding_mask=memory_key_padding_mask,
                                     need_weights=False)
        return self.dropout2(out)                                                     # (B, T_tgt, d_model)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = True) -> Tensor:
        """``tgt`` ``(B, T_tgt, d_model)``, ``memory`` ``(B, T_src, d_model)``, padding masks ``(B, T_tgt)`` and
        ``(B, T_src)`` True at padding -> ``(B, T_tgt, d_model)`` (chapter 8)."""
        x = self._attend_to_target(tgt, memory, tgt_key_padding_mask, tgt_is_causal)
        x = self._residual(x, self.norm2, lambda h: self._cross_attention(h, memory, memory_key_padding_mask))
        return self._residual(x, self.norm3, lambda h: self.dropout3(self._feed_forward(h)))

    def forward_last(self, tgt: Tensor, memory: Tensor, memory_key_padding_mask: Tensor | None = None) -> Tensor:
        """``forward(tgt, memory)[:, -1:]`` with the work of one position: the last word attends to every
        word of ``tgt`` (the block's inputs so far, which a decoder keeps as its cache), then to the
        memory; earlier outputs never change, since attention is causal (chapter 8)."""
        last = tgt[:, -1:]                                                            # (B, 1, d_model)
        if self.norm_first:
            keys = self.norm1(tgt)
            x = last + self.dropout1(self.self_attn(keys[:, -1:], keys, keys, need_weights=False)[0])
        else:
            x = self.norm1(last + self.dropout1(self.self_attn(last, tgt, tgt, need_weights=False)[0]))
        x = self._residual(x, self.norm2, lambda h: self._cross_attention(h, memory, memory_key_padding_mask))
        return self._residual(x, self.norm3, lambda h: self.dropout3(self._feed_forward(h)))

    @torch.no_grad()
    def cross_attention_weights(self, tgt: Tensor, memory: Tensor, tgt_key_padding_mask: Tensor | None = None,
                                memory_key_padding_mask: Tensor | None = None) -> Tensor:
        """The cross-attention weights ``(B, heads, T_tgt, T_src)`` that ``forward`` (causal) computes, in eval
        mode: how much each target position looks at each source position, for alignment heatmaps (chapter 8)."""
        with eval_mode(self):
            x = self._attend_to_target(tgt, memory, tgt_key_padding_mask, causal=True)
            query = self.norm2(x) if self.norm_first else x
            return self.multihead_attn(query, memory, memory, key_padding_mask=memory_key_padding_mask,
                                       need_weights=True, average_attn_weights=False)[1]
