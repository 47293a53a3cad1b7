"""The model zoo: one preset per model and profile, PyTorch and Keras alike, clear errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nlpcourse.config import get_config
from nlpcourse.models import zoo
from nlpcourse.models.configs import TrainRecipe

QUICK, FULL = get_config("quick", seed=0), get_config("full", seed=0)


def test_configs_and_the_zoo_import_neither_torch_nor_tensorflow():
    code = ("import sys, nlpcourse.models.configs, nlpcourse.models.zoo; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_each_model_has_a_recipe_and_presets_per_profile(name):
    for cfg in (QUICK, FULL):
        assert isinstance(zoo.recipe(name, cfg), TrainRecipe)
        assert zoo.preset(name, cfg, vocab_size=300).__class__ is zoo.ZOO[name].config
    assert set(zoo.recipe(name, QUICK).fit_kwargs()) >= {"epochs", "lr", "patience", "weight_decay", "schedule"}


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
    assert tuple(torch_model.eval()(torch.as_tensor(x)).shape) == (3, 2)
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
