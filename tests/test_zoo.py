"""The model zoo: one preset per model and profile, PyTorch and Keras alike, clear errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nlpcourse.config import TrainRecipe, get_config
from nlpcourse.pipelines import zoo

QUICK, FULL = get_config("quick", seed=0), get_config("full", seed=0)


def test_configs_and_the_zoo_import_neither_torch_nor_tensorflow():
    code = ("import sys, nlpcourse.models.configs, nlpcourse.pipelines.zoo; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_each_model_has_a_recipe_and_presets_per_profile(name):
    for cfg in (QUICK, FULL):
        assert isinstance(zoo.recipe(name, cfg), TrainRecipe)
        assert zoo.preset(name, cfg, vocab_size=300).__class__ is zoo.ZOO[name].config


def test_textcnn_presets_are_the_chapter_sizes():
    assert zoo.preset("textcnn", QUICK, 500).num_filters == 64 and zoo.preset("textcnn", FULL, 500).num_filters == 100
    assert zoo.preset("textcnn_glove", FULL, 500).embed_dim == 50
    assert zoo.recipe("textcnn", FULL).max_len == 500 and zoo.recipe("textcnn", QUICK).max_len == 200


def _embeddings(name, vocab_size, cfg):
    if zoo.ZOO[name].pretrained is None:
        return None
    dim = zoo.preset(name, cfg, vocab_size).embed_dim
    return np.random.default_rng(0).normal(size=(vocab_size, dim)).astype(np.float32)


@pytest.mark.parametrize("name", list(zoo.ZOO))
@pytest.mark.parametrize("cfg", [QUICK, FULL], ids=["quick", "full"])
def test_torch_and_keras_models_have_the_same_size_and_outputs_shape(name, cfg):
    torch = pytest.importorskip("torch")
    pytest.importorskip("keras")
    from nlpcourse.utils import count_params
    vocab_size = 300
    embeddings = _embeddings(name, vocab_size, cfg)
    torch_model = zoo.build_model(name, vocab_size, cfg, "torch", embeddings=embeddings)
    keras_model = zoo.build_model(name, vocab_size, cfg, "keras", embeddings=embeddings)
    assert count_params(torch_model) == count_params(keras_model)
    if zoo.ZOO[name].inputs == "tfidf":
        x = np.random.default_rng(0).random((3, vocab_size)).astype(np.float32)
    else:
        x = np.random.default_rng(0).integers(0, vocab_size, size=(3, 20))
    logits, loss = torch_model.eval()(torch.as_tensor(x))
    assert tuple(logits.shape) == (3, 2) and loss is None            # the contract: (logits, loss)
    assert torch_model(torch.as_tensor(x), targets=torch.tensor([0, 1, 1]))[1].dim() == 0
    assert tuple(keras_model.predict(x, verbose=0).shape) == (3, 2)


def test_build_model_is_seeded_and_loads_embeddings():
    torch = pytest.importorskip("torch")
    a, b = (zoo.build_model("textcnn", 100, QUICK) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    vectors = _embeddings("textcnn_glove", 100, QUICK)
    model = zoo.build_model("textcnn_glove", 100, QUICK, embeddings=vectors)
    assert np.allclose(model.embedding.weight.detach().numpy(), vectors)


def test_bad_requests_are_explained():
    with pytest.raises(ValueError, match="unknown model 'gpt9'.*textcnn"):
        zoo.build_model("gpt9", 100, QUICK)
    with pytest.raises(ValueError, match="framework"):
        zoo.build_model("textcnn", 100, QUICK, framework="jax")
    with pytest.raises(ValueError, match="needs embeddings"):
        zoo.build_model("textcnn_glove", 100, QUICK)
    with pytest.raises(ValueError, match="takes no embeddings"):
        zoo.build_model("textcnn", 100, QUICK, embeddings=np.zeros((100, 64)))
    with pytest.raises(ValueError, match="batch_size"):
        TrainRecipe(batch_size=0, epochs=1, lr=1e-3)


def _toy_imdb(n=240, steps=12, vocab_size=40, seed=0):
    """IMDBData whose label is whether token 5 occurs: a task any zoo model learns in a few epochs."""
    from nlpcourse.data.loaders import IMDBData
    from nlpcourse.text import Vocab
    rng = np.random.default_rng(seed)
    X = rng.integers(6, vocab_size, size=(n, steps))
    y = rng.integers(0, 2, size=n)
    X[y == 1, rng.integers(0, steps, size=int(y.sum()))] = 5
    vocab = Vocab([[f"w{i}" for i in range(vocab_size - 2)]])                # <pad>, <unk> and 38 words
    third = n // 3
    return IMDBData(X[third:], y[third:], X[:third // 2], y[:third // 2], X[third // 2:third], y[third // 2:third],
                    vocab)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_train_is_the_chapters_one_call_and_learns(framework):
    """recipe -> data -> model -> loaders -> fit -> test scores, with the recipe's overrides; Keras alike."""
    pytest.importorskip("torch")
    if framework == "keras":
        pytest.importorskip("keras")
    data = _toy_imdb()
    trained = zoo.train("textcnn", QUICK, framework, data=data, epochs=8, patience=None, lr=1e-2, max_len=12)
    assert trained.recipe == zoo.recipe("textcnn", QUICK).replace(epochs=8, patience=None, lr=1e-2, max_len=12)
    assert trained.history.epochs == 8 and trained.data is data and trained.framework == framework
    assert trained.scores["accuracy"] >= 0.9, trained            # chance is 0.5
    assert len(trained.history.val["loss"]) == 8 and trained.history.val_accuracy[-1] >= 0.9
    with pytest.raises(TypeError, match="no field 'epoch'"):
        zoo.train("textcnn", QUICK, framework, data=data, epoch=1)
    with pytest.raises(ValueError, match="reviews of 12 tokens but textcnn.s recipe reads max_len=200"):
        zoo.train("textcnn", QUICK, framework, data=data)
