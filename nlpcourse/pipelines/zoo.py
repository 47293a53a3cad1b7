"""The IMDB model zoo: every IMDB model of the course by name, PyTorch or Keras (chapters 3 onwards).

``train(name, cfg)`` trains one the way its chapter does, in one call: its recipe, the
profile's reviews, the model at its preset sizes, loaders, :func:`~nlpcourse.train.fit` (or
Keras' ``model.fit``) and the test set. Its parts are here too: ``recipe(name, cfg)`` says how
a model is trained, ``build_model(name, vocab_size, cfg)`` builds it. A chapter, the benchmark
(``python -m nlpcourse.bench imdb``) and the tests all go through here, so a published figure
comes from the chapter's settings. Importing this module imports neither torch nor
tensorflow: the builders do, when called.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np

from nlpcourse.config import RunConfig, TrainRecipe
from nlpcourse.models.configs import (AttentionRNNConfig, CapsNetConfig, MLPConfig, RNNConfig, TextCNNConfig,
                                      TransformerConfig)

FRAMEWORKS = ("torch", "keras")


@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo: its config class, builders, inputs, and what its chapter trains."""

    name: str
    chapter: int
    description: str
    config: type                       # a dataclass with ``preset(cfg, vocab_size)`` and ``recipe(cfg)``
    torch_builder: str                 # "module:Class": called with the config
    keras_builder: str                 # "module:function": called with the config (and embeddings)
    inputs: str = "tokens"             # "tokens" (padded indices) or "tfidf" (vectors)
    pretrained: str | None = None      # "glove50": the embedding starts from GloVe 6B 50d
    frameworks: tuple[str, ...] = ("torch",)   # the frameworks its chapter trains it with
    variant: tuple[tuple[str, Any], ...] = ()  # config fields that make this model, e.g. (("cell", "gru"),)
    keras_loss: str = "cross_entropy"          # or "margin": the Keras model outputs capsule lengths (chapter 6)

    def preset(self, cfg: RunConfig, vocab_size: int) -> Any:
        glove = {"embed_dim": 50} if self.pretrained == "glove50" else {}
        return self.config.preset(cfg, vocab_size, **glove, **dict(self.variant))


ZOO: dict[str, ZooEntry] = {entry.name: entry for entry in [
    ZooEntry("mlp_tfidf", 3, "MLP (32 ReLU units) on TF-IDF vectors of 2,000 words", MLPConfig,
             "nlpcourse.models.mlp:FeedForwardClassifier", "nlpcourse.keras.mlp:get_mlp", inputs="tfidf"),
    ZooEntry("textcnn", 4, "TextCNN (Kim 2014), widths 3/4/5, random embeddings", TextCNNConfig,
             "nlpcourse.models.textcnn:TextCNN", "nlpcourse.keras.textcnn:get_textcnn",
             frameworks=("torch", "keras")),
    ZooEntry("textcnn_glove", 4, "TextCNN starting from GloVe 6B 50d", TextCNNConfig,
             "nlpcourse.models.textcnn:TextCNN", "nlpcourse.keras.textcnn:get_textcnn", pretrained="glove50"),
    *[ZooEntry(name, 5, description, RNNConfig, "nlpcourse.models.rnn:RNNClassifier", "nlpcourse.keras.rnn:get_rnn",
               pretrained=pretrained, frameworks=frameworks, variant=tuple(variant.items()))
      for name, description, variant, pretrained, frameworks in [
          ("lstm", "LSTM, final state", {}, None, ("torch", "keras")),
          ("gru", "GRU, final state", {"cell": "gru"}, None, ("torch", "keras")),
          ("stacked_lstm", "2-layer LSTM", {"num_layers": 2}, None, ("torch", "keras")),
          ("bilstm", "bidirectional LSTM", {"bidirectional": True}, None, ("torch", "keras")),
          ("bigru", "bidirectional GRU", {"cell": "gru", "bidirectional": True}, None, ("torch",)),
          ("cnn_lstm", "Conv1d (width 5) + max-pool 4, then an LSTM", {"conv_filters": 64}, None, ("torch", "keras")),
          ("bilstm_glove", "bidirectional LSTM starting from GloVe 6B 50d", {"bidirectional": True}, "glove50",
           ("torch",)),
      ]],
    ZooEntry("capsnet", 6, "BiGRU, one primary capsule per word, dynamic routing to 2 class capsules", CapsNetConfig,
             "nlpcourse.models.capsnet:CapsNetClassifier", "nlpcourse.keras.capsnet:get_capsnet",
             frameworks=("torch", "keras"), keras_loss="margin"),
    ZooEntry("attention_lstm", 7, "BiLSTM, additive self-attention pooling over the words", AttentionRNNConfig,
             "nlpcourse.models.attention_rnn:AttentionRNNClassifier", "nlpcourse.keras.attention:get_attention_rnn",
             frameworks=("torch", "keras")),
    ZooEntry("transformer", 7, "Transformer encoder (pre-norm blocks, learned positions), mean of the words",
             TransformerConfig, "nlpcourse.models.transformer:TransformerClassifier",
             "nlpcourse.keras.attention:get_transformer", frameworks=("torch", "keras")),
    ZooEntry("linear_transformer", 7, "the Transformer encoder with linear attention (elu + 1 features)",
             TransformerConfig, "nlpcourse.models.transformer:TransformerClassifier",
             "nlpcourse.keras.attention:get_transformer", frameworks=("torch", "keras"),
             variant=(("attention", "linear"),)),
]}


def get_entry(name: str) -> ZooEntry:
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}: the zoo has {', '.join(ZOO)}")
    return ZOO[name]


def recipe(name: str, cfg: RunConfig) -> TrainRecipe:
    """How the chapter trains ``name`` in ``cfg``'s profile: batch size, epochs, learning rate, data sizes."""
    return get_entry(name).config.recipe(cfg)


def preset(name: str, cfg: RunConfig, vocab_size: int) -> Any:
    """The config dataclass of ``name`` with its profile's sizes."""
    return get_entry(name).preset(cfg, vocab_size)


def _load(target: str) -> Any:
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


def build_model(name: str, vocab_size: int, cfg: RunConfig, framework: str = "torch",
                embeddings: np.ndarray | None = None) -> Any:
    """The model ``name`` with its profile's preset sizes, in PyTorch (an ``nn.Module``) or Keras (a
    ``keras.Model``; :func:`nlpcourse.keras.fit_classifier` compiles and trains it), seeded with ``cfg.seed``.

    ``embeddings``: the ``(vocab_size, dim)`` matrix of a model whose embedding starts from
    pretrained vectors (see :func:`nlpcourse.embeddings.pretrained.embedding_matrix`).
    """
    entry = get_entry(name)
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    if entry.pretrained and embeddings is None:
        raise ValueError(f"{name} needs embeddings= (a matrix of {entry.pretrained} rows for the vocabulary)")
    if not entry.pretrained and embeddings is not None:
        raise ValueError(f"{name} takes no embeddings=: its embedding starts random")
    config = entry.preset(cfg, vocab_size)
    if framework == "torch":
        import torch
        torch.manual_seed(cfg.seed)
        model = _load(entry.torch_builder)(config)
        if embeddings is not None:
            model.load_embeddings(embeddings)
        return model
    from nlpcourse.keras import seed_keras
    seed_keras(cfg.seed)
    build = _load(entry.keras_builder)
    return build(config) if entry.inputs == "tfidf" else build(config, embeddings=embeddings)


@dataclasses.dataclass
class TrainedModel:
    """What :func:`train` returns: the trained model, its :class:`~nlpcourse.train.History` (Keras' too),
    its scores on the test reviews, the data it was trained on, and the recipe."""

    name: str
    framework: str
    model: Any
    history: Any
    scores: dict[str, float]
    data: Any
    recipe: TrainRecipe

    def __repr__(self) -> str:
        return (f"TrainedModel({self.name!r}, {self.framework}, epochs={self.history.epochs}, "
                f"test accuracy={self.scores['accuracy']:.4f})")


def pretrained_embeddings(name: str, data: Any, cfg: RunConfig) -> np.ndarray | None:
    """The GloVe rows for ``data``'s vocabulary when ``name`` starts from GloVe, else None."""
    if get_entry(name).pretrained is None:
        return None
    from nlpcourse.data.glove import load_glove
    from nlpcourse.embeddings.pretrained import embedding_matrix
    return embedding_matrix(data.vocab.itos, load_glove(50), seed=cfg.seed)[0]


def train(name: str, cfg: RunConfig, framework: str = "torch", data: Any = None, progress: bool | None = False,
          **overrides: Any) -> TrainedModel:
    """Train the zoo model ``name`` as its chapter does and score it on the test reviews (chapters 3-7).

    ``data``: the :class:`~nlpcourse.data.loaders.IMDBData` to train on (default: the profile's reviews
    prepared with the model's recipe); pass one to share it between models with the same recipe.
    ``overrides`` change the recipe (``epochs=1``); ``progress``: :func:`~nlpcourse.train.fit`'s.
    """
    from nlpcourse.data.loaders import prepare_imdb
    entry = get_entry(name)
    chosen = recipe(name, cfg).replace(**overrides)
    if data is None:
        data = prepare_imdb(cfg, chosen, entry.inputs)
    elif entry.inputs == "tokens" and data.X_train.shape[1] != chosen.max_len:
        raise ValueError(f"data has reviews of {data.X_train.shape[1]} tokens but {name}'s recipe reads "
                         f"max_len={chosen.max_len}: prepare it with prepare_imdb(cfg, zoo.recipe({name!r}, cfg)), "
                         "or pass no data")
    model = build_model(name, data.vocab_size, cfg, framework, embeddings=pretrained_embeddings(name, data, cfg))
    if framework == "torch":
        from nlpcourse.train import evaluate, fit
        train_loader, val_loader, test_loader = data.loaders(chosen.batch_size, seed=cfg.seed, bucket=chosen.bucket)
        history = fit(model, train_loader, val_loader, cfg, chosen, progress=progress)
        scores = evaluate(model, test_loader)
    else:
        from nlpcourse.keras import fit_classifier, keras_history, keras_scores
        history = keras_history(fit_classifier(model, data, chosen, verbose=0, loss=entry.keras_loss))
        scores = keras_scores(model, data.X_test, data.y_test)
    return TrainedModel(name, framework, model, history, scores, data, chosen)
