"""A capsule network for text: chapter 5's BiGRU, one primary capsule per word, routed to class capsules (chapter 6).

The BiGRU reads the review (packed, so padding never counts); each word's output, squashed,
is a primary capsule. Every primary capsule predicts each class capsule through a shared
matrix, and dynamic routing decides how much of each word goes to "negative" and to
"positive". The length of a class capsule is the model's confidence in that class; the
margin loss of Sabour et al. (2017) trains it.
"""
from __future__ import annotations

import torch

from nlpcourse.layers.capsule import CapsuleLayer, margin_loss, squash
from nlpcourse.models.configs import CapsNetConfig
from nlpcourse.models.rnn import RNNClassifier

__all__ = ["CapsNetClassifier", "CapsNetConfig"]


class CapsNetClassifier(RNNClassifier):
    """Embedding -> BiGRU over the real tokens -> primary capsules -> routing -> class capsules' lengths."""

    def __init__(self, config: CapsNetConfig):
        super().__init__(config)
        # the capsule layer takes the place of chapter 5's linear head
        self.classifier = CapsuleLayer(config.hidden_size * config.num_directions, config.num_classes,
                                       config.capsule_dim, config.routing_iterations)

    def capsules(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(class capsules (B, C, D), coupling coefficients (B, T, C), mask of real words (B, T))``."""
        outputs, lengths, _ = self.encode(idx)                          # (B, T, 2H)
        primary = squash(self.dropout(outputs))                         # one capsule per word
        mask = torch.arange(outputs.shape[1], device=lengths.device)[None, :] < lengths[:, None]
        v, c = self.classifier(primary, mask)
        return v, c, mask

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(class capsules' lengths (B, C), each in [0, 1), margin loss or None without targets)``."""
        lengths = torch.linalg.vector_norm(self.capsules(idx)[0], dim=-1)   # (B, C)
        return lengths, None if targets is None else margin_loss(lengths, targets)
