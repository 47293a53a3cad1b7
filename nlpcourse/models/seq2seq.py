"""The GRU encoder-decoder of chapter 8, with no attention, Bahdanau's additive attention or dot-product attention.

The encoder reads the English sentence in both directions; the decoder writes the French one word
by word. One step of the decoder (:meth:`Seq2Seq.decode_step`) is the whole model at work:

    context, a = attention(s_{t-1}, h_1..h_S)          # or the encoder's summary, without attention
    s_t = GRU(s_{t-1}, [embed(y_{t-1}); context])
    logits_t = W_out tanh(W_pre [s_t; context; embed(y_{t-1})])

Training feeds the reference's previous word (teacher forcing) and runs the same step over the
sentence; decoding (:mod:`nlpcourse.models.decoding`) feeds the model's own words.
``forward(src, src_lengths, tgt_in, targets=None)`` returns ``(logits, loss)`` (makemore's contract),
the loss being the mean cross-entropy over the real target words (padding is -100).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from nlpcourse.losses import cross_entropy
from nlpcourse.layers.attention import AdditiveAttention, DotProductAttention
from nlpcourse.models.configs import Seq2SeqConfig
from nlpcourse.utils import eval_mode


def source_mask(src: Tensor, src_lengths: Tensor) -> Tensor:
    """``(B, S)`` True at the real words of each source sentence; lengths are checked (chapter 8)."""
    if src.dim() != 2 or src_lengths.shape != src.shape[:1]:
        raise ValueError(f"src must be (batch, steps) and src_lengths (batch,), got {tuple(src.shape)} and "
                         f"{tuple(src_lengths.shape)}")
    if len(src_lengths) and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > src.shape[1]):
        raise ValueError(f"src_lengths must be between 1 and {src.shape[1]} (the padded width): an empty "
                         f"source sentence cannot be translated, got {src_lengths.tolist()}")
    return torch.arange(src.shape[1], device=src.device)[None, :] < src_lengths.to(src.device)[:, None]


class Seq2Seq(nn.Module):
    """GRU encoder-decoder for translation (chapter 8); see the module's docstring."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        c, hidden = config, config.hidden_size
        self.config = c
        self.src_embed = nn.Embedding(c.src_vocab_size, c.embed_dim, padding_idx=c.pad_index)
        self.encoder = nn.GRU(c.embed_dim, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)          # the encoder's summary -> the decoder's first state
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.embed_dim, padding_idx=c.pad_index)
        self.attention = {"none": lambda: None,
                          "bahdanau": lambda: AdditiveAttention(hidden, 2 * hidden, c.attention_size),
                          "dot": lambda: DotProductAttention(hidden, 2 * hidden)}[c.attention]()
        self.cell = nn.GRUCell(c.embed_dim + 2 * hidden, hidden)
        self.pre_output = nn.Linear(hidden + 2 * hidden + c.embed_dim, hidden)
        self.output = nn.Linear(hidden, c.tgt_vocab_size)
        self.dropout = nn.Dropout(c.dropout)

    def encode(self, src: Tensor, src_lengths: Tensor) -> dict[str, Tensor]:
        """The decoder's starting state: encoder outputs ``memory (B, S, 2H)``, their mask, keys, summary."""
        mask = source_mask(src, src_lengths)
        x = self.dropout(self.src_embed(src))                                       # (B, S, E)
        packed = pack_padded_sequence(x, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, last = self.encoder(packed)                                        # last: (2, B, H)
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])   # (B, S, 2H)
        summary = torch.cat([last[0], last[1]], dim=-1)     # forward's last state, backward's first: (B, 2H)
        state = {"hidden": torch.tanh(self.bridge(summary)), "memory": memory, "mask": mask, "summary": summary}
        if self.attention is not None:
            state["keys"] = self.attention.project_keys(memory)                      # (B, S, A), once per sentence
        return state

    def decode_step(self, state: dict[str, Tensor], tokens: Tensor) -> tuple[Tensor, dict[str, Tensor], Tensor | None]:
        """One word: ``tokens (B,)`` are the previous words; returns ``logits (B, V)``, the new state and
        the attention weights ``(B, S)`` (None without attention)."""
        embedded, context, state, weights = self._recur(state, tokens)
        return self._readout(state["hidden"], context, embedded), state, weights

    def _recur(self, state: dict[str, Tensor], tokens: Tensor) -> tuple[Tensor, Tensor, dict[str, Tensor], Tensor | None]:
        """The recurrent part of a step: attend, then update the decoder's state."""
        embedded = self.dropout(self.tgt_embed(tokens))                              # (B, E)
        if self.attention is None:
            context, weights = state["summary"], None                                # the same vector at every step
        else:
            context, weights = self.attention(state["hidden"], state["keys"], state["memory"], state["mask"])
        hidden = self.cell(torch.cat([embedded, context], dim=-1), state["hidden"])  # (B, H)
        return embedded, context, {**state, "hidden": hidden}, weights

    def _readout(self, hidden: Tensor, context: Tensor, embedded: Tensor) -> Tensor:
        """Logits of the next word from the new state, the context and the previous word: ``(..., V)``."""
        features = torch.tanh(self.pre_output(torch.cat([hidden, context, embedded], dim=-1)))
        return self.output(self.dropout(features))

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: ``tgt_in (B, T)`` starts with ``<bos>``; ``logits (B, T, V)`` and the loss."""
        logits, _ = self._teacher_forced(src, src_lengths, tgt_in)
        return logits, None if targets is None else cross_entropy(logits, targets)

    def _teacher_forced(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> tuple[Tensor, Tensor | None]:
        """The recurrence runs word by word; the readout, most of the arithmetic, once for all words."""
        state = self.encode(src, src_lengths)
        steps = []
        for t in range(tgt_in.shape[1]):
            embedded, context, state, weights = self._recur(state, tgt_in[:, t])
            steps.append((state["hidden"], context, embedded, weights))
        hidden, context, embedded = (torch.stack(parts, dim=1) for parts in list(zip(*steps))[:3])   # (B, T, ·)
        attention = None if self.attention is None else torch.stack([s[3] for s in steps], dim=1)   # (B, T, S)
        return self._readout(hidden, context, embedded), attention

    @torch.no_grad()
    def cross_attention(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Attention weights ``(B, T, S)``: how much each target word looked at each source word."""
        if self.attention is None:
            raise ValueError("this model has no attention (attention='none'): there are no weights to show")
        with eval_mode(self):
            return self._teacher_forced(src, src_lengths, tgt_in)[1]
