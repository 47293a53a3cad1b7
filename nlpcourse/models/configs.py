"""Sizes and training recipes of the IMDB models, quick and full, written once (chapters 3-4).

Plain dataclasses: importing this module imports neither torch nor tensorflow. The model
files (``nlpcourse/models/*.py``, ``nlpcourse/keras/*.py``) build from these configs; the
zoo (:mod:`nlpcourse.pipelines.zoo`) pairs each with its presets, so a chapter, the benchmark
and the tests train the same model the same way.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from nlpcourse.config import RunConfig, TrainRecipe, require_at_least


def _require_dropout(dropout: float) -> None:
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


@dataclasses.dataclass(frozen=True)
class TextCNNConfig:
    """Sizes of a TextCNN (chapter 4). Kim (2014) used 300-d vectors and 100 filters per width."""

    vocab_size: int
    embed_dim: int = 128
    num_filters: int = 100
    filter_sizes: tuple[int, ...] = (3, 4, 5)
    dropout: float = 0.5
    num_classes: int = 2
    pad_index: int = 0

    def __post_init__(self) -> None:
        if self.vocab_size < 2 or self.embed_dim < 1 or self.num_filters < 1:
            raise ValueError("vocab_size must be >= 2, embed_dim and num_filters >= 1")
        if not self.filter_sizes or min(self.filter_sizes) < 1:
            raise ValueError(f"filter_sizes must be positive widths, got {self.filter_sizes}")
        _require_dropout(self.dropout)
        object.__setattr__(self, "filter_sizes", tuple(self.filter_sizes))

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, embed_dim: int | None = None) -> "TextCNNConfig":
        """The chapter-4 sizes of the profile; ``embed_dim`` to match pretrained vectors."""
        sizes = cfg.choose(quick=dict(embed_dim=64, num_filters=64), full=dict(embed_dim=128, num_filters=100))
        return cls(vocab_size, **(sizes | ({"embed_dim": embed_dim} if embed_dim else {})))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Chapter 4's training: Adam(W), early stopping on the validation loss after 2 bad epochs.

        The full recipe was chosen on the validation reviews (seed 0, 2-core CPU): batches of 64,
        weight decay 0.01 and the rate decaying linearly to 0 over 6 epochs (best validation
        accuracy 0.896, against 0.890 for batches of 32 at a constant 1e-3); then keeping the
        *end* of reviews longer than ``max_len``, where reviewers tend to sum up (0.903).
        """
        return cfg.choose(quick=TrainRecipe(batch_size=32, epochs=5, lr=3e-3, max_len=200, max_vocab=10_000,
                                            truncating="pre", patience=2),
                          full=TrainRecipe(batch_size=64, epochs=6, lr=1e-3, max_len=500, max_vocab=40_000,
                                           truncating="pre", weight_decay=0.01, schedule="linear", patience=2))


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    """An MLP on bag-of-words features: one hidden ReLU layer and dropout (chapter 3)."""

    num_features: int
    hidden_size: int = 32
    dropout: float = 0.5
    num_classes: int = 2

    def __post_init__(self) -> None:
        if self.num_features < 1 or self.hidden_size < 1:
            raise ValueError("num_features and hidden_size must be >= 1")
        _require_dropout(self.dropout)

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int) -> "MLPConfig":
        """``vocab_size`` is the number of TF-IDF features; both profiles use 32 hidden units."""
        return cls(vocab_size)

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Chapter 3's training on TF-IDF vectors of the 2,000 most frequent words."""
        return TrainRecipe(batch_size=64, epochs=15, lr=1e-3, max_vocab=2000, patience=3)


@dataclasses.dataclass(frozen=True)
class RNNConfig:
    """Sizes of a recurrent IMDB classifier (chapter 5): LSTM or GRU, stacked, bidirectional, a CNN in front.

    The review is read to its last real token (packed sequences in PyTorch, a mask in Keras) and
    the final hidden state (both directions' for a BiLSTM) feeds one linear layer. With
    ``conv_filters > 0`` a convolution and max pooling come first (CNN-LSTM): the LSTM then
    reads ``pool_size`` times fewer steps.
    """

    vocab_size: int
    cell: str = "lstm"                  # "lstm" or "gru"
    embed_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.3                # on the embeddings, between layers and before the classifier
    conv_filters: int = 0               # > 0: a Conv1d + ReLU + max-pool front end (CNN-LSTM)
    conv_width: int = 5
    pool_size: int = 4
    num_classes: int = 2
    pad_index: int = 0

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {self.cell!r}")
        if self.vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2, got {self.vocab_size}")
        require_at_least(self, ("embed_dim", "hidden_size", "num_layers", "conv_width", "pool_size",
                                 "num_classes"), 1)
        if self.conv_filters < 0:
            raise ValueError(f"conv_filters must be >= 0 (0: no convolution), got {self.conv_filters}")
        _require_dropout(self.dropout)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def output_lengths(self, lengths):
        """Steps the recurrent layer reads for reviews of ``lengths`` tokens: fewer after the CNN front end."""
        if not self.conv_filters:
            return lengths
        return ((lengths - self.conv_width + 1) // self.pool_size).clip(min=1)

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, embed_dim: int | None = None, **variant: Any) -> "RNNConfig":
        """The chapter-5 sizes of the profile; ``variant`` picks the model (``cell``, ``bidirectional``...)."""
        sizes = cfg.choose(quick=dict(embed_dim=64, hidden_size=64),
                           full=dict(embed_dim=128, hidden_size=128))
        return cls(vocab_size, **(sizes | variant | ({"embed_dim": embed_dim} if embed_dim else {})))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Chapter 5's training, for every recurrent model: AdamW, length-bucketed batches, early stopping
        (quick: at the first epoch whose validation loss is no better, keeping the best epoch's weights)."""
        return cfg.choose(quick=TrainRecipe(batch_size=32, epochs=6, lr=3e-3, max_len=200, max_vocab=10_000,
                                            truncating="pre", bucket=True, patience=1),
                          full=TrainRecipe(batch_size=64, epochs=6, lr=2e-3, max_len=400, max_vocab=30_000,
                                           truncating="pre", weight_decay=0.01, schedule="linear", bucket=True,
                                           patience=2))


@dataclasses.dataclass(frozen=True)
class CapsNetConfig(RNNConfig):
    """A BiGRU whose outputs are primary capsules, one per word, routed to one capsule per class (chapter 6).

    Chapter 5's recurrent encoder (``RNNConfig``'s fields, a bidirectional GRU by default), then
    dynamic routing (Sabour et al. 2017) with a transformation shared by all words (Zhao et al. 2018).
    """

    cell: str = "gru"
    bidirectional: bool = True
    capsule_dim: int = 16               # size of each class capsule
    routing_iterations: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.conv_filters:
            raise ValueError("a capsule network reads the recurrent outputs of every word: conv_filters must be 0")
        if self.capsule_dim < 1:
            raise ValueError(f"capsule_dim must be >= 1, got {self.capsule_dim}")
        if isinstance(self.routing_iterations, bool) or self.routing_iterations < 1:
            raise ValueError(f"routing_iterations must be >= 1, got {self.routing_iterations}")


@dataclasses.dataclass(frozen=True)
class AttentionRNNConfig(RNNConfig):
    """A BiLSTM whose outputs at every word are pooled by additive self-attention (chapter 7), after the
    notes' ``imdb_attention_lstm`` and Lin et al. (2017): the review is the attention-weighted sum of its
    words' states instead of the final state."""

    bidirectional: bool = True
    attention_dim: int = 64             # size of the scoring layer's tanh units

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.conv_filters:
            raise ValueError("attention pooling reads the recurrent output of every word: conv_filters must be 0")
        if self.attention_dim < 1:
            raise ValueError(f"attention_dim must be >= 1, got {self.attention_dim}")


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Sizes of a Transformer encoder classifier (chapter 7): word + learned position embeddings, ``num_layers``
    pre-norm encoder blocks, the mean of the real words' outputs, one linear layer.

    ``attention="linear"`` swaps softmax attention for linear attention (same parameters);
    ``positions`` chooses learned, fixed sinusoidal or no position vectors; ``max_len`` is the
    longest review the position table covers.
    """

    vocab_size: int
    max_len: int = 512
    d_model: int = 64
    nhead: int = 4
    num_layers: int = 2
    dim_feedforward: int = 128
    dropout: float = 0.1
    attention: str = "softmax"          # or "linear"
    positions: str = "learned"          # "learned", "sinusoidal" (fixed) or "none"
    norm_first: bool = True
    num_classes: int = 2
    pad_index: int = 0

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2, got {self.vocab_size}")
        require_at_least(self, ("max_len", "d_model", "nhead", "num_layers", "dim_feedforward", "num_classes"), 1)
        if self.d_model % self.nhead:
            raise ValueError(f"nhead ({self.nhead}) must divide d_model ({self.d_model}): each head gets "
                             f"d_model / nhead dimensions")
        if self.attention not in ("softmax", "linear"):
            raise ValueError(f"attention must be 'softmax' or 'linear', got {self.attention!r}")
        if self.positions not in ("learned", "sinusoidal", "none"):
            raise ValueError(f"positions must be 'learned', 'sinusoidal' or 'none', got {self.positions!r}")
        if self.positions == "sinusoidal" and self.d_model % 2:
            raise ValueError(f"sinusoidal positions need an even d_model, got {self.d_model}")
        _require_dropout(self.dropout)

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, **variant: Any) -> "TransformerConfig":
        """The chapter-7 sizes of the profile; ``variant`` picks the model (``attention``...). The position table
        covers the reviews the recipe reads (``recipe(cfg).max_len`` tokens); ``max_len=`` in ``variant`` overrides it."""
        sizes = cfg.choose(quick=dict(d_model=64, nhead=4, num_layers=1, dim_feedforward=128),
                           full=dict(d_model=128, nhead=4, num_layers=2, dim_feedforward=256))
        return cls(vocab_size, max_len=cls.recipe(cfg).max_len, **(sizes | variant))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Chapter 7's training of the Transformers: AdamW with warm-up and linear decay, bucketed batches, early
        stopping (quick: at the first epoch whose validation loss is no better, as chapter 5's recipe)."""
        return cfg.choose(quick=TrainRecipe(batch_size=32, epochs=6, lr=1e-3, max_len=200, max_vocab=10_000,
                                            truncating="pre", warmup=0.1, schedule="linear", bucket=True,
                                            patience=1),
                          full=TrainRecipe(batch_size=64, epochs=6, lr=5e-4, max_len=400, max_vocab=30_000,
                                           truncating="pre", weight_decay=0.01, warmup=0.1, schedule="linear",
                                           bucket=True, patience=2))


@dataclasses.dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of the GRU encoder-decoder of chapter 8 (Cho et al. 2014; Bahdanau et al. 2015).

    A bidirectional GRU encoder; a GRU decoder that reads, at each step, the previous word and a
    context vector: with ``attention="none"`` the encoder's summary of the whole sentence, with
    ``"bahdanau"`` (additive) or ``"dot"`` (scaled dot product) a weighted sum of the encoder's outputs.
    """

    src_vocab_size: int
    tgt_vocab_size: int
    embed_dim: int = 128
    hidden_size: int = 256
    attention: str = "bahdanau"          # "none", "bahdanau" or "dot"
    attention_size: int = 256
    dropout: float = 0.2
    pad_index: int = 0

    def __post_init__(self) -> None:
        require_at_least(self, ("src_vocab_size", "tgt_vocab_size"), 5, " (4 special tokens and a word)")
        require_at_least(self, ("embed_dim", "hidden_size", "attention_size"), 1)
        if self.attention not in ("none", "bahdanau", "dot"):
            raise ValueError(f"attention must be 'none', 'bahdanau' or 'dot', got {self.attention!r}")
        _require_dropout(self.dropout)

    @classmethod
    def preset(cls, cfg: RunConfig, src_vocab_size: int, tgt_vocab_size: int, **variant: Any) -> "Seq2SeqConfig":
        sizes = cfg.choose(quick=dict(embed_dim=64, hidden_size=128, attention_size=128, dropout=0.1),
                           full=dict(embed_dim=256, hidden_size=256, attention_size=256, dropout=0.2))
        return cls(src_vocab_size, tgt_vocab_size, **(sizes | variant))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Chapter 8's training of every translation model: AdamW, warm-up then linear decay, bucketed batches."""
        return cfg.choose(quick=TrainRecipe(batch_size=64, epochs=3, lr=3e-3, warmup=0.05, schedule="linear",
                                            patience=None, clip_grad_norm=5.0),
                          full=TrainRecipe(batch_size=128, epochs=12, lr=1e-3, warmup=0.05, schedule="linear",
                                           weight_decay=0.01, patience=3))


@dataclasses.dataclass(frozen=True)
class TransformerSeq2SeqConfig:
    """Sizes of the Transformer encoder-decoder of chapter 8 (Vaswani et al. 2017), built from chapter 7's
    blocks: sinusoidal positions, pre-norm encoder and decoder blocks, output layer tied to the
    decoder's word embeddings."""

    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 256
    nhead: int = 4
    num_encoder_layers: int = 3
    num_decoder_layers: int = 3
    dim_feedforward: int = 512
    dropout: float = 0.1
    max_len: int = 128
    pad_index: int = 0

    def __post_init__(self) -> None:
        require_at_least(self, ("src_vocab_size", "tgt_vocab_size"), 5, " (4 special tokens and a word)")
        require_at_least(self, ("d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward",
                                 "max_len"), 1)
        if self.d_model % self.nhead or self.d_model % 2:
            raise ValueError(f"d_model ({self.d_model}) must be even and divisible by nhead ({self.nhead})")
        _require_dropout(self.dropout)

    @classmethod
    def preset(cls, cfg: RunConfig, src_vocab_size: int, tgt_vocab_size: int,
               **variant: Any) -> "TransformerSeq2SeqConfig":
        """Sizes chosen so that the Transformer has about as many parameters as the GRU model of the profile."""
        sizes = cfg.choose(quick=dict(d_model=96, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                                      dim_feedforward=192, dropout=0.1),
                           full=dict(d_model=256, nhead=4, num_encoder_layers=3, num_decoder_layers=3,
                                     dim_feedforward=768, dropout=0.1))
        return cls(src_vocab_size, tgt_vocab_size, **(sizes | variant))
