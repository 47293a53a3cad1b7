"""Chapter 7's models: linear attention with padding, the Transformer and attention-LSTM classifiers, Keras twins."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nlpcourse.layers.attention import (AdditiveAttentionPooling, LinearSelfAttention, MultiHeadAttention,  # noqa: E402
                                        linear_attention)
from nlpcourse.layers.transformer import TransformerEncoderBlock  # noqa: E402
from nlpcourse.models.attention_rnn import AttentionRNNClassifier, AttentionRNNConfig  # noqa: E402
from nlpcourse.models.transformer import TransformerClassifier, TransformerConfig  # noqa: E402
from nlpcourse.utils import count_params  # noqa: E402

from helpers import word_order_task  # noqa: E402


def padded_twice(vocab_size: int, lengths=(4, 30, 99), widths=(100, 500), seed=0) -> list[np.ndarray]:
    """The same reviews padded to each width (padding at the end, index 0)."""
    rng = np.random.default_rng(seed)
    batches = [np.zeros((len(lengths), width), dtype=np.int64) for width in widths]
    for row, n in enumerate(lengths):
        review = rng.integers(1, vocab_size, size=n)
        for batch in batches:
            batch[row, :n] = review
    return batches


def test_linear_attention_leaves_masked_keys_out():
    q, k, v = (torch.randn(2, 3, 9, 4, dtype=torch.float64) for _ in range(3))
    real = torch.arange(9) < 6
    masked = linear_attention(q, k, v, key_mask=real.expand(2, 3, 9))
    assert torch.allclose(masked, linear_attention(q, k[..., :6, :], v[..., :6, :]), atol=1e-12)


def test_linear_self_attention_has_multi_head_attentions_parameters_and_ignores_padding():
    torch.manual_seed(0)
    linear, softmax = LinearSelfAttention(8, 2), MultiHeadAttention(8, 2)
    assert [n for n, _ in linear.named_parameters()] == [n for n, _ in softmax.named_parameters()]
    x = torch.randn(2, 7, 8)
    padding = torch.arange(7)[None] >= torch.tensor([[7], [3]])
    out, weights = linear(x, x, x, key_padding_mask=padding)
    assert weights is None
    assert torch.allclose(out[1, :3], linear(x[1:, :3], key_padding_mask=None)[0][0], atol=1e-6)
    block = TransformerEncoderBlock(8, 2, 16, dropout=0.0, norm_first=True, attention="linear").eval()
    assert block(x, padding).shape == x.shape


@pytest.mark.parametrize("attention", ["softmax", "linear"])
def test_a_transformer_prediction_does_not_depend_on_how_far_the_review_is_padded(attention):
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=50, max_len=500, d_model=16, nhead=2, num_layers=2, dim_feedforward=32,
                               attention=attention)
    model = TransformerClassifier(config).eval()
    short, long = padded_twice(50)
    with torch.no_grad():
        assert torch.allclose(model(torch.as_tensor(short))[0], model(torch.as_tensor(long))[0], atol=1e-5)
    empty = torch.zeros(1, 10, dtype=torch.long)
    assert torch.isfinite(model(empty)[0]).all(), "an empty review still gives finite logits"
    pytest.importorskip("keras")
    from nlpcourse.keras.attention import get_transformer
    keras_model = get_transformer(config)
    assert count_params(keras_model) == count_params(model)
    k_short, k_long = (keras_model.predict(x, verbose=0) for x in (short, long))
    assert np.allclose(k_short, k_long, atol=1e-5), "Keras masks padding out of attention and the mean too"


def test_attention_maps_weigh_real_words_only():
    torch.manual_seed(0)
    model = TransformerClassifier(TransformerConfig(vocab_size=50, max_len=40, d_model=16, nhead=4, num_layers=2))
    idx = torch.as_tensor(padded_twice(50, lengths=(5, 12), widths=(12,))[0])
    maps = model.attention_maps(idx)
    assert len(maps) == 2 and maps[0].shape == (2, 4, 12, 12) and model.training
    assert torch.allclose(maps[1].sum(-1), torch.ones(2, 4, 12))
    assert maps[0][0, :, :, 5:].abs().max() == 0, "no weight on padding"
    linear = TransformerClassifier(TransformerConfig(vocab_size=50, max_len=40, d_model=16, nhead=4, attention="linear"))
    with pytest.raises(ValueError, match="attention='softmax'"):
        linear.attention_maps(idx)


def test_attention_lstm_weights_sum_to_one_over_the_real_words():
    torch.manual_seed(0)
    config = AttentionRNNConfig(vocab_size=50, embed_dim=8, hidden_size=6, attention_dim=5)
    model = AttentionRNNClassifier(config).eval()
    short, long = padded_twice(50)
    with torch.no_grad():
        assert torch.allclose(model(torch.as_tensor(short))[0], model(torch.as_tensor(long))[0], atol=1e-6)
        _, weights = model.pool(torch.as_tensor(short))
    assert torch.allclose(weights.sum(1), torch.ones(3)) and weights[0, 4:].abs().max() == 0
    one = model.attention_weights(short[1, :30])
    assert one.shape == (30,) and np.isclose(one.sum(), 1)
    pytest.importorskip("keras")
    from nlpcourse.keras.attention import get_attention_rnn
    keras_model = get_attention_rnn(config)
    assert count_params(keras_model) == count_params(model)
    k_short, k_long = (keras_model.predict(x, verbose=0) for x in (short, long))
    assert np.allclose(k_short, k_long, atol=1e-5)


def test_keras_attention_layers_compute_what_ours_do():
    pytest.importorskip("keras")
    from nlpcourse.keras.attention import AdditiveAttentionPooling as KerasPooling
    from nlpcourse.keras.attention import LinearSelfAttention as KerasLinear
    torch.manual_seed(0)
    h = torch.randn(2, 7, 6)
    mask = torch.arange(7)[None] < torch.tensor([[7], [4]])
    ours = AdditiveAttentionPooling(6, 5)
    theirs = KerasPooling(5)
    theirs.build((None, None, 6))
    theirs.set_weights([ours.project.weight.detach().T.numpy(), ours.project.bias.detach().numpy(),
                        ours.score.weight.detach().T.numpy()])
    assert np.allclose(np.asarray(theirs(h.numpy(), mask=mask.numpy())), ours(h, mask)[0].detach().numpy(), atol=1e-5)
    ours = LinearSelfAttention(6, 2)
    theirs = KerasLinear(2)
    theirs.build((None, None, 6))
    theirs.set_weights([p.detach().T.numpy() if p.dim() == 2 else p.detach().numpy() for p in ours.parameters()])
    expected = ours(h, key_padding_mask=~mask)[0].detach().numpy()
    assert np.allclose(np.asarray(theirs(h.numpy(), mask.numpy())), expected, atol=1e-5)


def test_a_transformer_learns_word_order_with_positions():
    """Label 1 when token 1 comes before token 2, 0 when after: a bag of words cannot tell, positions can."""
    from nlpcourse.data.loaders import make_loader
    from nlpcourse.train import evaluate, fit
    (X, y), (X_val, y_val) = word_order_task(length=12, vocab_size=30)
    torch.manual_seed(0)
    model = TransformerClassifier(TransformerConfig(vocab_size=30, max_len=12, d_model=32, nhead=4, num_layers=2,
                                                    dim_feedforward=64, dropout=0.0))
    fit(model, make_loader(X, y, 32, shuffle=True), None, epochs=8, lr=2e-3, progress=False, device="cpu")
    assert evaluate(model, make_loader(X_val, y_val, 400), device="cpu")["accuracy"] > 0.9


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"nhead \(3\) must divide d_model \(16\)"):
        TransformerConfig(vocab_size=10, d_model=16, nhead=3)
    with pytest.raises(ValueError, match="attention must be"):
        TransformerConfig(vocab_size=10, attention="sparse")
    with pytest.raises(ValueError, match="attention must be"):
        TransformerEncoderBlock(8, 2, attention="sparse")
    with pytest.raises(ValueError, match="conv_filters must be 0"):
        AttentionRNNConfig(vocab_size=10, conv_filters=8)
    model = TransformerClassifier(TransformerConfig(vocab_size=10, max_len=8, d_model=8, nhead=2))
    with pytest.raises(ValueError, match="max_len=8"):
        model(torch.ones(1, 9, dtype=torch.long))
    attention = LinearSelfAttention(8, 2)
    x = torch.randn(1, 4, 8)
    with pytest.raises(ValueError, match="key_padding_mask must be a boolean"):
        attention(x, key_padding_mask=torch.zeros(1, 4))
    with pytest.raises(ValueError, match="no attn_mask"):
        attention(x, attn_mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="self-attention"):
        attention(x, torch.randn(1, 4, 8))
    with pytest.raises(ValueError, match="mask has shape"):
        AdditiveAttentionPooling(8, 4)(x, torch.ones(1, 5, dtype=torch.bool))


def test_the_attention_benchmark_times_ours_against_pytorchs(capsys):
    from nlpcourse.bench import main
    assert main(["attention", "--repeats", "1", "--max-len", "128", "--d-model", "32"]) == 0
    out = capsys.readouterr().out
    assert "ratio ours / PyTorch: multi-head" in out and "linear (ours)" in out


def test_attention_heatmaps_have_one_view_per_head_and_the_average():
    pytest.importorskip("plotly")
    from nlpcourse.viz import plot_attention
    weights = np.random.default_rng(0).random((3, 4, 4))
    fig = plot_attention(["a", "film", "a", "joy"], weights)
    assert len(fig.data) == 4 and np.allclose(fig.data[0].z, weights.mean(0))
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["average", "head 1", "head 2", "head 3"]
    with pytest.raises(ValueError, match=r"weights must have shape \(heads, 3, 3\)"):
        plot_attention(["a", "b", "c"], weights)
