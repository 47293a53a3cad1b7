"""A Transformer encoder classifier, whole, in one file (chapter 7).

Token ids -> word vectors + position vectors (learned, by default) -> ``num_layers`` encoder blocks
(:class:`~nlpcourse.layers.transformer.TransformerEncoderBlock`: self-attention and a feed-forward
network, each behind a LayerNorm and around a residual connection) -> a final LayerNorm -> the
mean of the real words' vectors -> one linear layer. Padding is masked out of every attention
and of the mean, so a prediction does not depend on how far the batch is padded.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from nlpcourse.layers.positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from nlpcourse.layers.transformer import TransformerEncoderBlock
from nlpcourse.losses import cross_entropy
from nlpcourse.models.configs import TransformerConfig
from nlpcourse.utils import eval_mode

__all__ = ["TransformerClassifier", "TransformerConfig"]


class TransformerClassifier(nn.Module):
    """Embedding + positions -> pre-norm encoder blocks -> masked mean -> logits (softmax or linear attention)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=config.pad_index)
        self.positions = {"learned": LearnedPositionalEmbedding, "sinusoidal": SinusoidalPositionalEncoding,
                          "none": lambda *sizes: nn.Identity()}[config.positions](config.max_len, config.d_model)
        self.blocks = nn.ModuleList(
            TransformerEncoderBlock(config.d_model, config.nhead, config.dim_feedforward, config.dropout,
                                    norm_first=config.norm_first, attention=config.attention)
            for _ in range(config.num_layers))
        # pre-norm blocks leave their sum un-normalised: one LayerNorm at the end (as GPT-2 and BERT-style encoders)
        self.norm = nn.LayerNorm(config.d_model) if config.norm_first else nn.Identity()
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.d_model, config.num_classes)
        with torch.no_grad():                      # as Keras' Embedding layers start
            nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
            self.embedding.weight[config.pad_index].zero_()
            if config.positions == "learned":
                nn.init.uniform_(self.positions.embedding.weight, -0.05, 0.05)

    def padding_mask(self, idx: Tensor) -> Tensor:
        """``(B, T)`` True at padding, which sits at the end; the first position always counts, so an
        empty review reads one padding token (as chapter 5's models do)."""
        padding = idx == self.config.pad_index
        padding[:, 0] = False
        return padding

    def embed(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        if idx.dim() != 2:
            raise ValueError(f"expected token indices of shape (batch, time), got {tuple(idx.shape)}")
        return self.dropout(self.positions(self.embedding(idx))), self.padding_mask(idx)

    def encode(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        """``(outputs (B, T, d_model), padding (B, T))``: each word's vector after the last block."""
        x, padding = self.embed(idx)
        for block in self.blocks:
            x = block(x, src_key_padding_mask=padding)
        return self.norm(x), padding

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        outputs, padding = self.encode(idx)
        real = (~padding)[..., None].to(outputs.dtype)
        pooled = (outputs * real).sum(dim=1) / real.sum(dim=1)                # mean over the real words
        logits = self.classifier(self.dropout(pooled))                        # (B, num_classes)
        return logits, None if targets is None else cross_entropy(logits, targets)

    @torch.no_grad()
    def attention_maps(self, idx: Tensor) -> list[Tensor]:
        """Each block's attention weights ``(B, heads, T, T)`` for ``idx``, in eval mode (softmax attention only)."""
        maps = []
        with eval_mode(self):
            x, padding = self.embed(idx)
            for block in self.blocks:
                maps.append(block.attention_weights(x, padding))
                x = block(x, src_key_padding_mask=padding)
        return maps
