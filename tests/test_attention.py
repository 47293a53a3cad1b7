"""Attention, positional encodings and the encoder block from scratch, against PyTorch's (chapter 7)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

from nlpcourse.layers.attention import (MultiHeadAttention, linear_attention, linear_attention_recurrent,  # noqa: E402
                                        scaled_dot_product_attention)
from nlpcourse.layers.positional import LearnedPositionalEmbedding, rotary, sinusoidal_encoding  # noqa: E402
from nlpcourse.layers.transformer import TransformerEncoderBlock  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 3), tq=st.integers(1, 6), tk=st.integers(1, 6), d=st.integers(1, 5),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_scaled_dot_product_attention_equals_pytorchs(batch, tq, tk, d, causal, seed):
    generator = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(batch, 2, t, d, dtype=torch.float64, generator=generator) for t in (tq, tk, tk))
    mask = torch.rand(batch, 1, tq, tk, generator=generator) > 0.3
    mask[..., 0] = True                                        # every row keeps one key: PyTorch's rows stay finite
    if causal:
        mask = None if tq > tk else mask
    ours, weights = scaled_dot_product_attention(q, k, v, mask, causal=causal)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    assert torch.allclose(ours, theirs, atol=1e-10)
    assert torch.allclose(weights.sum(-1), torch.ones_like(weights.sum(-1)))


def test_a_fully_masked_row_gives_zeros_never_nan():
    q = torch.randn(1, 3, 4, requires_grad=True)
    mask = torch.tensor([[True, True, False], [False, False, False], [True, False, False]])
    out, weights = scaled_dot_product_attention(q, q, q, mask)
    assert torch.equal(out[0, 1], torch.zeros(4)) and torch.equal(weights[0, 1], torch.zeros(3))
    out.sum().backward()
    assert torch.isfinite(q.grad).all()


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 3), steps=st.integers(1, 6), heads=st.sampled_from([1, 2, 4]), causal=st.booleans(),
       average=st.booleans(), seed=st.integers(0, 2**16))
def test_multi_head_attention_equals_pytorchs_with_copied_weights(batch, steps, heads, causal, average, seed):
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(8, heads, batch_first=True).double().eval()
    ours = MultiHeadAttention(8, heads).double().eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(batch, steps, 8, dtype=torch.float64, requires_grad=True)
    padding = torch.rand(batch, steps) < 0.3
    padding[:, 0] = False
    attn_mask = ~torch.ones(steps, steps, dtype=torch.bool).tril() if causal else None
    out, w = ours(x, x, x, key_padding_mask=padding, attn_mask=attn_mask, average_attn_weights=average)
    ref, ref_w = theirs(x, x, x, key_padding_mask=padding, attn_mask=attn_mask, average_attn_weights=average)
    assert torch.allclose(out, ref, atol=1e-10) and torch.allclose(w, ref_w, atol=1e-10)
    grads = [torch.autograd.grad(o.sum(), [x, *m.parameters()]) for o, m in ((out, ours), (ref, theirs))]
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(*grads))
    fast, none = ours(x, x, x, key_padding_mask=padding, is_causal=causal, attn_mask=attn_mask, need_weights=False)
    assert none is None and torch.allclose(fast, ref, atol=1e-10), "the fused path (no weights) computes the same"


def test_without_weights_a_query_with_no_key_still_gets_zeros():
    ours = MultiHeadAttention(4, 2).eval()
    x = torch.randn(1, 3, 4, requires_grad=True)
    everything = torch.ones(1, 3, dtype=torch.bool)                  # every key is padding
    out, _ = ours(x, x, x, key_padding_mask=everything, need_weights=False)
    assert torch.allclose(out, ours.out_proj.bias.expand(1, 3, 4)), "zero attention output, then the output bias"
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_self_attention_without_positions_is_permutation_equivariant():
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2).double()
    x = torch.randn(1, 7, 8, dtype=torch.float64)
    permutation = torch.randperm(7)
    out, _ = attention(x, x, x)
    permuted, _ = attention(x[:, permutation], x[:, permutation], x[:, permutation])
    assert torch.allclose(permuted, out[:, permutation], atol=1e-12)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide embed_dim \(8\)"):
        MultiHeadAttention(8, 3)
    attention = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    with pytest.raises(ValueError, match="key_padding_mask must be a boolean tensor"):
        attention(x, x, x, key_padding_mask=torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(batch, keys\)"):
        attention(x, x, x, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(Tq, Tk\) = \(5, 5\) or \(batch \* num_heads, "
                                         r"Tq, Tk\) = \(4, 5, 5\), got \(3, 4\)"):
        attention(x, x, x, attn_mask=torch.zeros(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="position table only max_len=4"):
        LearnedPositionalEmbedding(4, 8)(x)
    with pytest.raises(ValueError, match="even"):
        rotary(torch.randn(2, 3, 5))


def test_sinusoidal_encoding_is_the_papers():
    pe = sinusoidal_encoding(50, 16)
    assert pe.shape == (50, 16)
    assert torch.isclose(pe[7, 4], torch.sin(torch.tensor(7 / 10_000 ** (4 / 16))))
    assert torch.isclose(pe[7, 5], torch.cos(torch.tensor(7 / 10_000 ** (4 / 16))))


def test_rotary_scores_depend_on_relative_position_only():
    torch.manual_seed(0)
    q, k = torch.randn(16, dtype=torch.float64), torch.randn(16, dtype=torch.float64)
    def score(m, n):
        qm = rotary(q[None], torch.tensor([m]))[0]
        kn = rotary(k[None], torch.tensor([n]))[0]
        return (qm @ kn).item()
    assert score(5, 2) == pytest.approx(score(13, 10)) == pytest.approx(score(103, 100))
    assert score(5, 2) != pytest.approx(score(5, 3))
    assert torch.allclose(rotary(q[None]).norm(), q.norm())            # a rotation keeps lengths


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_equals_pytorchs_layer(norm_first):
    torch.manual_seed(1)
    theirs = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, norm_first=norm_first).double().eval()
    ours = TransformerEncoderBlock(8, 2, dim_feedforward=16, norm_first=norm_first).double().eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(3, 6, 8, dtype=torch.float64)
    padding = torch.zeros(3, 6, dtype=torch.bool)
    padding[1, 4:] = True
    expected = theirs(x, src_key_padding_mask=padding)
    got = ours(x, src_key_padding_mask=padding)
    real = ~padding                                                   # PyTorch's fast path may zero padded rows
    assert torch.allclose(got[real], expected[real], atol=1e-10)


@pytest.mark.parametrize("shape", [(1, 5, 3), (2, 3, 9, 4)])
def test_causal_linear_attention_parallel_form_equals_its_recurrent_form(shape):
    torch.manual_seed(2)
    q, k, v = (torch.randn(*shape, dtype=torch.float64) for _ in range(3))
    assert torch.allclose(linear_attention(q, k, v, causal=True), linear_attention_recurrent(q, k, v), atol=1e-6)
    full = linear_attention(q, k, v)
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    weights = fq @ fk.transpose(-2, -1)
    assert torch.allclose(full, (weights / weights.sum(-1, keepdim=True)) @ v, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 5, 5), (2, 5, 5), (1, 1, 5), (2, 2, 5, 5), (5,)])
def test_an_attn_mask_of_another_shape_is_refused_by_name(shape):
    attention, x = MultiHeadAttention(8, 2), torch.randn(2, 5, 8)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(Tq, Tk\)"):
        attention(x, x, x, attn_mask=torch.zeros(shape, dtype=torch.bool))


@pytest.mark.parametrize("need_weights", [True, False])
def test_a_mask_per_batch_row_and_head_equals_pytorchs(need_weights):
    torch.manual_seed(0)
    ours, theirs = MultiHeadAttention(8, 2).double(), nn.MultiheadAttention(8, 2, batch_first=True).double()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(3, 5, 8, dtype=torch.float64)
    blocked = torch.rand(3 * 2, 5, 5) < 0.3
    blocked[..., 0] = False                                   # every query keeps one key (PyTorch gives NaN else)
    out, weights = ours(x, x, x, attn_mask=blocked, need_weights=need_weights, average_attn_weights=False)
    ref, ref_weights = theirs(x, x, x, attn_mask=blocked, need_weights=need_weights, average_attn_weights=False)
    assert torch.allclose(out, ref, atol=1e-12)
    assert (weights is None) == (not need_weights) and (weights is None or torch.allclose(weights, ref_weights))
