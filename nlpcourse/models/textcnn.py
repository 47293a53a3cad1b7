"""TextCNN (Kim 2014): convolutions of widths 3, 4, 5 over word vectors, max over time (chapter 4).

Each filter is an n-gram detector: it slides over the review, one score per position,
and max-over-time pooling keeps its best match anywhere in the text. The pooled scores
of all filters, after dropout, feed one linear layer that returns the logits.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nlpcourse.models.embedding import load_embedding_matrix
from nlpcourse.losses import cross_entropy
from nlpcourse.models.configs import TextCNNConfig

__all__ = ["TextCNN", "TextCNNConfig", "top_ngrams"]


class TextCNN(nn.Module):
    """Embedding -> parallel Conv1d + ReLU + max over time -> dropout -> linear logits (chapter 4)."""

    def __init__(self, config: TextCNNConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=config.pad_index)
        self.convs = nn.ModuleList(nn.Conv1d(config.embed_dim, config.num_filters, k) for k in config.filter_sizes)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.num_filters * len(config.filter_sizes), config.num_classes)
        with torch.no_grad():  # small random word vectors, as Keras draws them; the padding row stays zero
            nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
            self.embedding.weight[config.pad_index].zero_()

    def feature_maps(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """One ``(B, F, T - k + 1)`` map per filter width: each filter's score at each position."""
        if idx.dim() != 2:
            raise ValueError(f"expected token indices of shape (batch, time), got {tuple(idx.shape)}")
        shortest = max(self.config.filter_sizes)
        if idx.shape[1] < shortest:  # too short for the widest filter: pad on the right
            idx = F.pad(idx, (0, shortest - idx.shape[1]), value=self.config.pad_index)
        x = self.embedding(idx).transpose(1, 2)                    # (B, T, E) -> (B, E, T)
        return [F.relu(conv(x)) for conv in self.convs]          # each (B, F, T - k + 1)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        pooled = [fmap.amax(dim=2) for fmap in self.feature_maps(idx)]  # each (B, F): max over time
        features = self.dropout(torch.cat(pooled, dim=1))         # (B, F * len(filter_sizes))
        logits = self.classifier(features)                         # (B, num_classes)
        return logits, None if targets is None else cross_entropy(logits, targets)

    def load_embeddings(self, vectors: np.ndarray, freeze: bool = False) -> None:
        """Initialise the embedding from a ``(vocab_size, embed_dim)`` matrix, e.g. GloVe rows."""
        load_embedding_matrix(self.embedding, vectors, freeze)


def top_ngrams(model: TextCNN, X: np.ndarray, itos: list[str], width_index: int = 0,
               filters: range | list[int] = range(6), k: int = 6, batch_size: int = 256) -> dict[str, list]:
    """For some filters of one width, the ``k`` distinct n-grams with the highest activation (chapter 4).

    Each review contributes its best-matching window per filter (the one max-pooling keeps).
    """
    width = model.config.filter_sizes[width_index]
    best: dict[int, dict[str, float]] = {f: {} for f in filters}
    model.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            idx = torch.as_tensor(X[start:start + batch_size])
            fmap = model.feature_maps(idx)[width_index]            # (B, F, T - k + 1)
            scores, where = fmap.max(dim=2)                         # (B, F) each
            for f in filters:
                for row, (score, pos) in enumerate(zip(scores[:, f].tolist(), where[:, f].tolist())):
                    gram = " ".join(itos[i] for i in idx[row, pos:pos + width].tolist())
                    best[f][gram] = max(score, best[f].get(gram, -np.inf))
    return {f"width {width}, filter {f}": sorted(best[f].items(), key=lambda kv: -kv[1])[:k] for f in filters}
