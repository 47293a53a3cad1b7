"""Recurrent IMDB classifiers: LSTM, GRU, stacked, bidirectional, and a CNN in front (chapter 5).

The review's word vectors are read by ``nn.LSTM`` or ``nn.GRU`` as a *packed* sequence: each
review up to its last real token, never its padding, so a prediction does not depend on how
far the batch was padded. The final hidden state (both directions' for a bidirectional
model, of the top layer) summarises the review for one linear layer. Initialisation is
Keras' (Glorot input weights, orthogonal recurrent weights, forget-gate bias 1), and the LSTM
keeps one bias vector per gate as Keras does: PyTorch's second one (``bias_hh``) stays zero
and frozen, since only the sum of the two ever matters.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from nlpcourse.models.embedding import load_embedding_matrix
from nlpcourse.losses import cross_entropy
from nlpcourse.models.configs import RNNConfig

__all__ = ["RNNClassifier", "RNNConfig"]


class RNNClassifier(nn.Module):
    """Embedding -> [Conv1d + ReLU + max-pool] -> (Bi)LSTM/GRU over the real tokens -> final state -> logits."""

    def __init__(self, config: RNNConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=config.pad_index)
        self.conv = nn.Conv1d(config.embed_dim, config.conv_filters, config.conv_width) if config.conv_filters else None
        rnn_input = config.conv_filters or config.embed_dim
        rnn_class = nn.LSTM if config.cell == "lstm" else nn.GRU
        self.rnn = rnn_class(rnn_input, config.hidden_size, num_layers=config.num_layers, batch_first=True,
                             bidirectional=config.bidirectional,
                             dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size * config.num_directions, config.num_classes)
        self._init_like_keras()

    @torch.no_grad()
    def _init_like_keras(self) -> None:
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        self.embedding.weight[self.config.pad_index].zero_()
        H = self.config.hidden_size
        for name, param in self.rnn.named_parameters():
            if name.startswith("weight_ih"):
                for block in param.split(H):          # Keras draws each gate's kernel as one matrix
                    nn.init.xavier_uniform_(block)
            elif name.startswith("weight_hh"):
                for block in param.split(H):
                    nn.init.orthogonal_(block)
            elif name.startswith("bias"):
                param.zero_()
                if self.config.cell == "lstm" and name.startswith("bias_ih"):
                    param[H:2 * H] = 1.0              # forget gate open at the start: remember by default
                if self.config.cell == "lstm" and name.startswith("bias_hh"):
                    param.requires_grad_(False)       # one bias per gate, as Keras has

    def lengths_of(self, idx: torch.Tensor) -> torch.Tensor:
        """Real tokens per review (padding sits at the end); an empty review reads one padding token."""
        return (idx != self.config.pad_index).sum(dim=1).clamp(min=1)

    def encode(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(outputs (B, T', D*H), lengths (B,), features (B, D*H))``: every step's state and the final one."""
        if idx.dim() != 2:
            raise ValueError(f"expected token indices of shape (batch, time), got {tuple(idx.shape)}")
        lengths = self.lengths_of(idx)
        x = self.dropout(self.embedding(idx))                          # (B, T, E)
        if self.conv is not None:
            k = self.config.conv_width
            if x.shape[1] < k:                                         # shorter than the filter: pad the end
                x = F.pad(x, (0, 0, 0, k - x.shape[1]))
            x = F.relu(self.conv(x.transpose(1, 2)))                   # (B, F, T - k + 1)
            x = F.max_pool1d(x, self.config.pool_size, ceil_mode=True).transpose(1, 2)  # (B, T', F)
            lengths = self.config.output_lengths(lengths)
        packed = pack_padded_sequence(x.float(), lengths.cpu(), batch_first=True, enforce_sorted=False)
        with torch.autocast(x.device.type, enabled=False):            # float32: not every cuDNN has bf16 RNNs
            outputs, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state            # (L * D, B, H)
        D = self.config.num_directions
        features = torch.cat(list(h_n[-D:]), dim=1)                     # the top layer, both directions
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])
        return outputs, lengths, features

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        logits = self.classifier(self.dropout(self.encode(idx)[2]))    # (B, num_classes)
        return logits, None if targets is None else cross_entropy(logits, targets)

    def load_embeddings(self, vectors: np.ndarray, freeze: bool = False) -> None:
        """Initialise the embedding from a ``(vocab_size, embed_dim)`` matrix, e.g. GloVe rows."""
        load_embedding_matrix(self.embedding, vectors, freeze)


@torch.no_grad()
def trace_review(model: RNNClassifier, ids) -> dict[str, np.ndarray]:
    """Read one review token by token with the scratch LSTM step and the model's trained weights (chapter 5).

    Returns ``probability`` (T,): P(positive) after each token, had the review ended there, and
    ``hidden`` and ``cell`` (T, H): the LSTM's states. For a one-layer, one-direction LSTM model.
    """
    from nlpcourse.layers.recurrent import lstm_step
    config = model.config
    if config.cell != "lstm" or config.bidirectional or config.num_layers != 1 or config.conv_filters:
        raise ValueError("trace_review reads a one-layer, one-direction LSTM model without a CNN front end "
                         "(the zoo's 'lstm')")
    ids = torch.as_tensor(np.asarray(ids)).long()
    if ids.dim() != 1 or len(ids) == 0:
        raise ValueError(f"ids must be one review's token indices (1-D, not empty), got shape {tuple(ids.shape)}")
    model.eval()
    device = next(model.parameters()).device
    x = model.embedding(ids.to(device))                                 # (T, E)
    rnn = model.rnn
    gi = x @ rnn.weight_ih_l0.T + rnn.bias_ih_l0                        # (T, 4H)
    h = c = x.new_zeros(1, config.hidden_size)
    hidden, cell = [], []
    for t in range(len(ids)):
        h, c = lstm_step(gi[t:t + 1], (h, c), rnn.weight_hh_l0, rnn.bias_hh_l0)
        hidden.append(h[0])
        cell.append(c[0])
    hidden, cell = torch.stack(hidden), torch.stack(cell)               # (T, H) each
    probability = model.classifier(hidden).softmax(dim=-1)[:, 1]        # (T,)
    return {"probability": probability.cpu().numpy(), "hidden": hidden.cpu().numpy(), "cell": cell.cpu().numpy()}
