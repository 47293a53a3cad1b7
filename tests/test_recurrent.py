"""Scratch RNN/LSTM/GRU against PyTorch's and Keras', the recurrent classifiers, bucketed batches (chapter 5)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

from nlpcourse.data.loaders import BucketedLoader, review_lengths  # noqa: E402
from nlpcourse.layers.recurrent import (GRU, LSTM, RNN, Recurrent, gru_cell, keras_gru_weights,  # noqa: E402
                                        keras_lstm_weights, lstm_cell, rnn_cell)
from nlpcourse.models.configs import RNNConfig  # noqa: E402
from nlpcourse.models.rnn import RNNClassifier  # noqa: E402
from nlpcourse.utils import count_params  # noqa: E402

from helpers import word_order_task  # noqa: E402

TORCH_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}


def _pair(mode, input_size, hidden, layers, bidirectional, batch_first=True):
    torch.manual_seed(0)
    theirs = TORCH_CLASSES[mode](input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                                 batch_first=batch_first).double()
    ours = Recurrent(mode, input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                     batch_first=batch_first).double().copy_weights_from(theirs)
    return ours, theirs


def _grads(module, x, output, state):
    h = state[0] if isinstance(state, tuple) else state
    loss = (output ** 2).sum() + (h.sin()).sum() + (state[1].cos().sum() if isinstance(state, tuple) else 0)
    names = [n for n, _ in module.named_parameters()]
    grads = torch.autograd.grad(loss, [x, *module.parameters()])
    return dict(zip(["x", *names], grads))


@settings(max_examples=30, deadline=None)
@given(mode=st.sampled_from(list(TORCH_CLASSES)), batch=st.integers(1, 4), steps=st.integers(1, 6),
       input_size=st.integers(1, 5), hidden=st.integers(1, 5), layers=st.integers(1, 2),
       bidirectional=st.booleans(), batch_first=st.booleans(), data=st.data())
def test_scratch_layers_equal_pytorch_on_packed_sequences_gradients_included(mode, batch, steps, input_size, hidden,
                                                                              layers, bidirectional, batch_first, data):
    ours, theirs = _pair(mode, input_size, hidden, layers, bidirectional, batch_first)
    lengths = torch.tensor(data.draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch)))
    x = torch.randn(batch, steps, input_size, dtype=torch.float64, requires_grad=True)
    x_in = x if batch_first else x.transpose(0, 1)
    out, state = ours(x_in, lengths=lengths)
    packed, ref_state = theirs(pack_padded_sequence(x_in, lengths, batch_first=batch_first, enforce_sorted=False))
    ref_out, _ = pad_packed_sequence(packed, batch_first=batch_first, total_length=steps)
    assert torch.allclose(out, ref_out, atol=1e-6)
    for a, b in zip(state if isinstance(state, tuple) else (state,),
                    ref_state if isinstance(ref_state, tuple) else (ref_state,)):
        assert torch.allclose(a, b, atol=1e-6)
    ours_grads, ref_grads = _grads(ours, x, out, state), _grads(theirs, x, ref_out, ref_state)
    for name, grad in ours_grads.items():
        assert torch.allclose(grad, ref_grads[name], atol=1e-6), name


@pytest.mark.parametrize("mode", list(TORCH_CLASSES))
def test_without_lengths_and_with_a_given_state(mode):
    ours, theirs = _pair(mode, 3, 4, 2, True)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    h0 = torch.randn(4, 2, 4, dtype=torch.float64)
    state = (h0, torch.randn_like(h0)) if mode == "lstm" else h0
    (out, s1), (ref, s2) = ours(x, state), theirs(x, state)
    assert torch.allclose(out, ref, atol=1e-10)
    assert torch.allclose(s1[0] if mode == "lstm" else s1, s2[0] if mode == "lstm" else s2, atol=1e-10)


def test_cells_equal_pytorch_cells():
    torch.manual_seed(1)
    x, h, c = (torch.randn(3, n, dtype=torch.float64) for n in (4, 5, 5))
    for cell, ours in [(nn.RNNCell(4, 5), lambda w: rnn_cell(x, h, *w)), (nn.GRUCell(4, 5), lambda w: gru_cell(x, h, *w)),
                       (nn.LSTMCell(4, 5), lambda w: lstm_cell(x, (h, c), *w))]:
        cell = cell.double()
        weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        expected = cell(x, (h, c)) if isinstance(cell, nn.LSTMCell) else cell(x, h)
        got = ours(weights)
        for a, b in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
            assert torch.allclose(a, b, atol=1e-12)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="hidden_size must be a whole number >= 1"):
        LSTM(4, 0)
    with pytest.raises(ValueError, match="hidden_size"):
        GRU(4, -3)
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(4, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="mode"):
        Recurrent("transformer", 4, 3)
    layer = LSTM(4, 3)
    x = torch.randn(2, 5, 4)
    with pytest.raises(ValueError, match="lengths: sequence 1 has length 0"):
        layer(x, lengths=torch.tensor([3, 0]))
    with pytest.raises(ValueError, match="lengths: sequence 0 has length 6, longer than the padded batch"):
        layer(x, lengths=torch.tensor([6, 2]))
    with pytest.raises(ValueError, match="one length per sequence"):
        layer(x, lengths=torch.tensor([3]))
    with pytest.raises(ValueError, match=r"weights\['weight_ih_l0'\] has shape \(12, 4\), expected \(16, 4\)"):
        LSTM(4, 4).copy_weights_from(nn.LSTM(4, 3))
    with pytest.raises(ValueError, match="no 'weight_ih_l0_reverse'"):
        LSTM(4, 3, bidirectional=True).copy_weights_from(nn.LSTM(4, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 4\)"):
        layer(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match="state h_0"):
        layer(x, (torch.zeros(1, 3, 3), torch.zeros(1, 3, 3)))


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_keras_layers_give_the_same_outputs_with_the_same_weights(mode):
    keras = pytest.importorskip("keras")
    torch.manual_seed(2)
    theirs = TORCH_CLASSES[mode](4, 6, batch_first=True)
    x = torch.randn(3, 7, 4)
    expected, _ = theirs(x)
    convert = keras_lstm_weights if mode == "lstm" else keras_gru_weights
    layer = (keras.layers.LSTM(6, return_sequences=True) if mode == "lstm"
             else keras.layers.GRU(6, return_sequences=True, reset_after=True))
    layer.build((None, 7, 4))
    layer.set_weights(convert(theirs.weight_ih_l0, theirs.weight_hh_l0, theirs.bias_ih_l0, theirs.bias_hh_l0))
    got = np.asarray(layer(x.numpy()))
    assert np.allclose(got, expected.detach().numpy(), atol=1e-5)


def test_keras_bidirectional_lstm_with_a_mask_matches_packed_sequences():
    keras = pytest.importorskip("keras")
    torch.manual_seed(3)
    theirs = nn.LSTM(4, 5, batch_first=True, bidirectional=True)
    x = torch.randn(3, 6, 4)
    lengths = torch.tensor([6, 2, 4])
    _, (h_n, _) = theirs(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    expected = torch.cat([h_n[0], h_n[1]], dim=1).detach().numpy()
    layer = keras.layers.Bidirectional(keras.layers.LSTM(5))
    layer.build((None, 6, 4))
    forward = keras_lstm_weights(theirs.weight_ih_l0, theirs.weight_hh_l0, theirs.bias_ih_l0, theirs.bias_hh_l0)
    backward = keras_lstm_weights(theirs.weight_ih_l0_reverse, theirs.weight_hh_l0_reverse,
                                  theirs.bias_ih_l0_reverse, theirs.bias_hh_l0_reverse)
    layer.set_weights(forward + backward)
    mask = np.arange(6)[None, :] < lengths.numpy()[:, None]
    got = np.asarray(layer(x.numpy(), mask=mask))
    assert np.allclose(got, expected, atol=1e-5)


VARIANTS = {"lstm": {}, "gru": {"cell": "gru"}, "stacked": {"num_layers": 2}, "bilstm": {"bidirectional": True},
            "cnn_lstm": {"conv_filters": 6}}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_prediction_does_not_depend_on_how_far_the_review_is_padded(variant):
    torch.manual_seed(4)
    config = RNNConfig(vocab_size=40, embed_dim=8, hidden_size=6, **VARIANTS[variant])
    model = RNNClassifier(config).eval()
    rng = np.random.default_rng(0)
    reviews = [rng.integers(1, 40, size=n) for n in (3, 17, 60, 99)]
    padded = {width: np.zeros((len(reviews), width), dtype=np.int64) for width in (100, 500)}
    for width, X in padded.items():
        for row, review in enumerate(reviews):
            X[row, :len(review)] = review
    with torch.no_grad():
        short, long = (model(torch.as_tensor(X))[0] for X in padded.values())
    assert torch.allclose(short, long, atol=1e-5)
    keras = pytest.importorskip("keras")  # noqa: F841
    from nlpcourse.keras.rnn import get_rnn
    keras_model = get_rnn(config)
    assert count_params(keras_model) == count_params(model)
    k_short, k_long = (keras_model.predict(X, verbose=0) for X in padded.values())
    assert np.allclose(k_short, k_long, atol=1e-5)


def test_lstm_keeps_one_trainable_bias_per_gate_like_keras():
    model = RNNClassifier(RNNConfig(vocab_size=30, embed_dim=4, hidden_size=3))
    assert not model.rnn.bias_hh_l0.requires_grad and torch.all(model.rnn.bias_hh_l0 == 0)
    assert torch.all(model.rnn.bias_ih_l0[3:6] == 1), "forget gate starts open"
    with pytest.raises(ValueError, match="one row per vocabulary entry"):
        model.load_embeddings(np.zeros((29, 4)))
    with pytest.raises(ValueError, match="cell"):
        RNNConfig(vocab_size=30, cell="rnn")
    with pytest.raises(ValueError, match="hidden_size"):
        RNNConfig(vocab_size=30, hidden_size=0)


def test_an_lstm_learns_what_a_bag_of_words_cannot():
    """Label: does token 1 ('good') come before token 2 ('bad')? Both always occur, so word counts carry nothing."""
    from nlpcourse.train import evaluate, fit
    from nlpcourse.data.loaders import make_loader
    (X, y), (X_val, y_val) = word_order_task(length=8, vocab_size=20)
    torch.manual_seed(0)
    model = RNNClassifier(RNNConfig(vocab_size=20, embed_dim=8, hidden_size=16, dropout=0.0))
    fit(model, make_loader(X, y, 32, shuffle=True), None, epochs=8, lr=1e-2, progress=False, device="cpu")
    assert evaluate(model, make_loader(X_val, y_val, 200), device="cpu")["accuracy"] > 0.95


def test_bucketed_loader_covers_every_review_once_with_less_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 50, size=203)
    X = np.zeros((203, 60), dtype=np.int64)
    for row, n in enumerate(lengths):
        X[row, :n] = rng.integers(1, 9, size=n)
    y = np.arange(203) % 2
    assert np.array_equal(review_lengths(X), lengths)
    loader = BucketedLoader(X, y, batch_size=16, shuffle=True, seed=0, bucket_size=4)
    epochs = [list(loader) for _ in range(2)]
    for batches in epochs:
        assert len(batches) == len(loader) == 13
        seen = sorted(int(v) for xb, _ in batches for v in (xb != 0).sum(1))
        assert seen == sorted(lengths.tolist())
        assert all(xb.shape[1] == int((xb != 0).sum(1).max()) for xb, _ in batches), "cut to the longest review"
    assert [b[1].tolist() for b in epochs[0]] != [b[1].tolist() for b in epochs[1]], "each epoch its own order"
    again = BucketedLoader(X, y, batch_size=16, shuffle=True, seed=0, bucket_size=4)
    assert [b[1].tolist() for b in again] == [b[1].tolist() for b in epochs[0]], "seeded"
    padding = sum(xb.numel() for xb, _ in epochs[0]) - lengths.sum()
    assert padding < 0.25 * (X.size - lengths.sum()), "a quarter of the padding of full-width rows, at most"
    with pytest.raises(ValueError, match="batch_size"):
        BucketedLoader(X, y, batch_size=0)
    with pytest.raises(ValueError, match="2-D array of token indices"):
        BucketedLoader(X.astype(float), y)


def test_the_recurrent_benchmark_times_scratch_against_the_library(capsys):
    from nlpcourse.benchmarks.recurrent import scratch_vs_library
    from nlpcourse.config import get_config
    report = scratch_vs_library(get_config("quick"), repeats=1)
    assert set(report["seconds"]) == {"nn.LSTM", "scratch"} and report["ratio"] > 0
    assert "ratio" in capsys.readouterr().out


@pytest.mark.parametrize("mode, state, got", [
    ("lstm", torch.zeros(1, 3, 4), r"a tensor of shape \(1, 3, 4\)"),
    ("lstm", torch.zeros(2, 3, 4), r"a tensor of shape \(2, 3, 4\)"),       # unpacks into two, silently, without a check
    ("lstm", (torch.zeros(1, 3, 4),), "a tuple of 1"),
    ("lstm", [torch.zeros(1, 3, 4)] * 2, "list"),
    ("gru", (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)), "a tuple of 2"),
    ("rnn_tanh", "zeros", "str"),
])
def test_a_state_of_the_wrong_kind_is_named_with_the_shape_expected(mode, state, got):
    layer = Recurrent(mode, 5, 4)
    kind = "a tuple \\(h_0, c_0\\) of two tensors" if mode == "lstm" else "one tensor h_0"
    layer_name = {"lstm": "an LSTM", "gru": "a GRU", "rnn_tanh": "an RNN"}[mode]
    with pytest.raises(ValueError, match=rf"state of {layer_name} must be {kind}, each of shape \(1, 3, 4\) "
                                         rf"\(layers \* directions, batch, hidden_size\), got {got}"):
        layer(torch.randn(3, 6, 5), state)


def test_a_state_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"state c_0 must have shape \(2, 3, 4\)"):
        Recurrent("lstm", 5, 4, bidirectional=True)(torch.randn(3, 6, 5), (torch.zeros(2, 3, 4), torch.zeros(2, 3, 3)))


def copy_cnn_lstm_to_keras(model: RNNClassifier, keras_model) -> None:
    """The PyTorch CNN-LSTM's weights into the Keras one (Conv1D kernels are (k, in, out))."""
    rnn = model.rnn
    keras_model.get_layer("embedding").set_weights([model.embedding.weight.detach().numpy()])
    keras_model.get_layer("conv").set_weights([model.conv.weight.detach().permute(2, 1, 0).numpy(),
                                               model.conv.bias.detach().numpy()])
    keras_model.get_layer("lstm0").set_weights(keras_lstm_weights(rnn.weight_ih_l0, rnn.weight_hh_l0,
                                                                  rnn.bias_ih_l0, rnn.bias_hh_l0))
    keras_model.get_layer("logits").set_weights([model.classifier.weight.detach().T.numpy(),
                                                 model.classifier.bias.detach().numpy()])


def test_the_keras_cnn_lstm_equals_pytorchs_at_every_padded_width():
    keras = pytest.importorskip("keras")  # noqa: F841
    from nlpcourse.keras.rnn import get_rnn
    torch.manual_seed(5)
    config = RNNConfig(vocab_size=40, embed_dim=8, hidden_size=6, conv_filters=6, conv_width=5, pool_size=4)
    model = RNNClassifier(config).eval()
    keras_model = get_rnn(config)
    copy_cnn_lstm_to_keras(model, keras_model)
    rng = np.random.default_rng(1)
    reviews = [rng.integers(1, 40, size=n) for n in (2, 9, 14, 31, 44)]
    for width in range(44, 52):                         # every remainder of (width - 5 + 1) by the pool size
        X = np.zeros((len(reviews), width), dtype=np.int64)
        for row, review in enumerate(reviews):
            X[row, :len(review)] = review
        with torch.no_grad():
            expected = model(torch.as_tensor(X))[0].numpy()
        got = keras_model.predict(X, verbose=0)
        assert np.allclose(got, expected, atol=1e-5), f"padded to {width}"
