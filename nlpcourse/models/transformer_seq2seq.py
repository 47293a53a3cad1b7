"""The Transformer encoder-decoder of chapter 8 (Vaswani et al. 2017), from chapter 7's blocks.

    memory = encoder(embed(src) + positions)                  # self-attention over the English words
    h = decoder(embed(y_<t) + positions, memory)              # causal self-attention, then cross-attention
    logits = h Eᵀ                                             # output layer tied to the French embeddings

Pre-norm blocks with a final LayerNorm on each side. The decoder has the same interface as the GRU
model's (:mod:`nlpcourse.models.seq2seq`), so the same greedy and beam search decode both: its
state caches every decoder block's inputs so far, and each step computes only the new position.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nlpcourse.losses import cross_entropy
from nlpcourse.layers.positional import SinusoidalPositionalEncoding
from nlpcourse.layers.transformer import TransformerDecoderBlock, TransformerEncoderBlock
from nlpcourse.models.configs import TransformerSeq2SeqConfig
from nlpcourse.models.seq2seq import source_mask
from nlpcourse.utils import eval_mode


class TransformerSeq2Seq(nn.Module):
    """Transformer encoder-decoder for translation (chapter 8); ``forward`` returns ``(logits, loss)``."""

    def __init__(self, config: TransformerSeq2SeqConfig):
        super().__init__()
        c = self.config = config
        self.src_embed = nn.Embedding(c.src_vocab_size, c.d_model, padding_idx=c.pad_index)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_model, padding_idx=c.pad_index)
        self.positions = SinusoidalPositionalEncoding(c.max_len, c.d_model)
        block = dict(d_model=c.d_model, nhead=c.nhead, dim_feedforward=c.dim_feedforward, dropout=c.dropout,
                     norm_first=True)
        self.encoder = nn.ModuleList(TransformerEncoderBlock(**block) for _ in range(c.num_encoder_layers))
        self.decoder = nn.ModuleList(TransformerDecoderBlock(**block) for _ in range(c.num_decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.dropout = nn.Dropout(c.dropout)
        with torch.no_grad():
            for embedding in (self.src_embed, self.tgt_embed):
                nn.init.normal_(embedding.weight, std=c.d_model ** -0.5)
                embedding.weight[c.pad_index].zero_()

    def _embed(self, embedding: nn.Embedding, idx: Tensor) -> Tensor:
        return self.dropout(self.positions(embedding(idx) * math.sqrt(self.config.d_model)))

    def encode(self, src: Tensor, src_lengths: Tensor) -> dict[str, Tensor]:
        """``memory (B, S, d)``, the source padding mask, and empty caches of the decoder blocks' inputs."""
        padding = ~source_mask(src, src_lengths)                                     # (B, S) True at padding
        x = self._embed(self.src_embed, src)
        for block in self.encoder:
            x = block(x, src_key_padding_mask=padding)
        memory = self.encoder_norm(x)
        empty = memory.new_zeros(src.shape[0], 0, self.config.d_model)
        return {"memory": memory, "padding": padding} | {f"input{i}": empty for i in range(len(self.decoder))}

    def _decode(self, state: dict[str, Tensor], tgt_in: Tensor) -> Tensor:
        y = self._embed(self.tgt_embed, tgt_in)                                      # (B, T, d)
        for block in self.decoder:
            y = block(y, state["memory"], memory_key_padding_mask=state["padding"], tgt_is_causal=True)
        return self.decoder_norm(y) @ self.tgt_embed.weight.T                        # (B, T, V)

    def decode_step(self, state: dict[str, Tensor], tokens: Tensor) -> tuple[Tensor, dict[str, Tensor], None]:
        """The next word's logits ``(B, V)`` after ``tokens (B,)``. The state caches each decoder block's
        inputs so far, so a step computes one position, not the whole prefix again."""
        steps = state["input0"].shape[1]
        if steps >= self.config.max_len:
            raise ValueError(f"the decoder's position table ends at max_len={self.config.max_len} words: "
                             f"decode with a smaller max_len")
        y = self.dropout(self.tgt_embed(tokens)[:, None] * math.sqrt(self.config.d_model)
                         + self.positions.table[steps].to(self.tgt_embed.weight.dtype))   # (B, 1, d)
        new_state = dict(state)
        for i, block in enumerate(self.decoder):
            cache = torch.cat([state[f"input{i}"], y], dim=1)                        # (B, t, d)
            new_state[f"input{i}"] = cache
            y = block.forward_last(cache, state["memory"], memory_key_padding_mask=state["padding"])
        return (self.decoder_norm(y) @ self.tgt_embed.weight.T)[:, 0], new_state, None

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing over the whole target at once: ``logits (B, T, V)`` and the loss."""
        logits = self._decode(self.encode(src, src_lengths), tgt_in)
        return logits, None if targets is None else cross_entropy(logits, targets)

    @torch.no_grad()
    def cross_attention(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """The last decoder block's cross-attention ``(B, T, S)``, averaged over heads."""
        with eval_mode(self):
            state = self.encode(src, src_lengths)
            y = self._embed(self.tgt_embed, tgt_in)
            for block in self.decoder[:-1]:
                y = block(y, state["memory"], memory_key_padding_mask=state["padding"], tgt_is_causal=True)
            weights = self.decoder[-1].cross_attention_weights(y, state["memory"],
                                                               memory_key_padding_mask=state["padding"])
        return weights.mean(dim=1)
