"""The Transformer decoder block against PyTorch's ``nn.TransformerDecoderLayer`` (chapter 8)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from nlpcourse.layers.transformer import TransformerDecoderBlock, TransformerEncoderBlock  # noqa: E402

D_MODEL, NHEAD, FF = 8, 2, 16


def inputs(batch: int = 3, t_tgt: int = 5, t_src: int = 6, seed: int = 0):
    """Target and memory ``(B, T, d_model)`` with padding at the end of some rows: ``(B, T_tgt)`` and
    ``(B, T_src)`` masks True at padding. Every row keeps real tokens, so no query attends to nothing."""
    generator = torch.Generator().manual_seed(seed)
    tgt = torch.randn(batch, t_tgt, D_MODEL, dtype=torch.float64, generator=generator)
    memory = torch.randn(batch, t_src, D_MODEL, dtype=torch.float64, generator=generator)
    tgt_padding = torch.arange(t_tgt)[None] >= torch.tensor([[t_tgt], [2], [4]])[:batch]
    memory_padding = torch.arange(t_src)[None] >= torch.tensor([[3], [t_src], [1]])[:batch]
    return tgt, memory, tgt_padding, memory_padding


def twins(norm_first: bool, activation: str = "relu", seed: int = 1):
    """PyTorch's layer and ours, with the same parameters, in float64 and eval mode."""
    torch.manual_seed(seed)
    theirs = nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, activation=activation, batch_first=True,
                                        norm_first=norm_first).double().eval()
    ours = TransformerDecoderBlock(D_MODEL, NHEAD, FF, activation=activation, norm_first=norm_first).double().eval()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_block_equals_pytorchs_layer_forward_and_backward(norm_first, activation):
    ours, theirs = twins(norm_first, activation)
    tgt, memory, tgt_padding, memory_padding = inputs()
    future = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool).triu(1)       # True where NOT allowed
    projection = torch.randn(D_MODEL, dtype=torch.float64)
    results = []
    for block, extra in ((ours, {}), (theirs, {"tgt_mask": future})):
        x, m = tgt.clone().requires_grad_(), memory.clone().requires_grad_()
        out = block(x, m, tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=memory_padding,
                    tgt_is_causal=True, **extra)                                      # (B, T_tgt, d_model)
        (out @ projection).sum().backward()
        results.append((out.detach(), x.grad, m.grad, {n: p.grad for n, p in block.named_parameters()}))
    (out, tgt_grad, memory_grad, grads), (expected, tgt_expected, memory_expected, grads_expected) = results
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(tgt_grad, tgt_expected, atol=1e-5)
    assert torch.allclose(memory_grad, memory_expected, atol=1e-5)
    assert memory_grad[memory_padding].abs().max() == 0, "padded memory positions get no gradient"
    assert grads.keys() == grads_expected.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, grads_expected[name], atol=1e-5), name


def test_decoder_block_with_a_float_causal_mask_in_pytorch_too():
    ours, theirs = twins(norm_first=False)
    tgt, memory, _, _ = inputs()
    mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1], dtype=torch.float64)   # -inf above
    with torch.no_grad():
        expected = theirs(tgt, memory, tgt_mask=mask, tgt_is_causal=True)
        assert torch.allclose(ours(tgt, memory), expected, atol=1e-5)
        assert not torch.allclose(ours(tgt, memory, tgt_is_causal=False), expected, atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_changing_a_future_target_token_leaves_earlier_outputs_unchanged(norm_first):
    ours, _ = twins(norm_first)
    tgt, memory, _, memory_padding = inputs()
    changed = tgt.clone()
    changed[:, 3] = torch.randn(D_MODEL, dtype=torch.float64)
    with torch.no_grad():
        before = ours(tgt, memory, memory_key_padding_mask=memory_padding)
        after = ours(changed, memory, memory_key_padding_mask=memory_padding)
    assert torch.allclose(before[:, :3], after[:, :3], atol=1e-12)
    assert not torch.allclose(before[:, 3:], after[:, 3:], atol=1e-3)


def test_the_state_dict_loads_both_ways():
    torch.manual_seed(0)
    ours = TransformerDecoderBlock(D_MODEL, NHEAD, FF, norm_first=True)
    theirs = nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, batch_first=True, norm_first=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    fresh = TransformerDecoderBlock(D_MODEL, NHEAD, FF, norm_first=True)
    fresh.load_state_dict(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), theirs.state_dict().values()))


@pytest.mark.parametrize("norm_first", [False, True])
def test_cross_attention_weights_are_the_ones_forward_uses(norm_first):
    ours, theirs = twins(norm_first)
    ours.dropout1.p = ours.self_attn.dropout = 0.5                  # would show if the weights were not in eval mode
    ours.train()
    tgt, memory, tgt_padding, memory_padding = inputs()
    weights = ours.cross_attention_weights(tgt, memory, tgt_padding, memory_padding)
    assert ours.training, "the block goes back to training mode"
    assert weights.shape == (3, NHEAD, 5, 6)
    real = (~memory_padding)[:, None, None, :]                     # (B, 1, 1, T_src)
    assert torch.allclose(weights.sum(-1), torch.ones(3, NHEAD, 5, dtype=torch.float64))
    assert weights.masked_select(~real).abs().max() == 0, "no weight on padded memory"
    future = torch.ones(5, 5, dtype=torch.bool).triu(1)
    with torch.no_grad():                                           # PyTorch's first sub-layer, then its weights
        x = theirs.norm1(tgt) if norm_first else tgt
        x = tgt + theirs.self_attn(x, x, x, attn_mask=future, key_padding_mask=tgt_padding)[0]
        query = theirs.norm2(x) if norm_first else theirs.norm1(x)
        _, expected = theirs.multihead_attn(query, memory, memory, key_padding_mask=memory_padding,
                                            average_attn_weights=False)
    assert torch.allclose(weights, expected, atol=1e-10)


def test_bad_arguments_are_explained():
    for block in (TransformerDecoderBlock, TransformerEncoderBlock):
        with pytest.raises(ValueError, match=r"nhead \(3\) must divide d_model \(8\)"):
            block(8, 3)
        with pytest.raises(ValueError, match="activation must be one of relu, gelu, gelu_tanh, got 'tanh'"):
            block(8, 2, activation="tanh")
    block = TransformerDecoderBlock(8, 2, 16)
    with pytest.raises(ValueError, match=r"memory must have shape \(batch, source time, d_model\)"):
        block(torch.randn(2, 4, 8), torch.randn(2, 4, 6))
