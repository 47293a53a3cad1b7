"""Starting a model's embedding from pretrained word vectors (chapters 4-5)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def load_embedding_matrix(embedding: nn.Embedding, vectors: np.ndarray, freeze: bool = False) -> None:
    """Copy a ``(vocab_size, embed_dim)`` matrix (e.g. GloVe rows) into ``embedding``; ``freeze`` stops training it."""
    vectors = torch.as_tensor(np.asarray(vectors), dtype=embedding.weight.dtype)
    if tuple(vectors.shape) != tuple(embedding.weight.shape):
        raise ValueError(f"vectors have shape {tuple(vectors.shape)}, the embedding "
                         f"{tuple(embedding.weight.shape)}: one row per vocabulary entry")
    embedding.weight.copy_(vectors)
    embedding.weight.requires_grad_(not freeze)
