"""TextCNN (Kim 2014) in Keras 3, functional API: the same layers as ``nlpcourse.models.textcnn`` (chapter 4)."""
from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only
# oneDNN reorders floating-point sums (results vary slightly with the machine) and says so
# on stderr at import; the course prefers the same numbers everywhere
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import keras  # noqa: E402
from keras import layers  # noqa: E402


def get_textcnn(vocab_size: int, embed_dim: int = 128, num_filters: int = 100,
                filter_sizes: Sequence[int] = (3, 4, 5), dropout_rate: float = 0.5,
                num_classes: int = 2, max_len: int | None = None) -> keras.Model:
    """A Keras TextCNN returning logits, with as many parameters as the PyTorch one (chapter 4).

    Train it with ``SparseCategoricalCrossentropy(from_logits=True)``.
    """
    if vocab_size < 2 or not filter_sizes or not 0 <= dropout_rate < 1:
        raise ValueError("vocab_size must be >= 2, filter_sizes non-empty, dropout_rate in [0, 1)")
    token_ids = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")        # (B, T)
    x = layers.Embedding(vocab_size, embed_dim, name="embedding")(token_ids)           # (B, T, E)
    pooled = []
    for k in filter_sizes:
        fmap = layers.Conv1D(num_filters, k, activation="relu", name=f"conv{k}")(x)    # (B, T - k + 1, F)
        pooled.append(layers.GlobalMaxPooling1D(name=f"max_over_time{k}")(fmap))       # (B, F)
    features = layers.Concatenate(name="features")(pooled) if len(pooled) > 1 else pooled[0]
    features = layers.Dropout(dropout_rate, name="dropout")(features)                  # (B, F * widths)
    logits = layers.Dense(num_classes, name="logits")(features)                        # (B, num_classes)
    return keras.Model(token_ids, logits, name="textcnn")


def compile_textcnn(model: keras.Model, learning_rate: float = 1e-3, clipnorm: float | None = 1.0) -> keras.Model:
    """Adam, cross-entropy on logits and accuracy, the set-up used with ``model.fit`` (chapter 4)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model
