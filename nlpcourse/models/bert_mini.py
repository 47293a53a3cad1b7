"""BERT, whole, in one file (chapter 9): embeddings, chapter 7's encoder blocks, a pooler, and heads.

    x = LayerNorm(word[ids] + position[t] + segment[token_type])      # (B, T, H)
    x = block_L(... block_1(x))                                        # post-norm encoder blocks, GELU
    pooled = tanh(W x[:, 0] + b)                                       # the [CLS] vector, for sentence tasks

The parameters are those of Hugging Face's ``BertModel`` under our names, so the real pretrained
``all-MiniLM-L6-v2`` checkpoint loads into it (:meth:`BertModel.from_pretrained`) and gives the same
hidden states. Two options are ALBERT's (Lan et al. 2020): ``embedding_size`` smaller than the hidden
size factorises the embeddings (V × E, then E × H), and ``share_layers`` applies one block
``num_hidden_layers`` times. Heads: masked language modelling (tied to the word embeddings, scored
on the masked positions only), sentence classification, per-token tagging, and extractive question
answering (a start and an end score per token).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.checkpoint import load_state_exactly
from nlpcourse.config import RunConfig, TrainRecipe
from nlpcourse.losses import cross_entropy
from nlpcourse.tokens import IGNORE_INDEX
from nlpcourse.layers.transformer import TransformerEncoderBlock



@dataclasses.dataclass(frozen=True)
class BertConfig:
    """The sizes of a BERT encoder, with Hugging Face's ``BertConfig`` field names (chapter 9)."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    embedding_size: int | None = None      # ALBERT: word vectors of this size, projected to hidden_size
    share_layers: bool = False             # ALBERT: one block's parameters for every layer

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "max_position_embeddings", "type_vocab_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"num_attention_heads ({self.num_attention_heads}) must divide hidden_size "
                             f"({self.hidden_size})")
        if not 0 <= self.hidden_dropout_prob < 1:
            raise ValueError(f"hidden_dropout_prob must be in [0, 1), got {self.hidden_dropout_prob}")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"pad_token_id ({self.pad_token_id}) must be a token id below vocab_size ({self.vocab_size})")
        if self.embedding_size is not None and self.embedding_size < 1:
            raise ValueError(f"embedding_size must be a positive integer or None, got {self.embedding_size}")

    @property
    def embedding_dim(self) -> int:
        """The size of a word vector: ``embedding_size`` (ALBERT) or the hidden size."""
        return self.embedding_size or self.hidden_size

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, **variant: Any) -> "BertConfig":
        """Chapter 9's small BERT: quick 2 layers of 64, full 4 layers of 192 (3.4 M parameters with an
        8,192-piece vocabulary). ``variant`` overrides fields, e.g. ALBERT's ``embedding_size=64, share_layers=True``."""
        sizes = cfg.choose(quick=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=256),
                           full=dict(hidden_size=192, num_hidden_layers=4, num_attention_heads=4, intermediate_size=768))
        return cls(vocab_size=vocab_size, max_position_embeddings=cfg.choose(quick=128, full=256), **(sizes | variant))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Masked-LM pretraining: AdamW with warm-up then linear decay, one pass over the unlabelled reviews."""
        return cfg.choose(
            quick=TrainRecipe(batch_size=32, epochs=1, lr=2e-3, weight_decay=0.01, schedule="linear", warmup=0.1,
                              patience=None),
            full=TrainRecipe(batch_size=32, epochs=1, lr=7e-4, weight_decay=0.01, schedule="linear", warmup=0.06,
                             patience=None))

    @staticmethod
    def classifier_recipe(cfg: RunConfig) -> TrainRecipe:
        """Fine-tuning a classifier on labelled reviews, the same for a pretrained and a fresh encoder."""
        return cfg.choose(
            quick=TrainRecipe(batch_size=32, epochs=3, lr=1e-3, weight_decay=0.01, schedule="linear", warmup=0.1,
                              patience=None),
            full=TrainRecipe(batch_size=32, epochs=2, lr=2e-4, weight_decay=0.01, schedule="linear", warmup=0.1,
                             patience=None))

    @classmethod
    def from_hf(cls, config: Any) -> "BertConfig":
        """Our config from a Hugging Face ``BertConfig`` or a ``config.json`` dict (BERT architecture only)."""
        values = config if isinstance(config, dict) else config.to_dict()
        if values.get("model_type", "bert") != "bert":
            raise ValueError(f"a BERT config is needed, got model_type={values['model_type']!r}")
        if values.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"hidden_act must be 'gelu' (exact GELU), got {values['hidden_act']!r}")
        if values.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported, got "
                             f"{values['position_embedding_type']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


class BertEmbeddings(nn.Module):
    """Word + position + segment vectors, LayerNorm, dropout; projected to the hidden size when
    ``embedding_size`` is smaller (ALBERT's factorisation) (chapter 9)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        c, e = config, config.embedding_dim
        self.config = config
        self.word_embeddings = nn.Embedding(c.vocab_size, e, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, e)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, e)
        self.LayerNorm = nn.LayerNorm(e, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.projection = nn.Linear(e, c.hidden_size) if e != c.hidden_size else nn.Identity()

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        c = self.config
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (batch, time), got {tuple(input_ids.shape)}")
        steps = input_ids.shape[1]
        if steps > c.max_position_embeddings:
            raise ValueError(f"the sequences have {steps} tokens, more than the {c.max_position_embeddings} "
                             f"positions this model has: truncate them to max_length={c.max_position_embeddings}")
        if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= c.vocab_size):
            raise ValueError(f"input_ids must lie in [0, {c.vocab_size}), got values from {int(input_ids.min())} to "
                             f"{int(input_ids.max())}: was the text encoded with this model's vocabulary?")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        elif token_type_ids.shape != input_ids.shape:
            raise ValueError(f"token_type_ids must have input_ids' shape {tuple(input_ids.shape)}, "
                             f"got {tuple(token_type_ids.shape)}")
        positions = torch.arange(steps, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) \
            + self.token_type_embeddings(token_type_ids)                              # (B, T, E)
        return self.projection(self.dropout(self.LayerNorm(x)))                       # (B, T, H)


class BertModel(nn.Module):
    """The BERT encoder (chapter 9): ``forward(input_ids, attention_mask, token_type_ids)`` returns the last
    hidden states ``(B, T, H)`` and the pooled ``[CLS]`` vector ``(B, H)``, as ``transformers.BertModel``."""

    def __init__(self, config: BertConfig):
        super().__init__()
        c = self.config = config
        self.embeddings = BertEmbeddings(c)
        blocks = 1 if c.share_layers else c.num_hidden_layers
        self.blocks = nn.ModuleList(
            TransformerEncoderBlock(c.hidden_size, c.num_attention_heads, c.intermediate_size, c.hidden_dropout_prob,
                                    activation="gelu", layer_norm_eps=c.layer_norm_eps, norm_first=False)
            for _ in range(blocks))
        self.pooler = nn.Linear(c.hidden_size, c.hidden_size)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """BERT's initialisation: normal(0, 0.02) weights, zero biases, unit LayerNorms."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif hasattr(module, "in_proj_weight"):
            nn.init.normal_(module.in_proj_weight, std=0.02)

    def padding_mask(self, input_ids: Tensor, attention_mask: Tensor | None) -> Tensor | None:
        """``(B, T)`` True at padding, from Hugging Face's ``attention_mask`` (1 at real tokens, 0 at padding)."""
        if attention_mask is None:
            return None
        if attention_mask.shape != input_ids.shape:
            raise ValueError(f"attention_mask must have input_ids' shape {tuple(input_ids.shape)} (1 at real tokens, "
                             f"0 at padding), got {tuple(attention_mask.shape)}")
        padding = attention_mask == 0
        if padding.all(dim=1).any():
            raise ValueError("a row of attention_mask is all zeros: every sequence needs at least one real token")
        return padding

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None) -> tuple[Tensor, Tensor]:
        padding = self.padding_mask(input_ids, attention_mask)
        x = self.embeddings(input_ids, token_type_ids)                                  # (B, T, H)
        for layer in range(self.config.num_hidden_layers):
            x = self.blocks[layer % len(self.blocks)](x, src_key_padding_mask=padding)
        return x, torch.tanh(self.pooler(x[:, 0]))                                      # (B, T, H), (B, H)

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "BertModel":
        """A pretrained BERT from a Hugging Face model folder: ``config.json`` and ``model.safetensors``
        (never a pickled ``.bin``). Every tensor must fit: a mismatch raises, listing each one."""
        from safetensors.torch import load_file
        directory = Path(directory)
        config_file, weights_file = directory / "config.json", directory / "model.safetensors"
        for path in (config_file, weights_file):
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: a pretrained model folder needs config.json and "
                                        f"model.safetensors (pickled .bin files are not read)")
        model = cls(BertConfig.from_hf(json.loads(config_file.read_text())))
        return load_state_exactly(model, from_hf_state(load_file(str(weights_file))), str(weights_file))


def from_hf_state(state: dict[str, Tensor], prefix: str = "") -> dict[str, Tensor]:
    """Hugging Face BERT tensor names -> ours. Query, key and value projections are stacked into one
    ``in_proj_weight``, as ``nn.MultiheadAttention`` keeps them; ``position_ids`` (a buffer) is dropped.
    Names this mapping does not know are kept as they are, so that loading lists them."""
    state = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    renames = {"attention.output.dense": "self_attn.out_proj", "attention.output.LayerNorm": "norm1",
               "intermediate.dense": "linear1", "output.dense": "linear2", "output.LayerNorm": "norm2"}
    ours: dict[str, Tensor] = {}
    for name, tensor in state.items():
        if name == "embeddings.position_ids":
            continue
        if name.startswith("pooler.dense."):
            ours[name.replace("pooler.dense.", "pooler.")] = tensor
            continue
        if name.startswith("encoder.layer."):
            layer, rest = name.removeprefix("encoder.layer.").split(".", 1)
            if rest.startswith("attention.self."):
                if rest.startswith("attention.self.query."):
                    kind = rest.rsplit(".", 1)[1]                                   # weight or bias
                    ours[f"blocks.{layer}.self_attn.in_proj_{kind}"] = torch.cat(
                        [state[f"encoder.layer.{layer}.attention.self.{part}.{kind}"]
                         for part in ("query", "key", "value")])
                continue
            for theirs, mine in renames.items():
                if rest.startswith(theirs + "."):
                    rest = mine + rest[len(theirs):]
                    break
            ours[f"blocks.{layer}.{rest}"] = tensor
            continue
        ours[name] = tensor
    return ours


class MaskedLMHead(nn.Module):
    """BERT's masked-LM head (chapter 9): dense + GELU + LayerNorm, then scores over the vocabulary with the
    word embeddings' matrix (tied) and a bias of its own."""

    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.embedding_dim)
        self.LayerNorm = nn.LayerNorm(config.embedding_dim, eps=config.layer_norm_eps)
        self.word_embeddings = word_embeddings                                          # shared, not copied
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden: Tensor) -> Tensor:
        h = self.LayerNorm(F.gelu(self.dense(hidden)))                                  # (N, E)
        return F.linear(h, self.word_embeddings.weight, self.bias)                      # (N, V)


class BertForMaskedLM(nn.Module):
    """BERT with the masked-LM head (chapter 9). ``forward(input_ids, attention_mask, masked, targets)``:
    ``masked`` ``(B, T)`` is True where a token was hidden, ``targets`` ``(N,)`` the hidden tokens in the
    same (row-major) order; the logits ``(N, V)`` are computed at those positions only, where the loss is."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.head = MaskedLMHead(config, self.bert.embeddings.word_embeddings)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None, masked: Tensor | None = None,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        hidden, _ = self.bert(input_ids, attention_mask)
        if masked is None:
            return self.head(hidden), None                                              # (B, T, V) everywhere
        if masked.shape != input_ids.shape or masked.dtype != torch.bool:
            raise ValueError(f"masked must be a boolean tensor of input_ids' shape {tuple(input_ids.shape)}")
        logits = self.head(hidden[masked])                                              # (N, V)
        if targets is None:
            return logits, None
        if targets.shape != logits.shape[:1]:
            raise ValueError(f"targets must hold one token per masked position ({logits.shape[0]}), "
                             f"got shape {tuple(targets.shape)}")
        return logits, F.cross_entropy(logits.float(), targets, ignore_index=IGNORE_INDEX)


class BertClassifier(nn.Module):
    """A linear layer on a review's vector (chapter 9): ``forward(input_ids, attention_mask)`` returns
    ``(B, num_classes)`` logits. ``pooling="cls"`` reads BERT's pooled ``[CLS]`` vector, which next-sentence
    prediction trains; ``"mean"`` averages the real tokens' last hidden states, for encoders pretrained by
    masked language modelling alone (as ours), whose pooler never learned anything. ``freeze=True``
    trains the head alone (a linear probe)."""

    def __init__(self, bert: BertModel, num_classes: int = 2, pooling: str = "cls", dropout: float | None = None,
                 freeze: bool = False):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if pooling not in ("cls", "mean"):
            raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
        self.bert, self.pooling = bert.requires_grad_(not freeze), pooling
        self.dropout = nn.Dropout(bert.config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(bert.config.hidden_size, num_classes)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None, token_type_ids: Tensor | None = None,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        hidden, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        if self.pooling == "mean":
            real = (torch.ones_like(input_ids) if attention_mask is None else attention_mask)[..., None].to(hidden.dtype)
            pooled = (hidden * real).sum(dim=1) / real.sum(dim=1)                        # (B, H)
        logits = self.classifier(self.dropout(pooled))
        return logits, None if targets is None else cross_entropy(logits, targets)


class BertTokenTagger(nn.Module):
    """One label per token (named entities, parts of speech) from each token's last hidden state (chapter 9):
    ``(B, T, num_tags)`` logits; train with targets -100 at padding and at word pieces after a word's first."""

    def __init__(self, bert: BertModel, num_tags: int):
        super().__init__()
        if num_tags < 2:
            raise ValueError(f"num_tags must be >= 2, got {num_tags}")
        self.bert = bert
        self.dropout = nn.Dropout(bert.config.hidden_dropout_prob)
        self.classifier = nn.Linear(bert.config.hidden_size, num_tags)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None, token_type_ids: Tensor | None = None,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(logits (B, T, num_tags), cross-entropy loss over the tokens whose target is not -100, or None)``."""
        hidden, _ = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(self.dropout(hidden))                                  # (B, T, num_tags)
        return logits, None if targets is None else cross_entropy(logits, targets)


class BertSpanExtractor(nn.Module):
    """Extractive question answering (chapter 9): the question and the passage go in as one pair
    (``[CLS] question [SEP] passage [SEP]``); a start vector and an end vector score every token, and the
    answer is the passage span with the highest start + end score (:func:`best_span`)."""

    def __init__(self, bert: BertModel):
        super().__init__()
        self.bert = bert
        self.qa_outputs = nn.Linear(bert.config.hidden_size, 2)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None, token_type_ids: Tensor | None = None,
                targets: Tensor | None = None) -> tuple["SpanLogits", Tensor | None]:
        """``(SpanLogits(start, end), loss or None)``: ``targets`` ``(B, 2)`` holds each answer's first and
        last token; the loss is the mean of the start's and the end's cross-entropy, as BERT's."""
        hidden, _ = self.bert(input_ids, attention_mask, token_type_ids)
        start, end = self.qa_outputs(hidden).unbind(dim=-1)                             # (B, T) each
        if targets is None:
            return SpanLogits(start, end), None
        if targets.shape != (input_ids.shape[0], 2):
            raise ValueError(f"targets must hold each answer's (start, end) token: shape ({input_ids.shape[0]}, 2), "
                             f"got {tuple(targets.shape)}")
        loss = (cross_entropy(start, targets[:, 0]) + cross_entropy(end, targets[:, 1])) / 2
        return SpanLogits(start, end), loss


class SpanLogits(NamedTuple):
    """A span extractor's scores: ``start`` and ``end``, ``(B, T)`` each (chapter 9)."""

    start: Tensor
    end: Tensor


def best_span(start_logits: Tensor, end_logits: Tensor, allowed: Tensor, max_answer_tokens: int = 30) -> Tensor:
    """``(B, 2)`` the (start, end) of the highest-scoring answer per row: ``start <= end < start +
    max_answer_tokens``, both inside ``allowed`` ``(B, T)`` (True at passage tokens) (chapter 9)."""
    if start_logits.shape != end_logits.shape or start_logits.shape != allowed.shape:
        raise ValueError(f"start_logits, end_logits and allowed need one shape (batch, time), got "
                         f"{tuple(start_logits.shape)}, {tuple(end_logits.shape)}, {tuple(allowed.shape)}")
    if max_answer_tokens < 1:
        raise ValueError(f"max_answer_tokens must be >= 1, got {max_answer_tokens}")
    if not allowed.any(dim=1).all():
        raise ValueError("every row of allowed needs at least one passage token")
    steps = start_logits.shape[1]
    scores = start_logits[:, :, None] + end_logits[:, None, :]                          # (B, start, end)
    positions = torch.arange(steps, device=allowed.device)
    i, j = positions[:, None], positions[None, :]
    valid = (j >= i) & (j - i < max_answer_tokens)                                      # (T, T)
    valid = valid[None] & allowed[:, :, None] & allowed[:, None, :]
    flat = scores.masked_fill(~valid.to(scores.device), float("-inf")).flatten(1).argmax(dim=1)
    return torch.stack([flat // steps, flat % steps], dim=1)
