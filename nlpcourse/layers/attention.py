"""Attention from scratch: scaled dot-product, multi-head, and linear attention with its recurrent form (chapter 7).

Masks: in :func:`scaled_dot_product_attention` a boolean ``mask`` is True where a query *may*
attend to a key (as ``F.scaled_dot_product_attention``'s boolean ``attn_mask``). The module
:class:`MultiHeadAttention` takes ``nn.MultiheadAttention``'s conventions instead, True where
attention is *not* allowed (``key_padding_mask``: True at padding), so that either module drops in
for the other. A query row that may attend to no key at all gets zero weights and a zero output
(PyTorch gives NaN there).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def check_mask(mask: Tensor | None, name: str, shape: tuple[int, ...] | None = None) -> Tensor | None:
    """``mask`` unchanged if it is boolean and broadcasts to ``shape``, else a ValueError naming it."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        kind = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"{name} must be a boolean tensor, got {kind}: build it with a comparison, "
                         f"e.g. ids == pad_index")
    if shape is None:
        return mask
    try:
        torch.broadcast_shapes(mask.shape, shape)
    except RuntimeError:
        raise ValueError(f"{name} has shape {tuple(mask.shape)}, which does not broadcast to the attention "
                         f"scores' shape {shape}") from None
    return mask


def causal_mask(queries: int, keys: int | None = None, device=None) -> Tensor:
    """``(queries, keys)``: True where query ``i`` may attend to key ``j``, i.e. ``j <= i``."""
    keys = queries if keys is None else keys
    return torch.ones(queries, keys, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None,
                                 causal: bool = False, dropout: float = 0.0,
                                 training: bool = False) -> tuple[Tensor, Tensor]:
    """``softmax(q kᵀ / √d) v`` with masks: ``(..., Tq, d), (..., Tk, d), (..., Tk, dv)`` -> output
    ``(..., Tq, dv)`` and weights ``(..., Tq, Tk)``. ``mask``: True where attending is allowed."""
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}: q and k need the same "
                         f"last size, k and v the same number of keys")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])         # (..., Tq, Tk)
    allowed = check_mask(mask, "mask", tuple(scores.shape))
    if causal:
        lower = causal_mask(scores.shape[-2], scores.shape[-1], scores.device)
        allowed = lower if allowed is None else allowed & lower
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
        any_allowed = allowed.any(dim=-1, keepdim=True)
        # a row with no allowed key: softmax of all -inf is NaN; give it zero weights instead
        scores = scores.masked_fill(~any_allowed, 0.0)
        weights = torch.softmax(scores, dim=-1) * any_allowed
    else:
        weights = torch.softmax(scores, dim=-1)
    if dropout and training:
        weights = F.dropout(weights, dropout, training=True)
    return weights @ v, weights


def _every_row_attends(allowed: Tensor | None, causal: bool, tq: int, tk: int) -> bool:
    """Whether every query may attend to at least one key (PyTorch's kernel gives NaN for one that may not)."""
    if causal and tq > tk:
        return False
    if allowed is None:
        return True
    if causal:
        allowed = allowed & causal_mask(tq, tk, allowed.device)
    return bool(allowed.any(dim=-1).all())


class MultiHeadAttention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s parameters and conventions (``batch_first=True``).

    ``in_proj_weight`` stacks the query, key and value projections ``(3E, E)``; each of
    ``num_heads`` heads attends in its own ``E / num_heads`` dimensions, and ``out_proj`` mixes the
    heads' outputs. ``forward(query, key, value, key_padding_mask, attn_mask, need_weights,
    average_attn_weights, is_causal)`` returns ``(output, weights or None)`` as PyTorch's does.
    Both masks are boolean, True where attention is *not* allowed: ``key_padding_mask`` of shape
    ``(batch, Tk)``; ``attn_mask`` of shape ``(Tq, Tk)`` (every batch and head) or
    ``(batch * num_heads, Tq, Tk)`` (one per batch row and head, as PyTorch's).

    With ``need_weights=False`` it hands the attention itself to ``F.scaled_dot_product_attention``,
    as ``nn.MultiheadAttention`` does: the same numbers (:func:`scaled_dot_product_attention` is
    proven equal to it), several times faster, without the ``T × T`` matrix in memory. A query
    that may attend to no key still goes through our function, which gives it zeros.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide embed_dim ({embed_dim}): each head gets "
                             f"embed_dim / num_heads dimensions")
        self.embed_dim, self.num_heads, self.head_dim, self.dropout = embed_dim, num_heads, embed_dim // num_heads, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def _real_keys(self, query: Tensor, key_padding_mask: Tensor | None, keys: int) -> Tensor | None:
        """Check ``query``'s shape and ``key_padding_mask`` (True at padding); ``(B, keys)`` True at real keys."""
        if query.dim() != 3 or query.shape[-1] != self.embed_dim:
            raise ValueError(f"query must have shape (batch, time, {self.embed_dim}), got {tuple(query.shape)}")
        if key_padding_mask is None:
            return None
        check_mask(key_padding_mask, "key_padding_mask")
        if tuple(key_padding_mask.shape) != (query.shape[0], keys):
            raise ValueError(f"key_padding_mask must have shape (batch, keys) = {(query.shape[0], keys)}, "
                             f"got {tuple(key_padding_mask.shape)}")
        return ~key_padding_mask

    def _blocked(self, attn_mask: Tensor, batch: int, tq: int, tk: int) -> Tensor:
        """``attn_mask`` checked against the two shapes it takes, the per-head one split into heads."""
        check_mask(attn_mask, "attn_mask")
        shapes = [(tq, tk), (batch * self.num_heads, tq, tk)]
        if tuple(attn_mask.shape) not in shapes:
            raise ValueError(f"attn_mask must have shape (Tq, Tk) = {shapes[0]} or (batch * num_heads, Tq, Tk) = "
                             f"{shapes[1]}, got {tuple(attn_mask.shape)}")
        return attn_mask if attn_mask.dim() == 2 else attn_mask.view(batch, self.num_heads, tq, tk)

    def _heads(self, x: Tensor) -> Tensor:
        batch, steps, _ = x.shape
        return x.view(batch, steps, self.num_heads, self.head_dim).transpose(1, 2)   # (B, heads, T, d)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                attn_mask: Tensor | None = None, need_weights: bool = True, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        batch, tq, tk = query.shape[0], query.shape[1], key.shape[1]
        real_keys = self._real_keys(query, key_padding_mask, tk)                     # (B, Tk) or None
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        q, k, v = (self._heads(F.linear(x, w, b)) for x, w, b in ((query, w_q, b_q), (key, w_k, b_k), (value, w_v, b_v)))
        allowed = None if real_keys is None else real_keys[:, None, None, :]           # (B, 1, 1, Tk)
        if attn_mask is not None:
            blocked = self._blocked(attn_mask, batch, tq, tk)                          # (Tq, Tk) or (B, h, Tq, Tk)
            allowed = ~blocked if allowed is None else allowed & ~blocked
        if need_weights or not _every_row_attends(allowed, is_causal, tq, tk):
            out, weights = scaled_dot_product_attention(q, k, v, allowed, causal=is_causal, dropout=self.dropout,
                                                        training=self.training)   # (B, h, Tq, d), (B, h, Tq, Tk)
        else:   # no weights wanted: PyTorch's fused kernel computes the same without storing the T × T matrix
            if is_causal:
                lower = causal_mask(tq, tk, q.device)
                allowed = lower if allowed is None else allowed & lower
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                                 dropout_p=self.dropout if self.training else 0.0)
            weights = None
        out = self.out_proj(out.transpose(1, 2).reshape(batch, tq, self.embed_dim))
        if not need_weights:
            return out, None
        return out, weights.mean(dim=1) if average_attn_weights else weights


def elu_feature_map(x: Tensor) -> Tensor:
    """``φ(x) = elu(x) + 1``: positive features, so that attention weights stay positive (Katharopoulos et al. 2020)."""
    return F.elu(x) + 1


def linear_attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = False, key_mask: Tensor | None = None,
                     eps: float = 1e-6) -> Tensor:
    """Linear attention, parallel form: ``φ(q)ᵀ Σ_j φ(k_j) v_jᵀ / φ(q)ᵀ Σ_j φ(k_j)``, over all keys or (causal)
    keys up to each query. Non-causal it costs O(T d²) instead of softmax attention's O(T² d).

    ``key_mask`` ``(..., Tk)``: True at the keys that count (real words); the others are left out of
    both sums, so padding changes nothing.
    """
    fq, fk = elu_feature_map(q), elu_feature_map(k)                   # (..., T, d)
    if key_mask is not None:
        check_mask(key_mask, "key_mask", tuple(k.shape[:-1]))
        fk = fk * key_mask[..., None].to(fk.dtype)
    if not causal:
        kv = fk.transpose(-2, -1) @ v                                 # (..., d, dv): summed over keys once
        normaliser = fq @ fk.sum(dim=-2, keepdim=True).transpose(-2, -1)   # (..., T, 1)
        return (fq @ kv) / (normaliser + eps)
    scores = (fq @ fk.transpose(-2, -1)).tril()                       # (..., T, T): the causal parallel form
    return (scores @ v) / (scores.sum(dim=-1, keepdim=True) + eps)


def linear_attention_recurrent(q: Tensor, k: Tensor, v: Tensor, eps: float = 1e-6) -> Tensor:
    """Causal linear attention as an RNN: a state ``S_t = S_{t-1} + φ(k_t) v_tᵀ`` and ``z_t = z_{t-1} + φ(k_t)``,
    read out as ``φ(q_t)ᵀ S_t / φ(q_t)ᵀ z_t``: "Transformers are RNNs" (Katharopoulos et al. 2020)."""
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    state = q.new_zeros(*q.shape[:-2], q.shape[-1], v.shape[-1])      # (..., d, dv)
    normaliser = q.new_zeros(*q.shape[:-2], q.shape[-1])              # (..., d)
    outputs = []
    for t in range(q.shape[-2]):
        state = state + fk[..., t, :, None] * v[..., t, None, :]
        normaliser = normaliser + fk[..., t, :]
        numerator = (fq[..., t, :, None] * state).sum(dim=-2)         # (..., dv)
        denominator = (fq[..., t, :] * normaliser).sum(dim=-1, keepdim=True)
        outputs.append(numerator / (denominator + eps))
    return torch.stack(outputs, dim=-2)


class LinearSelfAttention(MultiHeadAttention):
    """Multi-head *linear* attention with :class:`MultiHeadAttention`'s parameters and call signature, so a
    Transformer block can use either (same parameter count). Self-attention only (``query`` is ``key``
    and ``value``); it returns no weights, since it never forms the ``T × T`` matrix."""

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                key_padding_mask: Tensor | None = None, attn_mask: Tensor | None = None, need_weights: bool = False,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Tensor, None]:
        if (key is not None and key is not query) or (value is not None and value is not query):
            raise ValueError("LinearSelfAttention is self-attention: pass the same tensor as query, key and value")
        if attn_mask is not None or need_weights:
            raise ValueError("linear attention takes no attn_mask and has no weights to return: use "
                             "key_padding_mask, is_causal and need_weights=False")
        real_keys = self._real_keys(query, key_padding_mask, query.shape[1])        # (B, T) or None
        batch, steps, _ = query.shape
        q, k, v = (self._heads(x) for x in F.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1))
        key_mask = None if real_keys is None else real_keys[:, None, :]              # (B, 1, T)
        out = linear_attention(q, k, v, causal=is_causal, key_mask=key_mask)          # (B, heads, T, d)
        return self.out_proj(out.transpose(1, 2).reshape(batch, steps, self.embed_dim)), None


class AdditiveAttentionPooling(nn.Module):
    """Additive self-attention pooling (Bahdanau et al. 2015; Lin et al. 2017): a score
    ``e_t = vᵀ tanh(W h_t + b)`` per step, softmax over the real steps, and ``Σ_t a_t h_t``.
    ``forward(h (B, T, D), mask (B, T) True at real steps)`` returns ``(pooled (B, D), weights (B, T))``."""

    def __init__(self, input_size: int, attention_size: int):
        super().__init__()
        if input_size < 1 or attention_size < 1:
            raise ValueError(f"input_size and attention_size must be >= 1, got {input_size} and {attention_size}")
        self.project = nn.Linear(input_size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def forward(self, h: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if h.dim() != 3:
            raise ValueError(f"h must have shape (batch, time, features), got {tuple(h.shape)}")
        scores = self.score(torch.tanh(self.project(h)))[..., 0]                     # (B, T)
        if mask is not None:
            check_mask(mask, "mask", tuple(scores.shape))
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return (weights[..., None] * h).sum(dim=1), weights


class AdditiveAttention(nn.Module):
    """Bahdanau et al. (2015)'s attention of a decoder state over the encoder's outputs (chapter 8):
    ``e_j = vᵀ tanh(W_q s + W_k h_j)``, ``a = softmax(e)`` over the real source words, context ``Σ_j a_j h_j``.

    The keys ``W_k h_j`` do not change while a sentence is decoded: :meth:`project_keys` computes
    them once, and each decoder step calls ``forward(query (B, Q), keys (B, S, A), values (B, S, D),
    mask (B, S) True at real words)`` -> ``(context (B, D), weights (B, S))``.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        if min(query_size, key_size, attention_size) < 1:
            raise ValueError(f"query_size, key_size and attention_size must be >= 1, got {query_size}, "
                             f"{key_size} and {attention_size}")
        self.query = nn.Linear(query_size, attention_size, bias=False)
        self.key = nn.Linear(key_size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def project_keys(self, values: Tensor) -> Tensor:
        return self.key(values)                                                      # (B, S, A)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        scores = self.score(torch.tanh(keys + self.query(query)[:, None, :]))[..., 0]   # (B, S)
        return _attend(scores, values, mask)


class DotProductAttention(nn.Module):
    """Scaled dot-product attention of one decoder state over the encoder's outputs (chapters 7-8):
    ``e_j = s · (W_k h_j) / √Q`` (Luong et al. 2015's "general" score, scaled as in chapter 7);
    same interface as :class:`AdditiveAttention`."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        if min(query_size, key_size) < 1:
            raise ValueError(f"query_size and key_size must be >= 1, got {query_size} and {key_size}")
        self.key = nn.Linear(key_size, query_size, bias=False)

    def project_keys(self, values: Tensor) -> Tensor:
        return self.key(values)                                                      # (B, S, Q)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        scores = (keys @ query[:, :, None])[..., 0] / math.sqrt(query.shape[-1])     # (B, S)
        return _attend(scores, values, mask)


def _attend(scores: Tensor, values: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """Softmax of ``scores (B, S)`` over the allowed positions, and the weighted sum of ``values (B, S, D)``."""
    if mask is not None:
        check_mask(mask, "mask", tuple(scores.shape))
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)                                          # (B, S)
    return (weights[:, None, :] @ values)[:, 0], weights
