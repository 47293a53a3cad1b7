"""A Transformer encoder block from our attention (chapter 7), with ``nn.TransformerEncoderLayer``'s parameter names.

Post-norm (Vaswani et al. 2017): ``x = norm1(x + attention(x)); x = norm2(x + ffn(x))``.
Pre-norm (``norm_first=True``, as in GPT-2 and most recent models): ``x = x + attention(norm1(x));
x = x + ffn(norm2(x))``, which trains more stably in deep stacks.
With ``attention="linear"`` the block attends with linear attention (Katharopoulos et al. 2020),
same parameters, O(T) instead of O(T²) in the sequence length.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.layers.attention import LinearSelfAttention, MultiHeadAttention

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}
ATTENTIONS = {"softmax": MultiHeadAttention, "linear": LinearSelfAttention}


class TransformerEncoderBlock(nn.Module):
    """Self-attention and a position-wise feed-forward network, each with a residual connection and LayerNorm."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 attention: str = "softmax"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}, got {attention!r}")
        self.self_attn = ATTENTIONS[attention](d_model, nhead, dropout=dropout)
        self.linear1, self.linear2 = nn.Linear(d_model, dim_feedforward), nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps), nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout, self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.activation, self.norm_first = ACTIVATIONS[activation], norm_first

    def _attention(self, x: Tensor, padding: Tensor | None, causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False, is_causal=causal)
        return self.dropout1(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Tensor, src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """``src`` ``(B, T, d_model)``; ``src_key_padding_mask`` ``(B, T)`` True at padding."""
        x = src
        if self.norm_first:
            x = x + self._attention(self.norm1(x), src_key_padding_mask, is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._attention(x, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def attention_weights(self, src: Tensor, src_key_padding_mask: Tensor | None = None) -> Tensor:
        """The block's softmax attention weights ``(B, heads, T, T)`` for ``src``, as ``forward`` computes them."""
        if isinstance(self.self_attn, LinearSelfAttention):
            raise ValueError("a linear-attention block forms no T × T weights: build it with attention='softmax'")
        x = self.norm1(src) if self.norm_first else src
        return self.self_attn(x, x, x, key_padding_mask=src_key_padding_mask, need_weights=True,
                              average_attn_weights=False)[1]
