"""TextCNN (Kim 2014) in Keras 3, functional API: the same layers as ``nlpcourse.models.textcnn`` (chapter 4)."""
from __future__ import annotations

import numpy as np

import nlpcourse.keras  # noqa: F401  the course's Keras settings, before Keras is imported
import keras  # noqa: E402
from keras import layers  # noqa: E402

from nlpcourse.models.configs import TextCNNConfig  # noqa: E402


def get_textcnn(config: TextCNNConfig, max_len: int | None = None, embeddings: np.ndarray | None = None) -> keras.Model:
    """A Keras TextCNN returning logits, with as many parameters as the PyTorch one (chapter 4).

    ``embeddings``: a ``(vocab_size, embed_dim)`` matrix to start the embedding from (e.g. GloVe).
    Train it with ``SparseCategoricalCrossentropy(from_logits=True)``.
    """
    initializer = "uniform" if embeddings is None else keras.initializers.Constant(
        checked_embeddings(embeddings, config.vocab_size, config.embed_dim))
    token_ids = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")               # (B, T)
    x = layers.Embedding(config.vocab_size, config.embed_dim, embeddings_initializer=initializer,
                         name="embedding")(token_ids)                                          # (B, T, E)
    pooled = []
    for i, k in enumerate(config.filter_sizes):
        fmap = layers.Conv1D(config.num_filters, k, activation="relu", name=f"conv{i}_width{k}")(x)  # (B, T-k+1, F)
        pooled.append(layers.GlobalMaxPooling1D(name=f"max_over_time{i}")(fmap))              # (B, F)
    features = layers.Concatenate(name="features")(pooled) if len(pooled) > 1 else pooled[0]
    features = layers.Dropout(config.dropout, name="dropout")(features)                       # (B, F * widths)
    logits = layers.Dense(config.num_classes, name="logits")(features)                        # (B, num_classes)
    return keras.Model(token_ids, logits, name="textcnn")


def checked_embeddings(embeddings: np.ndarray, vocab_size: int, embed_dim: int) -> np.ndarray:
    """``embeddings`` as float32, or a ValueError unless it has one ``embed_dim`` row per vocabulary entry."""
    embeddings = np.asarray(embeddings, dtype="float32")
    if embeddings.shape != (vocab_size, embed_dim):
        raise ValueError(f"embeddings have shape {embeddings.shape}, the embedding "
                         f"{(vocab_size, embed_dim)}: one row per vocabulary entry")
    return embeddings
