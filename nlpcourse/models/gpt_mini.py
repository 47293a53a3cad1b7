"""GPT, whole, in one file (chapter 9): a causal Transformer decoder with GPT-2's layout.

    x = wte[idx] + wpe[t]                                  # token and learned position vectors (B, T, C)
    x = block_L(... block_1(x))                            # pre-norm blocks of chapter 7, causal attention
    logits = LayerNorm(x) wteᵀ                             # output layer tied to the token embedding

``forward(idx, targets)`` returns ``(logits, loss)`` like every model of the course: ``targets[:, t]`` is
the token that follows ``idx[:, t]``, already aligned, -100 where nothing is predicted
(:func:`next_token_targets` builds them from a batch of ids).

Writing text is one token at a time. Without a cache each new token runs the whole prefix through
the model again; with the key-value cache (:meth:`GPT.forward_cached`) every block keeps the keys and
values it projected so far, and a step computes the new token's only. Past positions never change,
since attention is causal, so both ways give the same logits.

The parameters are GPT-2's under our names (:func:`from_hf_state`): Hugging Face's
``GPT2LMHeadModel`` loads into :class:`GPT` (:func:`load_hf_gpt2`) and gives the same logits.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.config import RunConfig, TrainRecipe
from nlpcourse.losses import cross_entropy
from nlpcourse.tokens import IGNORE_INDEX
from nlpcourse.checkpoint import load_state_exactly
from nlpcourse.layers.transformer import ACTIVATIONS, TransformerEncoderBlock
from nlpcourse.utils import check_int, eval_mode

__all__ = ["GPT", "GPTConfig", "KVCache", "filter_logits", "from_hf_state", "load_hf_gpt2", "next_token_targets"]

KVCache = list[tuple[Tensor, Tensor]]       # per block: keys and values so far, each (B, heads, T, head size)
HF_ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}
HF_NAMES = {"wte.": "token_embed.", "wpe.": "position_embed.", "ln_f.": "final_norm."}
HF_BLOCK_NAMES = {"ln_1.": "norm1.", "ln_2.": "norm2.", "attn.c_attn.": "self_attn.in_proj_",
                  "attn.c_proj.": "self_attn.out_proj.", "mlp.c_fc.": "linear1.", "mlp.c_proj.": "linear2."}
HF_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


@dataclasses.dataclass(frozen=True)
class GPTConfig:
    """The sizes of a GPT (chapter 9); the defaults are GPT-2 small's (124M parameters).

    One ``dropout`` rate for the embeddings, the attention weights and the residual branches."""

    vocab_size: int = 50257
    n_positions: int = 1024              # the longest sequence: one learned vector per position
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: int | None = None           # feed-forward width, 4 * n_embd when None
    dropout: float = 0.1
    layer_norm_eps: float = 1e-5
    activation: str = "gelu_tanh"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
            check_int(name, getattr(self, name), minimum=1)
        if self.n_inner is not None:
            check_int("n_inner", self.n_inner, minimum=1, hint="or None for 4 * n_embd")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_head ({self.n_head}) must divide n_embd ({self.n_embd}): each head gets "
                             f"n_embd / n_head dimensions")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.layer_norm_eps > 0:
            raise ValueError(f"layer_norm_eps must be > 0, got {self.layer_norm_eps}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, **variant: Any) -> "GPTConfig":
        """Chapter 9's GPT: quick 2 layers of 64, full 4 layers of 192, positions for two windows."""
        sizes = cfg.choose(quick=dict(n_embd=64, n_layer=2, n_head=2), full=dict(n_embd=192, n_layer=4, n_head=4))
        return cls(vocab_size=vocab_size, n_positions=cfg.choose(quick=128, full=256), **(sizes | variant))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Language-model training, the same as the biLM's (:func:`nlpcourse.models.elmo.lm_recipe`)."""
        from nlpcourse.models.elmo import lm_recipe
        return lm_recipe(cfg)

    @property
    def feedforward_size(self) -> int:
        return self.n_inner or 4 * self.n_embd

    @classmethod
    def from_hf(cls, config: Any) -> "GPTConfig":
        """Our config from a Hugging Face ``GPT2Config`` (or its ``config.json`` dict). GPT-2's three dropout
        rates become one, ``resid_pdrop``; options that change what the model computes are refused."""
        values = config if isinstance(config, dict) else config.to_dict()
        if values.get("model_type", "gpt2") != "gpt2":
            raise ValueError(f"a GPT-2 config is needed, got model_type={values['model_type']!r}")
        activation = values.get("activation_function", "gelu_new")
        if activation not in HF_ACTIVATIONS:
            raise ValueError(f"activation_function must be one of {', '.join(HF_ACTIVATIONS)}, got {activation!r}")
        unsupported = {"scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
                       "add_cross_attention": False, "tie_word_embeddings": True}
        for name, needed in unsupported.items():
            if values.get(name, needed) != needed:
                raise ValueError(f"{name}={values[name]!r} is not supported: GPT needs {name}={needed}")
        return cls(vocab_size=values["vocab_size"], n_positions=values["n_positions"], n_embd=values["n_embd"],
                   n_layer=values["n_layer"], n_head=values["n_head"], n_inner=values.get("n_inner"),
                   dropout=values.get("resid_pdrop", 0.1), layer_norm_eps=values.get("layer_norm_epsilon", 1e-5),
                   activation=HF_ACTIVATIONS[activation])

    def to_hf(self) -> Any:
        """The Hugging Face ``GPT2Config`` of a model of these sizes (each of its dropout rates ``dropout``)."""
        from transformers import GPT2Config
        activation = {"gelu_tanh": "gelu_new"}.get(self.activation, self.activation)
        return GPT2Config(vocab_size=self.vocab_size, n_positions=self.n_positions, n_embd=self.n_embd,
                          n_layer=self.n_layer, n_head=self.n_head, n_inner=self.n_inner,
                          activation_function=activation, resid_pdrop=self.dropout, embd_pdrop=self.dropout,
                          attn_pdrop=self.dropout, layer_norm_epsilon=self.layer_norm_eps,
                          bos_token_id=None, eos_token_id=None)


class GPT(nn.Module):
    """A causal Transformer language model with GPT-2's layout (chapter 9): ``forward(idx, targets, padding)``
    returns ``(logits (B, T, V), loss or None)``."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        c = self.config = config
        self.token_embed = nn.Embedding(c.vocab_size, c.n_embd)
        self.position_embed = nn.Embedding(c.n_positions, c.n_embd)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            TransformerEncoderBlock(c.n_embd, c.n_head, c.feedforward_size, c.dropout, activation=c.activation,
                                    layer_norm_eps=c.layer_norm_eps, norm_first=True)
            for _ in range(c.n_layer))
        self.final_norm = nn.LayerNorm(c.n_embd, eps=c.layer_norm_eps)
        self._init_weights()

    def _init_weights(self) -> None:
        """GPT-2's initialisation: normal(0, 0.02) weights, zero biases, unit LayerNorms; the projections that
        write into the residual stream get std 0.02 / √(2 n_layer), so its variance does not grow with depth."""
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if "norm" in name:
                    continue                                       # LayerNorm: ones and zeros already
                if name.endswith("bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, residual_std if name.endswith(("out_proj.weight", "linear2.weight")) else 0.02)

    def _check(self, idx: Tensor, past: int = 0) -> None:
        if not isinstance(idx, Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            raise ValueError(f"idx must be a (batch, time) tensor of token ids (torch.long), got "
                             f"{tuple(idx.shape) if isinstance(idx, Tensor) else type(idx).__name__}")
        limit, vocab = self.config.n_positions, self.config.vocab_size
        if past + idx.shape[1] > limit:
            counts = f" ({past} cached + {idx.shape[1]} new)" if past else ""
            raise ValueError(f"{past + idx.shape[1]} tokens{counts} exceed n_positions={limit}, the length of the "
                             f"position table: keep the last {limit} tokens, e.g. idx[:, -{limit}:]")
        if idx.numel() and (idx.min() < 0 or idx.max() >= vocab):
            raise ValueError(f"token ids must lie in [0, {vocab}), got values from {int(idx.min())} to "
                             f"{int(idx.max())}: was the text encoded with this model's vocabulary?")

    def _logits(self, x: Tensor) -> Tensor:
        return F.linear(self.final_norm(x), self.token_embed.weight)                  # (B, T, V), tied

    def forward(self, idx: Tensor, targets: Tensor | None = None,
                padding: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``idx`` ``(B, T)``; ``targets`` ``(B, T)`` the next tokens, -100 where nothing is predicted;
        ``padding`` ``(B, T)`` True at padding (left or right): no token attends to it, and each row's
        positions count its real tokens only, so a padded row gives the logits it gives alone."""
        self._check(idx)
        steps = idx.shape[1]
        if padding is None:
            positions = torch.arange(steps, device=idx.device)[None]                 # (1, T)
        else:
            if padding.shape != idx.shape or padding.dtype != torch.bool:
                raise ValueError(f"padding must be a boolean tensor of idx's shape {tuple(idx.shape)}, True "
                                 f"at padding; got {padding.dtype} {tuple(padding.shape)}")
            positions = ((~padding).cumsum(dim=1) - 1).clamp(min=0)                   # (B, T)
        x = self.dropout(self.token_embed(idx) + self.position_embed(positions))     # (B, T, C)
        for block in self.blocks:
            x = block(x, src_key_padding_mask=padding, is_causal=True)
        logits = self._logits(x)
        return logits, None if targets is None else cross_entropy(logits, targets)

    def forward_cached(self, idx: Tensor, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """Logits ``(B, T_new, V)`` for the tokens ``idx`` ``(B, T_new)`` that follow those the ``cache``
        has seen (none when it is None), and the cache extended by them. No padding."""
        past = 0 if cache is None else cache[0][0].shape[2]
        self._check(idx, past)
        positions = torch.arange(past, past + idx.shape[1], device=idx.device)
        x = self.dropout(self.token_embed(idx) + self.position_embed(positions))     # (B, T_new, C)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, keys_values = self._block_cached(block, x, None if cache is None else cache[i])
            new_cache.append(keys_values)
        return self._logits(x), new_cache

    @staticmethod
    def _block_cached(block: TransformerEncoderBlock, x: Tensor,
                      past: tuple[Tensor, Tensor] | None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``block(x, is_causal=True)`` for new positions ``x`` ``(B, T_new, C)`` after the cached ones, with
        the block's own parameters: project the new tokens' queries, keys and values, append the keys and
        values to the cache, and let each new query attend to every key up to its own position."""
        attn = block.self_attn
        batch, new, width = x.shape
        qkv = F.linear(block.norm1(x), attn.in_proj_weight, attn.in_proj_bias)        # (B, T_new, 3C)
        q, k, v = (h.view(batch, new, attn.num_heads, attn.head_dim).transpose(1, 2)
                   for h in qkv.chunk(3, dim=-1))                                      # (B, heads, T_new, hs)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)      # (B, heads, T, hs)
        seen = k.shape[2]
        # new query i sits at position seen - new + i and may attend to keys 0 ... seen - new + i
        allowed = None if new == 1 else torch.ones(new, seen, dtype=torch.bool, device=x.device).tril(seen - new)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                             dropout_p=attn.dropout if block.training else 0.0)
        x = x + block.dropout1(attn.out_proj(out.transpose(1, 2).reshape(batch, new, width)))
        h = block.linear2(block.dropout(block.activation(block.linear1(block.norm2(x)))))
        return x + block.dropout2(h), (k, v)                                           # (B, T_new, C)

    @torch.no_grad()
    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, use_cache: bool = True, generator: torch.Generator | None = None,
                 eos_id: int | None = None) -> Tensor:
        """``idx`` ``(B, T)`` followed by up to ``max_new_tokens`` sampled tokens, in eval mode (chapter 9).

        Each step samples from ``softmax(filter_logits(logits / temperature, top_k, top_p))``;
        ``temperature=0`` takes the most likely token (greedy). With ``eos_id``, a row that wrote it
        repeats it, and generation stops once every row has. Prompt plus new tokens must fit in
        ``n_positions``: the context is never cropped, so the cache and the full recomputation agree.
        """
        self._check_generation(idx, max_new_tokens, temperature, top_k, top_p, eos_id)
        with eval_mode(self):
            cache, new = None, idx                    # new: the tokens the model has not read yet
            done = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
            for _ in range(max_new_tokens):
                if use_cache:
                    logits, cache = self.forward_cached(new, cache)
                else:
                    logits, _ = self(idx)
                logits = logits[:, -1].float()                                         # (B, V)
                if temperature == 0:
                    token = logits.argmax(dim=-1)                                      # (B,)
                else:
                    probs = torch.softmax(filter_logits(logits / temperature, top_k, top_p), dim=-1)
                    token = torch.multinomial(probs, 1, generator=generator)[:, 0]
                if eos_id is not None:
                    token = torch.where(done, eos_id, token)                           # a finished row repeats eos
                    done |= token == eos_id
                idx, new = torch.cat([idx, token[:, None]], dim=1), token[:, None]
                if done.all():
                    break
        return idx

    def _check_generation(self, idx: Tensor, max_new_tokens: int, temperature: float, top_k: int | None,
                          top_p: float | None, eos_id: int | None) -> None:
        check_int("max_new_tokens", max_new_tokens, minimum=1)
        if not (isinstance(temperature, (int, float)) and 0 <= temperature < math.inf):
            raise ValueError(f"temperature must be a number >= 0 (0: always the most likely token), "
                             f"got {temperature!r}")
        _check_filters(top_k, top_p)
        if eos_id is not None:
            check_int("eos_id", eos_id, maximum=self.config.vocab_size - 1)
        self._check(idx)
        room = self.config.n_positions - max_new_tokens
        if idx.shape[1] > room:
            raise ValueError(f"a prompt of {idx.shape[1]} tokens plus max_new_tokens={max_new_tokens} exceeds "
                             f"n_positions={self.config.n_positions}: keep the prompt's last {max(room, 0)} tokens "
                             f"(idx[:, -{max(room, 1)}:]) or ask for fewer new tokens")
        if idx.shape[1] < 1:
            raise ValueError("the prompt idx is empty: start from at least one token, e.g. an end-of-text id")

    @classmethod
    def from_hf(cls, hf_model: Any) -> "GPT":
        """Our GPT with the weights of a Hugging Face ``GPT2LMHeadModel`` (chapter 9)."""
        return load_hf_gpt2(hf_model)


def _check_filters(top_k: int | None, top_p: float | None) -> None:
    if top_k is not None:
        check_int("top_k", top_k, minimum=1, hint="the number of most likely tokens kept, or None for all")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], the probability mass kept (or None for all), got {top_p!r}")


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """``logits`` ``(..., V)`` with -inf outside the ``top_k`` most likely tokens (ties kept), then outside
    the nucleus: the most likely tokens whose probabilities, summed in decreasing order, first reach
    ``top_p`` (Holtzman et al. 2020). The most likely token always stays (chapter 9)."""
    _check_filters(top_k, top_p)
    if top_k is not None:
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[..., -1:]     # (..., 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:                     # 1: the whole mass, every token
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs          # of the tokens more likely than this one
        outside = mass_before >= top_p                      # (..., V) in sorted order
        drop = outside.scatter(-1, order, outside)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def next_token_targets(ids: Tensor, padding: Tensor | None = None) -> Tensor:
    """``(B, T)`` targets for ``forward(ids, targets)``: ``ids`` shifted left by one, -100 at the last position
    (nothing follows it) and wherever the next token is padding (``padding`` True at padding) (chapter 9)."""
    targets = torch.full_like(ids, IGNORE_INDEX)
    targets[:, :-1] = ids[:, 1:]
    if padding is not None:
        targets[:, :-1] = targets[:, :-1].masked_fill(padding[:, 1:] | padding[:, :-1], IGNORE_INDEX)
    return targets


def from_hf_state(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Hugging Face GPT-2 tensor names -> ours (chapter 9). GPT-2's ``Conv1D`` layers compute ``x W + b``, so
    their weights are ``nn.Linear``'s transposed; ``c_attn`` holds the query, key and value projections one
    after the other along its output, as ``in_proj_weight`` does. The causal-mask buffers of old checkpoints
    are dropped, and ``lm_head.weight`` too, after checking that it is the token embedding (tied).
    Names this mapping does not know are kept as they are, so that loading lists them."""
    ours: dict[str, Tensor] = {}
    for name, tensor in state.items():
        name = name.removeprefix("transformer.")
        if name.endswith((".attn.bias", ".attn.masked_bias")):
            continue                                               # buffers: the causal mask, not weights
        if name == "lm_head.weight":
            embedding = state.get("transformer.wte.weight", state.get("wte.weight"))
            if embedding is not None and not torch.equal(tensor, embedding):
                raise ValueError("lm_head.weight differs from the token embedding wte.weight: GPT ties them, "
                                 "so this untied checkpoint cannot be loaded")
            continue
        if name.startswith("h."):
            layer, rest = name.removeprefix("h.").split(".", 1)
            ours[f"blocks.{layer}.{_rename(rest, HF_BLOCK_NAMES)}"] = tensor.T if rest in HF_CONV1D else tensor
        else:
            ours[_rename(name, HF_NAMES)] = tensor
    return ours


def _rename(name: str, renames: dict[str, str]) -> str:
    """``name`` with the first of ``renames``' prefixes it starts with replaced."""
    for theirs, mine in renames.items():
        if name.startswith(theirs):
            return mine + name.removeprefix(theirs)
    return name


def load_hf_gpt2(source: Any, config: GPTConfig | None = None) -> GPT:
    """A :class:`GPT` with the weights of a Hugging Face ``GPT2LMHeadModel`` (or ``GPT2Model``), or of its state
    dict. The config comes from the model, or from ``config`` (needed for a bare state dict). Every tensor
    must fit: a mismatch raises one error listing each (chapter 9)."""
    if isinstance(source, dict):
        if config is None:
            raise ValueError("a state dict does not say how many heads the model has: pass "
                             "config=GPTConfig.from_hf(hf_config) with it")
        state, where = source, "the GPT-2 state dict"
    else:
        config = GPTConfig.from_hf(source.config) if config is None else config
        state, where = source.state_dict(), f"the {type(source).__name__}"
    return load_state_exactly(GPT(config), from_hf_state(state), where)
