"""An attention-LSTM IMDB classifier: a BiLSTM read to each review's end, its outputs pooled by additive
self-attention (chapter 7, the notes' ``imdb_attention_lstm``; Lin et al. 2017).

Chapter 5's models summarise a review by the final state, which remembers the last words best.
Here every word's output gets a score, the scores become weights (a softmax over the real
words), and the review is the weighted sum: the model learns which words to look at, and the
weights show it.
"""
from __future__ import annotations

import numpy as np
import torch

from nlpcourse.layers.attention import AdditiveAttentionPooling
from nlpcourse.losses import cross_entropy
from nlpcourse.models.configs import AttentionRNNConfig
from nlpcourse.models.rnn import RNNClassifier
from nlpcourse.utils import eval_mode

__all__ = ["AttentionRNNClassifier", "AttentionRNNConfig"]


class AttentionRNNClassifier(RNNClassifier):
    """Embedding -> BiLSTM over the real tokens -> additive attention pooling -> logits."""

    def __init__(self, config: AttentionRNNConfig):
        super().__init__(config)
        self.attention = AdditiveAttentionPooling(config.hidden_size * config.num_directions, config.attention_dim)

    def pool(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(pooled (B, D*H), attention weights (B, T))``; the weights are 0 on padding and sum to 1."""
        outputs, lengths, _ = self.encode(idx)                                 # (B, T, D*H)
        mask = torch.arange(outputs.shape[1], device=lengths.device)[None, :] < lengths[:, None]
        return self.attention(outputs, mask)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        logits = self.classifier(self.dropout(self.pool(idx)[0]))
        return logits, None if targets is None else cross_entropy(logits, targets)

    @torch.no_grad()
    def attention_weights(self, ids) -> np.ndarray:
        """The attention pooling's weight on each word of one review (1-D token ids), in eval mode."""
        ids = torch.as_tensor(np.asarray(ids)).long()
        if ids.dim() != 1 or len(ids) == 0:
            raise ValueError(f"ids must be one review's token indices (1-D, not empty), got shape {tuple(ids.shape)}")
        with eval_mode(self):
            weights = self.pool(ids[None].to(next(self.parameters()).device))[1][0]
        return weights.cpu().numpy()
