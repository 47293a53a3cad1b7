"""The capsule network of ``nlpcourse.models.capsnet`` in Keras 3: squash, routing and lengths as layers (chapter 6)."""
from __future__ import annotations

import numpy as np

import nlpcourse.keras  # noqa: F401  the course's Keras settings, before Keras is imported
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

from nlpcourse.keras.rnn import recurrent_encoder  # noqa: E402
from nlpcourse.models.configs import CapsNetConfig  # noqa: E402


def squash(s, axis: int = -1, constant: float = 1.0):
    """``‖s‖² / (constant + ‖s‖²) · s / ‖s‖``, zeros for a zero vector (as :func:`nlpcourse.layers.capsule.squash`)."""
    squared = ops.sum(ops.square(s), axis=axis, keepdims=True)
    norm = ops.sqrt(ops.maximum(squared, 1e-30))
    return s * (squared / (constant + squared) / norm)


class Squash(layers.Layer):
    """Primary capsules: each step's vector squashed; keeps the mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x):
        return squash(x)


class CapsuleRouting(layers.Layer):
    """Lower capsules ``(B, I, K)`` -> ``num_capsules`` capsules ``(B, J, D)`` by dynamic routing, with ``W_j``
    shared by all lower capsules; masked steps (padding) predict nothing."""

    def __init__(self, num_capsules: int, capsule_dim: int, iterations: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.num_capsules, self.capsule_dim, self.iterations = num_capsules, capsule_dim, iterations

    def build(self, input_shape):
        # stored as (K, J * D), so that Glorot's fans are PyTorch's: in K, out J * D
        self.kernel = self.add_weight(shape=(input_shape[-1], self.num_capsules * self.capsule_dim),
                                      initializer="glorot_uniform", name="kernel")

    def call(self, u, mask=None):
        kernel = ops.reshape(self.kernel, (-1, self.num_capsules, self.capsule_dim))                # (K, J, D)
        u_hat = ops.einsum("bik,kjd->bijd", u, kernel)                                             # (B, I, J, D)
        if mask is not None:
            u_hat = u_hat * ops.cast(mask, u_hat.dtype)[:, :, None, None]
        b = ops.zeros_like(u_hat[..., 0])                                                          # (B, I, J)
        for r in range(self.iterations):
            c = ops.softmax(b, axis=2)
            v = squash(ops.einsum("bij,bijd->bjd", c, u_hat))                                      # (B, J, D)
            if r < self.iterations - 1:
                b = b + ops.einsum("bijd,bjd->bij", u_hat, v)
        return v

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return super().get_config() | {"num_capsules": self.num_capsules, "capsule_dim": self.capsule_dim,
                                       "iterations": self.iterations}


class Length(layers.Layer):
    """Each capsule's length: ``(B, J, D)`` -> ``(B, J)``, with a finite gradient at zero."""

    def call(self, v):
        return ops.sqrt(ops.maximum(ops.sum(ops.square(v), axis=-1), 1e-30))


def margin_loss(y_true, lengths, m_plus: float = 0.9, m_minus: float = 0.1, weight: float = 0.5):
    """The margin loss of Sabour et al. (2017) for integer labels, per example (Keras averages the batch)."""
    present = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), ops.shape(lengths)[-1])
    loss = present * ops.square(ops.relu(m_plus - lengths)) + weight * (1 - present) * ops.square(ops.relu(lengths - m_minus))
    return ops.sum(loss, axis=-1)


def get_capsnet(config: CapsNetConfig, max_len: int | None = None, embeddings: np.ndarray | None = None) -> keras.Model:
    """A Keras capsule classifier returning the class capsules' lengths; train it with :func:`margin_loss` (chapter 6)."""
    token_ids = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")                      # (B, T)
    x = recurrent_encoder(config, token_ids, embeddings, return_sequences=True)                      # (B, T, 2H)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    primary = Squash(name="primary_capsules")(x)                                                     # one per word
    v = CapsuleRouting(config.num_classes, config.capsule_dim, config.routing_iterations,
                       name="class_capsules")(primary)                                               # (B, C, D)
    return keras.Model(token_ids, Length(name="lengths")(v), name="capsnet")
