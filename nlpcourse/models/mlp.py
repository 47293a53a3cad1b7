"""An MLP over bag-of-words features, e.g. TF-IDF vectors (chapter 3)."""
from __future__ import annotations

import torch
from torch import nn

from nlpcourse.losses import cross_entropy
from nlpcourse.models.configs import MLPConfig


class FeedForwardClassifier(nn.Module):
    """Linear -> ReLU -> dropout -> linear logits, on ``(B, num_features)`` vectors (chapter 3)."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        self.hidden = nn.Linear(config.num_features, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_classes)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        if x.dim() != 2 or x.shape[1] != self.config.num_features:
            raise ValueError(f"expected features of shape (batch, {self.config.num_features}), got {tuple(x.shape)}")
        logits = self.classifier(self.dropout(torch.relu(self.hidden(x))))   # (B, num_classes)
        return logits, None if targets is None else cross_entropy(logits, targets)
