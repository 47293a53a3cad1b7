"""ELMo of chapter 9: the biLM's directions and padding, its loss, ScalarMix, and the frozen-feature classifier."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nlpcourse.models.elmo import BiLM, ELMoClassifier, ELMoConfig, ScalarMix, bilm_targets, reverse_padded
from nlpcourse.tokens import IGNORE_INDEX
from nlpcourse.train import evaluate, fit

from helpers import overfit

V, H = 23, 16


def tiny(seed: int = 0, **overrides) -> BiLM:
    torch.manual_seed(seed)
    settings = dict(vocab_size=V, embed_dim=12, hidden_size=H, num_layers=2, dropout=0.0) | overrides
    return BiLM(ELMoConfig(**settings)).eval()


def padded_batch(lengths=(7, 4, 1, 6), width: int = 7, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(1, V, (len(lengths), width), generator=g)
    idx[torch.arange(width)[None, :] >= torch.tensor(lengths)[:, None]] = 0
    return idx


@pytest.mark.parametrize("sizes", [dict(embed_dim=12), dict(embed_dim=H), dict(embed_dim=12, tie_embeddings=False),
                                   dict(num_layers=3, residual=False)])
def test_shapes(sizes):
    model, idx = tiny(**sizes), padded_batch()
    L = model.config.num_layers
    logits, loss = model(idx, bilm_targets(idx))
    assert logits.shape == (4, 2, 7, V) and loss.dim() == 0
    assert model(idx)[1] is None
    layers = model.layer_outputs(idx)
    assert layers.shape == (L + 1, 4, 7, 2 * H)
    torch.testing.assert_close(layers[0, ..., :H], layers[0, ..., H:])          # layer 0 is [x; x]
    torch.testing.assert_close(layers[0], model.token_layer(idx))
    assert (layers[:, 1, 4:] == 0).all() and (layers[:, 2, 1:] == 0).all()     # nothing at padding


def test_tied_softmax_shares_the_embedding_matrix():
    model = tiny(embed_dim=H)
    assert model.output.weight is model.embedding.weight
    assert not tiny(tie_embeddings=False).output.weight is tiny(tie_embeddings=False).embedding.weight


def test_bilm_targets_are_next_and_previous_tokens():
    idx = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [4, 0, 0, 0]])
    N = IGNORE_INDEX
    expected = torch.tensor([[[6, 7, N, N], [N, 5, 6, N]],
                             [[9, N, N, N], [N, 8, N, N]],
                             [[N, N, N, N], [N, N, N, N]]])
    assert torch.equal(bilm_targets(idx), expected)


def test_reverse_padded_reverses_each_row_within_its_length():
    idx = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    lengths = torch.tensor([3, 2])
    assert reverse_padded(idx, lengths).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]
    x = torch.randn(2, 4, 3)
    torch.testing.assert_close(reverse_padded(reverse_padded(x, lengths), lengths), x)


def test_forward_reads_only_the_past_and_backward_only_the_future():
    model, idx = tiny(), padded_batch(lengths=(7,), seed=1)
    base = model.layer_outputs(idx)[1:, 0]                                       # (L, T, 2H)
    base_logits = model(idx)[0][0]                                               # (2, T, V)
    for s in range(7):
        changed = idx.clone()
        changed[0, s] = 1 + changed[0, s] % (V - 1)
        out, logits = model.layer_outputs(changed)[1:, 0], model(changed)[0][0]
        forward_moved = (out[..., :H] - base[..., :H]).abs().amax(dim=(0, 2)) > 1e-6    # (T,)
        backward_moved = (out[..., H:] - base[..., H:]).abs().amax(dim=(0, 2)) > 1e-6
        assert forward_moved.tolist() == [t >= s for t in range(7)]
        assert backward_moved.tolist() == [t <= s for t in range(7)]
        torch.testing.assert_close(logits[0, :s], base_logits[0, :s])            # no peeking at the target
        torch.testing.assert_close(logits[1, s + 1:], base_logits[1, s + 1:])


def test_a_rows_outputs_do_not_depend_on_padding_or_its_neighbours():
    model, idx = tiny(seed=2), padded_batch()
    wider = torch.cat([idx, torch.zeros(4, 5, dtype=torch.long)], dim=1)          # padded further
    layers, wide_layers = model.layer_outputs(idx), model.layer_outputs(wider)
    torch.testing.assert_close(wide_layers[:, :, :7], layers, atol=1e-6, rtol=1e-5)
    assert (wide_layers[:, :, 7:] == 0).all()
    alone = model.layer_outputs(idx[1:2, :4])                                     # row 1 without padding
    torch.testing.assert_close(alone[:, 0], layers[:, 1, :4], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(model(wider, bilm_targets(wider))[1], model(idx, bilm_targets(idx))[1])


def test_loss_is_the_mean_of_both_directions_over_real_tokens_only():
    model, idx = tiny(seed=3), padded_batch()
    logits, loss = model(idx, bilm_targets(idx))
    forward, backward = [], []
    for b, n in enumerate((idx != 0).sum(dim=1).tolist()):
        for t in range(n - 1):
            forward.append(F.cross_entropy(logits[b, 0, t], idx[b, t + 1]))
            backward.append(F.cross_entropy(logits[b, 1, t + 1], idx[b, t]))
    expected = (torch.stack(forward).mean() + torch.stack(backward).mean()) / 2
    torch.testing.assert_close(loss, expected)
    ppl = model.perplexities(idx, batch_size=3)
    assert ppl["forward"] == pytest.approx(math.exp(torch.stack(forward).mean().item()), rel=1e-5)
    assert ppl["backward"] == pytest.approx(math.exp(torch.stack(backward).mean().item()), rel=1e-5)


def test_overfits_a_tiny_batch():
    model, idx = tiny(seed=4).train(), padded_batch(lengths=(7, 7, 5, 6), seed=4)
    losses = overfit(model, (idx, bilm_targets(idx)), torch.optim.Adam(model.parameters(), lr=2e-2), steps=100)
    assert losses[0] > math.log(V) - 0.5 and losses[-1] < 0.1 * losses[0]


def test_fit_and_evaluate_take_idx_and_bilm_targets():
    model, idx = tiny(seed=5), padded_batch(seed=5)
    loader = [(idx, bilm_targets(idx))]
    history = fit(model, loader, loader, epochs=2, lr=1e-2, progress=False, device="cpu")
    assert history.val_loss[-1] < history.val_loss[0]
    scores = evaluate(model, loader)
    ppl = model.perplexities(idx)
    assert scores["perplexity"] == pytest.approx(math.sqrt(ppl["forward"] * ppl["backward"]), rel=1e-4)


@pytest.mark.parametrize("layer_norm", [False, True])
def test_scalar_mix_is_the_weighted_sum(layer_norm):
    torch.manual_seed(6)
    mix = ScalarMix(3, layer_norm=layer_norm)
    with torch.no_grad():
        mix.scalars.copy_(torch.tensor([0.3, -1.0, 2.0]))
        mix.gamma.fill_(1.7)
    layers = torch.randn(3, 2, 5, 4)
    s = torch.exp(mix.scalars.detach())
    w = s / s.sum()
    normed = [(h - h.mean(-1, keepdim=True)) / torch.sqrt(h.var(-1, unbiased=False, keepdim=True) + 1e-5)
              if layer_norm else h for h in layers]
    expected = 1.7 * (w[0] * normed[0] + w[1] * normed[1] + w[2] * normed[2])
    torch.testing.assert_close(mix(layers), expected)
    torch.testing.assert_close(mix.weights(), w)
    assert mix.weights().sum().item() == pytest.approx(1.0)


def toy_reviews(n: int = 256, seed: int = 0, order: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of tokens 7.. of different lengths holding a 5 (label 1) or a 6 (label 0) somewhere; with
    ``order``, rows of 8 holding both, label 1 when the 5 comes first: word vectors alone cannot tell."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    idx = torch.randint(7, V, (n, 10), generator=g)
    rows = torch.arange(n)
    if order:
        first, second = torch.rand(n, 8, generator=g).argsort(dim=1)[:, :2].sort(dim=1).values.T
        idx[rows, first], idx[rows, second] = torch.where(y == 1, 5, 6), torch.where(y == 1, 6, 5)
        return idx[:, :8], y
    lengths = torch.randint(3, 11, (n,), generator=g)
    idx[rows, (torch.rand(n, generator=g) * lengths).long()] = torch.where(y == 1, 5, 6)
    idx[torch.arange(10)[None, :] >= lengths[:, None]] = 0
    return idx, y


def pretrained_like(seed: int) -> BiLM:
    """A fresh biLM whose token vectors have the unit scale of trained ones (a fresh one's are ±0.05)."""
    bilm = tiny(seed=seed, dropout=0.3, embed_dim=16, hidden_size=32)
    with torch.no_grad():
        bilm.embedding.weight.normal_()
    return bilm


def train_classifier(bilm: BiLM, layers: str, order: bool, epochs: int) -> tuple[ELMoClassifier, float]:
    """Test accuracy of an :class:`ELMoClassifier` trained with ``fit`` on :func:`toy_reviews`."""
    X, y = toy_reviews(512, order=order)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = ELMoClassifier(bilm, num_classes=2, layers=layers, dropout=0.1)
    fit(model, loader, epochs=epochs, lr=3e-2, progress=False, device="cpu")
    return model, evaluate(model, [toy_reviews(256, seed=1, order=order)])["accuracy"]


def test_classifier_trains_with_fit_and_leaves_the_bilm_frozen():
    bilm = pretrained_like(seed=7)
    before = {k: v.clone() for k, v in bilm.state_dict().items()}
    model, accuracy = train_classifier(bilm, "all", order=False, epochs=8)
    assert accuracy >= 0.97
    assert not bilm.training                                                  # its dropout stays off
    assert all(p.grad is None and not p.requires_grad for p in bilm.parameters())
    assert all(torch.equal(v, bilm.state_dict()[k]) for k, v in before.items())
    assert model.mix.weights().shape == (3,) and model.mix.scalars.abs().sum() > 0    # the mix was trained


def test_contextual_layers_see_word_order_that_static_vectors_cannot():
    bilm = pretrained_like(seed=8)
    _, contextual = train_classifier(bilm, "all", order=True, epochs=12)
    _, static = train_classifier(bilm, "static", order=True, epochs=12)
    assert contextual >= 0.75 and static <= 0.6, (contextual, static)


def test_static_classifier_reads_layer_zero_only():
    bilm = tiny(seed=8)
    model = ELMoClassifier(bilm, layers="static").eval()
    idx = padded_batch()
    before = model(idx)
    with torch.no_grad():
        for p in bilm.forward_layers.parameters():
            p.add_(1.0)
    torch.testing.assert_close(model(idx), before)
    assert len(model.mix.weights()) == 1
    assert len(ELMoClassifier(bilm, layers="top").mix.weights()) == 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(vocab_size=1), "vocab_size"), (dict(vocab_size=10, hidden_size=0), "hidden_size"),
    (dict(vocab_size=10, num_layers=0), "num_layers"), (dict(vocab_size=10, dropout=1.0), "dropout"),
    (dict(vocab_size=10, pad_index=10), "pad_index"), (dict(vocab_size=10, embed_dim=2.5), "embed_dim")])
def test_bad_configs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ELMoConfig(**kwargs)


def test_bad_inputs_are_refused():
    model = tiny()
    with pytest.raises(ValueError, match="batch, time"):
        model(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="vocab_size"):
        model(torch.tensor([[1, V]]))
    with pytest.raises(ValueError, match="pad at the end"):
        model(torch.tensor([[1, 0, 2]]))
    idx = padded_batch()
    with pytest.raises(ValueError, match="bilm_targets"):
        model(idx, idx)
    with pytest.raises(ValueError, match="layers"):
        ELMoClassifier(model, layers="middle")
    with pytest.raises(ValueError, match="2 layers"):
        ScalarMix(2)(torch.randn(3, 1, 2, 4))
