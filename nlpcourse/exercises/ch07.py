"""Checkers for chapter 7 (self-attention and Transformers)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import compare_arrays, compare_values, exercise


def masked_attention_reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``softmax(q kᵀ / √d) v`` over the allowed keys (``mask`` True where allowed); a row with no allowed key
    gives zeros (as :func:`nlpcourse.layers.attention.scaled_dot_product_attention`)."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    top = np.max(np.where(mask, scores, 0.0), axis=-1, keepdims=True)
    weights = np.where(mask, np.exp(scores - top), 0.0)
    total = weights.sum(axis=-1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    return weights @ v


@exercise("ch07.ex2", "attention with a mask")
def _masked_attention(masked_attention):
    """``masked_attention(q, k, v, mask)``: scaled dot-product attention, ``mask`` True where a query may attend."""
    rng = np.random.default_rng(7)
    cases = []
    for queries, keys, dim in [(1, 1, 2), (3, 4, 2), (5, 5, 8)]:
        mask = rng.random((queries, keys)) > 0.3
        mask[:, 0] = True
        cases.append((f"{queries} queries, {keys} keys of size {dim}", queries, keys, dim, mask))
    causal = np.tril(np.ones((4, 4), dtype=bool))
    cases.append(("a causal mask (each query sees itself and the past)", 4, 4, 3, causal))
    big = rng.random((3, 4)) > 0.5
    big[:, 1] = True
    cases.append(("large scores (subtract the maximum before exp)", 3, 4, 2, big))
    empty = np.ones((3, 5), dtype=bool)
    empty[1] = False
    cases.append(("a query that may attend to no key gets zeros", 3, 5, 4, empty))
    for description, queries, keys, dim, mask in cases:
        scale = 200.0 if "large" in description else 1.0
        q, k, v = scale * rng.normal(size=(queries, dim)), rng.normal(size=(keys, dim)), rng.normal(size=(keys, 3))
        with np.errstate(all="ignore"):
            got = masked_attention(q.copy(), k.copy(), v.copy(), mask.copy())
        yield compare_arrays(description, got, masked_attention_reference(q, k, v, mask),
                             hint="scores q kᵀ / sqrt(d), -inf where the mask is False, a softmax over the keys "
                                  "(subtract each row's maximum), then weights @ v; a row with no allowed key: zeros")


@exercise("ch07.ex3", "parameters of a multi-head attention layer")
def _attention_parameters(attention_parameters):
    """``attention_parameters(d_model, num_heads)`` -> parameters of ``nn.MultiheadAttention(d_model, num_heads)``."""
    for d_model, heads in [(8, 1), (8, 2), (64, 4), (128, 8), (512, 8), (768, 12)]:
        expected = 4 * d_model * d_model + 4 * d_model
        yield compare_values(f"d_model={d_model}, num_heads={heads}", attention_parameters(d_model, heads), expected,
                             "query, key and value projections d_model -> d_model, and the output projection, each "
                             "with a bias; the heads split d_model among them, so their number changes nothing")
