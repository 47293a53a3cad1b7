"""Chapter 7's IMDB models in Keras 3: the attention-LSTM and the Transformer encoder classifier (softmax or
linear attention), with the same layers and parameter counts as ``nlpcourse.models.attention_rnn`` and
``nlpcourse.models.transformer``.

Keras' own ``MultiHeadAttention`` does the softmax attention; linear attention and additive
attention pooling are small layers here. Padding is explicit: a boolean mask of the real words
is built once from the token ids and handed to every attention and to the mean.
"""
from __future__ import annotations

import numpy as np

import nlpcourse.keras  # noqa: F401  the course's Keras settings, before Keras is imported
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

from nlpcourse.keras.rnn import recurrent_encoder  # noqa: E402
from nlpcourse.models.configs import AttentionRNNConfig, TransformerConfig  # noqa: E402


class AdditiveAttentionPooling(layers.Layer):
    """``e_t = vᵀ tanh(W h_t + b)``, a softmax over the real steps, ``Σ_t a_t h_t`` (as the PyTorch layer)."""

    def __init__(self, attention_size: int, **kwargs):
        super().__init__(**kwargs)
        self.attention_size = attention_size
        self.supports_masking = True

    def build(self, input_shape):
        self.project = layers.Dense(self.attention_size, activation="tanh", name="project")
        self.score = layers.Dense(1, use_bias=False, name="score")
        self.project.build(input_shape)
        self.score.build((*input_shape[:-1], self.attention_size))

    def call(self, h, mask=None):
        scores = self.score(self.project(h))[..., 0]                                                # (B, T)
        if mask is not None:
            scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        return ops.sum(weights[..., None] * h, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return super().get_config() | {"attention_size": self.attention_size}


def get_attention_rnn(config: AttentionRNNConfig, max_len: int | None = None,
                      embeddings: np.ndarray | None = None) -> keras.Model:
    """A Keras attention-LSTM returning logits: chapter 5's masked BiLSTM, then additive attention pooling."""
    token_ids = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")                      # (B, T)
    x = recurrent_encoder(config, token_ids, embeddings, return_sequences=True)                      # (B, T, 2H)
    x = AdditiveAttentionPooling(config.attention_dim, name="attention_pooling")(x)                  # (B, 2H)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    return keras.Model(token_ids, layers.Dense(config.num_classes, name="logits")(x), name="attention_lstm")


class PositionEmbedding(layers.Layer):
    """Adds a vector per position (up to ``max_len``) to ``(B, T, d)`` word vectors: learned, or the fixed
    sinusoidal ones (``learned=False``, no parameters)."""

    def __init__(self, max_len: int, learned: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.max_len, self.learned = max_len, learned

    def build(self, input_shape):
        if self.learned:
            self.table = self.add_weight(shape=(self.max_len, input_shape[-1]), name="table",
                                         initializer=keras.initializers.RandomUniform(-0.05, 0.05))
        else:
            from nlpcourse.layers.positional import sinusoidal_encoding
            self.table = ops.convert_to_tensor(sinusoidal_encoding(self.max_len, input_shape[-1]).numpy())

    def call(self, x):
        return x + self.table[: ops.shape(x)[1]][None]

    def get_config(self):
        return super().get_config() | {"max_len": self.max_len, "learned": self.learned}


class LinearSelfAttention(layers.Layer):
    """Multi-head linear attention (elu + 1 features) with ``MultiHeadAttention``'s parameter count."""

    def __init__(self, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads

    def build(self, input_shape):
        d_model = input_shape[-1]
        self.qkv = layers.Dense(3 * d_model, name="qkv")
        self.out = layers.Dense(d_model, name="out")
        self.qkv.build(input_shape)
        self.out.build(input_shape)

    def call(self, x, real):
        batch, steps, d_model = ops.shape(x)[0], ops.shape(x)[1], x.shape[-1]

        def heads(t):                                                      # (B, T, d) -> (B, heads, T, d / heads)
            return ops.transpose(ops.reshape(t, (batch, steps, self.num_heads, d_model // self.num_heads)), (0, 2, 1, 3))
        q, k, v = (heads(t) for t in ops.split(self.qkv(x), 3, axis=-1))
        fq, fk = ops.elu(q) + 1, (ops.elu(k) + 1) * ops.cast(real, x.dtype)[:, None, :, None]
        kv = ops.matmul(ops.transpose(fk, (0, 1, 3, 2)), v)                 # (B, heads, d, d)
        normaliser = ops.sum(fq * ops.sum(fk, axis=2, keepdims=True), axis=-1, keepdims=True)
        out = ops.matmul(fq, kv) / (normaliser + 1e-6)                     # (B, heads, T, d)
        return self.out(ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (batch, steps, d_model)))

    def get_config(self):
        return super().get_config() | {"num_heads": self.num_heads}


class RealWords(layers.Layer):
    """``(B, T)`` True at real words (token id not 0); the first position always counts, as in PyTorch."""

    def call(self, token_ids):
        real = ops.not_equal(token_ids, 0)
        first = ops.arange(ops.shape(token_ids)[1]) == 0
        return ops.logical_or(real, first[None, :])


def get_transformer(config: TransformerConfig, embeddings: np.ndarray | None = None) -> keras.Model:
    """A Keras Transformer encoder classifier returning logits, block for block the PyTorch one (pre-norm)."""
    if embeddings is not None:
        raise ValueError("the Transformer's embedding starts random: embeddings= is not taken")
    if config.pad_index != 0 or not config.norm_first:
        raise ValueError("the Keras Transformer is the zoo's: padding index 0 and pre-norm blocks")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")                         # (B, T)
    real = RealWords(name="real_words")(token_ids)                                                   # (B, T)
    x = layers.Embedding(config.vocab_size, config.d_model, name="embedding")(token_ids)
    if config.positions != "none":
        x = PositionEmbedding(config.max_len, learned=config.positions == "learned", name="positions")(x)
    x = layers.Dropout(config.dropout)(x)
    pair_mask = ops.logical_and(real[:, :, None], real[:, None, :])                                 # (B, T, T)
    for i in range(config.num_layers):
        h = layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_norm1")(x)
        if config.attention == "linear":
            h = LinearSelfAttention(config.nhead, name=f"block{i}_attention")(h, real)
        else:
            h = layers.MultiHeadAttention(config.nhead, config.d_model // config.nhead, dropout=config.dropout,
                                          name=f"block{i}_attention")(h, h, attention_mask=pair_mask)
        x = layers.Add()([x, layers.Dropout(config.dropout)(h)])
        h = layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_norm2")(x)
        h = layers.Dense(config.dim_feedforward, activation="relu", name=f"block{i}_linear1")(h)
        h = layers.Dense(config.d_model, name=f"block{i}_linear2")(layers.Dropout(config.dropout)(h))
        x = layers.Add()([x, layers.Dropout(config.dropout)(h)])
    x = layers.LayerNormalization(epsilon=1e-5, name="norm")(x)
    x = layers.GlobalAveragePooling1D(name="mean")(x, mask=real)                                     # real words only
    x = layers.Dropout(config.dropout)(x)
    name = "linear_transformer" if config.attention == "linear" else "transformer"
    return keras.Model(token_ids, layers.Dense(config.num_classes, name="logits")(x), name=name)
