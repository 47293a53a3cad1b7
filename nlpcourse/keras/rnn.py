"""Recurrent IMDB classifiers in Keras 3: the same layers as ``nlpcourse.models.rnn`` (chapter 5).

A mask plays the part of PyTorch's packed sequences: the embedding marks padding
(``mask_zero=True``), and a masked step leaves the recurrent state unchanged, so the final
state is the one at the review's last real token. After the CNN front end the mask is
recomputed from each review's length, as ``RNNConfig.output_lengths`` says.
"""
from __future__ import annotations

import numpy as np

import nlpcourse.keras  # noqa: F401  the course's Keras settings, before Keras is imported
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

from nlpcourse.keras.textcnn import checked_embeddings  # noqa: E402
from nlpcourse.models.configs import RNNConfig  # noqa: E402


class PooledMask(layers.Layer):
    """The mask of the steps after a convolution (width ``k``, no padding) and max pooling by ``pool``."""

    def __init__(self, pad_index: int, conv_width: int, pool_size: int, **kwargs):
        super().__init__(**kwargs)
        self.pad_index, self.conv_width, self.pool_size = pad_index, conv_width, pool_size

    def call(self, token_ids, features):
        lengths = ops.sum(ops.cast(ops.not_equal(token_ids, self.pad_index), "int32"), axis=1)      # (B,)
        lengths = ops.maximum((lengths - self.conv_width + 1) // self.pool_size, 1)
        steps = ops.arange(ops.shape(features)[1], dtype="int32")
        return ops.expand_dims(steps, 0) < ops.expand_dims(lengths, 1)                             # (B, T')

    def get_config(self):
        return super().get_config() | {"pad_index": self.pad_index, "conv_width": self.conv_width,
                                       "pool_size": self.pool_size}


def get_rnn(config: RNNConfig, max_len: int | None = None, embeddings: np.ndarray | None = None) -> keras.Model:
    """A Keras LSTM/GRU classifier returning logits, with as many parameters as the PyTorch one (chapter 5)."""
    token_ids = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")                      # (B, T)
    x = recurrent_encoder(config, token_ids, embeddings)                                             # (B, D*H)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    logits = layers.Dense(config.num_classes, name="logits")(x)                                     # (B, num_classes)
    return keras.Model(token_ids, logits, name=f"{'bi' if config.bidirectional else ''}{config.cell}")


def recurrent_encoder(config: RNNConfig, token_ids, embeddings: np.ndarray | None = None,
                      return_sequences: bool = False):
    """Chapter 5's embedding, optional CNN front end and recurrent layers on ``token_ids``: the last layer's
    final state ``(B, D*H)``, or with ``return_sequences`` its output at every step ``(B, T, D*H)``, masked."""
    if config.pad_index != 0:
        raise ValueError(f"the Keras model masks index 0 as padding; config.pad_index is {config.pad_index}")
    initializer = ("uniform" if embeddings is None
                   else keras.initializers.Constant(checked_embeddings(embeddings, config.vocab_size, config.embed_dim)))
    x = layers.Embedding(config.vocab_size, config.embed_dim, embeddings_initializer=initializer,
                         mask_zero=not config.conv_filters, name="embedding")(token_ids)            # (B, T, E)
    x = layers.Dropout(config.dropout, name="embedding_dropout")(x)
    mask = None
    if config.conv_filters:
        x = layers.Conv1D(config.conv_filters, config.conv_width, activation="relu", name="conv")(x)   # (B, T-k+1, F)
        # windows start at the first step, as PyTorch's ceil_mode pooling: padding="same" would centre them,
        # shifting every window by a step whenever the padded width leaves a remainder. Zeros after a ReLU
        # never win a max, so the last, partial window pools its real steps only.
        x = layers.ZeroPadding1D((0, config.pool_size - 1), name="pool_padding")(x)
        x = layers.MaxPooling1D(config.pool_size, padding="valid", name="max_pool")(x)               # (B, T', F)
        mask = PooledMask(config.pad_index, config.conv_width, config.pool_size, name="pooled_mask")(token_ids, x)
    cell = layers.LSTM if config.cell == "lstm" else layers.GRU
    for layer in range(config.num_layers):
        last = layer == config.num_layers - 1
        rnn = cell(config.hidden_size, return_sequences=return_sequences or not last, name=f"{config.cell}{layer}")
        if config.bidirectional:
            rnn = layers.Bidirectional(rnn, name=f"bi{config.cell}{layer}")
        x = rnn(x, mask=mask) if mask is not None else rnn(x)                                        # (B, D*H) last
        if not last:
            x = layers.Dropout(config.dropout, name=f"dropout{layer}")(x)
    return x
