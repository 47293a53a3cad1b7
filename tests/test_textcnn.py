"""TextCNN: shapes on a tiny config, the same size in PyTorch and Keras, it learns IMDB."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nlpcourse.models.textcnn import TextCNN, TextCNNConfig, top_ngrams  # noqa: E402
from nlpcourse.utils import count_params  # noqa: E402

TINY = TextCNNConfig(vocab_size=50, embed_dim=8, num_filters=4, filter_sizes=(2, 3, 5), dropout=0.1)


def test_shapes_on_a_tiny_config():
    model = TextCNN(TINY)
    idx = torch.randint(0, 50, (3, 12))
    assert model(idx)[0].shape == (3, 2)
    assert [tuple(m.shape) for m in model.feature_maps(idx)] == [(3, 4, 11), (3, 4, 10), (3, 4, 8)]
    assert model(torch.randint(0, 50, (2, 3)))[0].shape == (2, 2), "reviews shorter than a filter are padded"
    assert count_params(model) == 50 * 8 + sum(4 * (8 * k + 1) for k in (2, 3, 5)) + 12 * 2 + 2


def test_bad_config_and_inputs_are_explained():
    with pytest.raises(ValueError, match="dropout"):
        TextCNNConfig(vocab_size=10, dropout=1.0)
    with pytest.raises(ValueError, match="filter_sizes"):
        TextCNNConfig(vocab_size=10, filter_sizes=())
    with pytest.raises(ValueError, match="batch, time"):
        TextCNN(TINY)(torch.randint(0, 50, (12,)))
    with pytest.raises(ValueError, match="one row per"):
        TextCNN(TINY).load_embeddings(np.zeros((49, 8)))


def test_load_embeddings_and_top_ngrams():
    model = TextCNN(TINY)
    vectors = np.random.default_rng(0).normal(size=(50, 8))
    model.load_embeddings(vectors, freeze=True)
    assert np.allclose(model.embedding.weight.detach().numpy(), vectors, atol=1e-6)
    assert not model.embedding.weight.requires_grad
    X = np.random.default_rng(1).integers(0, 50, size=(20, 12))
    itos = [f"w{i}" for i in range(50)]
    found = top_ngrams(model, X, itos, width_index=1, filters=[0, 2], k=3)
    assert list(found) == ["width 3, filter 0", "width 3, filter 2"]
    for pairs in found.values():
        assert len(pairs) == 3 and all(len(gram.split()) == 3 for gram, _ in pairs)
        assert [s for _, s in pairs] == sorted((s for _, s in pairs), reverse=True)


def test_keras_model_has_the_same_parameter_count():
    pytest.importorskip("keras")
    from nlpcourse.keras.textcnn import get_textcnn
    repeated = TextCNNConfig(vocab_size=60, embed_dim=8, num_filters=3, filter_sizes=(3, 3, 4))
    for cfg in [TINY, TextCNNConfig(vocab_size=1000, embed_dim=32, num_filters=10), repeated]:
        keras_model = get_textcnn(cfg)
        assert count_params(keras_model) == count_params(TextCNN(cfg))
        assert keras_model(np.zeros((2, 9), dtype="int32")).shape == (2, 2)


def test_keras_model_starts_from_given_embeddings():
    pytest.importorskip("keras")
    from nlpcourse.keras.textcnn import get_textcnn
    vectors = np.random.default_rng(0).normal(size=(50, 8)).astype("float32")
    keras_model = get_textcnn(TINY, embeddings=vectors)
    assert np.allclose(keras_model.get_layer("embedding").get_weights()[0], vectors)
    with pytest.raises(ValueError, match="one row per"):
        get_textcnn(TINY, embeddings=vectors[:10])


@pytest.mark.slow
def test_learns_on_an_imdb_subset(imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.config import get_config
    from nlpcourse.data import load_imdb
    from nlpcourse.data.loaders import encode_imdb, make_loader
    from nlpcourse.train import evaluate, fit
    cfg = get_config("quick", seed=0)
    train, test = load_imdb("train", n=1000, seed=0), load_imdb("test", n=400, seed=1)
    data = encode_imdb(train.texts, test.texts, max_len=150, max_size=4000)
    torch.manual_seed(0)
    model = TextCNN(TextCNNConfig(len(data.vocab), embed_dim=32, num_filters=32))
    fit(model, make_loader(data.X_train, train.labels, 32, shuffle=True), None, cfg, epochs=6, lr=1e-2, progress=False)
    accuracy = evaluate(model, make_loader(data.X_test, test.labels, 200))["accuracy"]
    assert accuracy >= 0.65, f"TextCNN reached only {accuracy:.3f} on held-out reviews"
