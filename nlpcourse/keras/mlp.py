"""The chapter-3 MLP on bag-of-words features in Keras 3: the same layers as ``nlpcourse.models.mlp``."""
from __future__ import annotations

import nlpcourse.keras  # noqa: F401  the course's Keras settings, before Keras is imported
import keras  # noqa: E402
from keras import layers  # noqa: E402

from nlpcourse.models.configs import MLPConfig  # noqa: E402


def get_mlp(config: MLPConfig) -> keras.Model:
    """Dense + ReLU -> dropout -> Dense logits, on ``(B, num_features)`` vectors (chapter 3)."""
    features = keras.Input(shape=(config.num_features,), name="features")
    hidden = layers.Dense(config.hidden_size, activation="relu", name="hidden")(features)
    logits = layers.Dense(config.num_classes, name="logits")(layers.Dropout(config.dropout, name="dropout")(hidden))
    return keras.Model(features, logits, name="mlp")
