"""ELMo at small scale (Peters et al. 2018): a bidirectional LSTM language model whose layers, mixed, are features (chapter 9).

    x_t = embed(token_t)                               # layer 0: the same vector in every sentence
    f_t^j = LSTM_j^fwd(f_1^{j-1} .. f_t^{j-1})          # reads left to right, predicts token_{t+1}
    b_t^j = LSTM_j^bwd(b_n^{j-1} .. b_t^{j-1})          # reads right to left, predicts token_{t-1}
    h_t^j = [f_t^j; b_t^j],  h_t^0 = [x_t; x_t]
    ELMo_t = gamma * sum_j softmax(s)_j * h_t^j         # learned per task (ScalarMix)

The two directions are two separate LSTM stacks that share only the token embedding and the
softmax layer (tied to the embedding). Rows are padded at the end; the backward stack reads each
row reversed within its own length, so a row's states never depend on how far it was padded.
Pretraining batches are ``(idx, bilm_targets(idx))``: the targets ``(B, 2, T)`` hold the next token
(forward LM) and the previous token (backward LM) at every position, ``IGNORE_INDEX`` where there
is none; the logits ``(B, 2, T, V)`` line up with them, so :func:`nlpcourse.train.fit` and
``evaluate`` score both directions at once (their perplexity is the geometric mean of the two).
"""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nlpcourse.config import RunConfig, TrainRecipe
from nlpcourse.losses import cross_entropy
from nlpcourse.tokens import IGNORE_INDEX
from nlpcourse.utils import eval_mode

__all__ = ["BiLM", "ELMoClassifier", "ELMoConfig", "ScalarMix", "bilm_targets", "lm_recipe", "lm_window", "reverse_padded"]


@dataclasses.dataclass(frozen=True)
class ELMoConfig:
    """Sizes of the biLM (chapter 9). The paper's: 4096 LSTM cells projected to 512, 2 layers, dropout 0.1."""

    vocab_size: int
    embed_dim: int = 256
    hidden_size: int = 256                # each direction's LSTM state; a layer's ELMo vector is twice this
    num_layers: int = 2
    dropout: float = 0.1
    pad_index: int = 0
    tie_embeddings: bool = True           # the softmax reuses the token embedding (projected when sizes differ)
    residual: bool = True                 # layer j >= 2 adds its input to its output, as in the paper

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embed_dim", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (2 if name == "vocab_size" else 1):
                raise ValueError(f"{name} must be an integer >= {2 if name == 'vocab_size' else 1}, got {value!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 <= self.pad_index < self.vocab_size:
            raise ValueError(f"pad_index ({self.pad_index}) must be a token id below vocab_size ({self.vocab_size})")

    @classmethod
    def preset(cls, cfg: RunConfig, vocab_size: int, **variant) -> "ELMoConfig":
        """Chapter 9's biLM: quick 64-dimensional embeddings and 128 LSTM cells per direction, full 128 and 256."""
        return cls(vocab_size, **(cfg.choose(quick=dict(embed_dim=64, hidden_size=128),
                                             full=dict(embed_dim=128, hidden_size=256)) | variant))

    @staticmethod
    def recipe(cfg: RunConfig) -> TrainRecipe:
        """Language-model training of the biLM (the same as GPT's): AdamW, warm-up, linear decay, one pass."""
        return lm_recipe(cfg)

    @staticmethod
    def classifier_recipe(cfg: RunConfig) -> TrainRecipe:
        """Training of the classifier on the frozen biLM's features (its mix and one linear layer only)."""
        return cfg.choose(quick=TrainRecipe(batch_size=32, epochs=4, lr=3e-3, schedule="linear", warmup=0.1,
                                            patience=None),
                          full=TrainRecipe(batch_size=32, epochs=2, lr=2e-3, schedule="linear", warmup=0.1,
                                           patience=None))


def lm_recipe(cfg: RunConfig) -> TrainRecipe:
    """Chapter 9's language-model training, shared by the biLM and GPT so that their perplexities compare:
    AdamW, warm-up, linear decay, one pass over windows of the unlabelled reviews."""
    return cfg.choose(
        quick=TrainRecipe(batch_size=16, epochs=1, lr=3e-3, weight_decay=0.01, schedule="linear", warmup=0.05,
                          patience=None),
        full=TrainRecipe(batch_size=32, epochs=1, lr=1e-3, weight_decay=0.01, schedule="linear", warmup=0.05,
                         patience=None))


def lm_window(cfg: RunConfig) -> int:
    """Tokens a chapter-9 language model reads at once."""
    return cfg.choose(quick=64, full=128)


def sequence_lengths(idx: Tensor, pad_index: int) -> Tensor:
    """``(B,)`` real tokens per row of ``idx (B, T)``, after checking that padding only ends rows (chapter 9)."""
    if idx.dim() != 2:
        raise ValueError(f"idx must be token ids of shape (batch, time), got shape {tuple(idx.shape)}")
    real = idx != pad_index                                              # (B, T)
    if (real[:, 1:] & ~real[:, :-1]).any():
        raise ValueError(f"a row has a token after padding (pad_index={pad_index}): pad at the end of each row")
    return real.sum(dim=1)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Each row of ``x (B, T, ...)`` reversed within its first ``lengths[b]`` steps; padding stays at the end.

    ``[a, b, c, pad, pad]`` becomes ``[c, b, a, pad, pad]``; applied twice, it gives ``x`` back (chapter 9).
    """
    t = torch.arange(x.shape[1], device=x.device)[None, :]             # (1, T)
    n = lengths.to(x.device)[:, None]                                  # (B, 1)
    index = torch.where(t < n, n - 1 - t, t)                           # (B, T)
    index = index.view(*index.shape, *[1] * (x.dim() - 2)).expand_as(x)
    return x.gather(1, index)


def bilm_targets(idx: Tensor, pad_index: int = 0) -> Tensor:
    """``(B, 2, T)`` targets of ``idx (B, T)``: ``[:, 0]`` the next token, ``[:, 1]`` the previous one,
    ``IGNORE_INDEX`` where there is none. Both directions get ``length - 1`` targets per row (chapter 9)."""
    idx = torch.as_tensor(idx).long()
    real = torch.arange(idx.shape[-1], device=idx.device)[None, :] < sequence_lengths(idx, pad_index)[:, None]
    targets = torch.full((idx.shape[0], 2, idx.shape[1]), IGNORE_INDEX, dtype=torch.long, device=idx.device)
    targets[:, 0, :-1] = idx[:, 1:].masked_fill(~real[:, 1:], IGNORE_INDEX)   # t predicts t+1 if it exists
    targets[:, 1, 1:] = idx[:, :-1].masked_fill(~real[:, 1:], IGNORE_INDEX)   # t predicts t-1 if t is real
    return targets


class BiLM(nn.Module):
    """Token embedding -> forward LSTM stack and backward LSTM stack -> one shared softmax (chapter 9).

    ``forward(idx, targets=None)`` returns ``logits (B, 2, T, V)`` (forward LM, backward LM) and the
    mean cross-entropy over both directions' targets (see :func:`bilm_targets`).
    """

    def __init__(self, config: ELMoConfig):
        super().__init__()
        c, E, H = config, config.embed_dim, config.hidden_size
        self.config = c
        self.embedding = nn.Embedding(c.vocab_size, E)
        self.input_projection = nn.Linear(E, H) if E != H else nn.Identity()   # x_t has the LSTMs' size
        self.forward_layers = nn.ModuleList(nn.LSTM(H, H, batch_first=True) for _ in range(c.num_layers))
        self.backward_layers = nn.ModuleList(nn.LSTM(H, H, batch_first=True) for _ in range(c.num_layers))
        self.dropout = nn.Dropout(c.dropout)
        tied = c.tie_embeddings
        self.output_projection = nn.Linear(H, E, bias=False) if tied and E != H else nn.Identity()
        self.output = nn.Linear(E if tied else H, c.vocab_size)
        with torch.no_grad():
            nn.init.uniform_(self.embedding.weight, -0.05, 0.05)      # small logits at the start when tied
            for lstm in [*self.forward_layers, *self.backward_layers]:
                lstm.bias_ih_l0[H:2 * H] = 1.0                          # forget gate open: remember by default
        if tied:
            self.output.weight = self.embedding.weight                 # (V, E), one matrix, as in nanoGPT

    def token_vectors(self, idx: Tensor) -> Tensor:
        """The context-free vectors ``x (B, T, H)``; checks ``idx``."""
        if idx.dim() == 2 and idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.config.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size}) (vocab_size), "
                             f"got ids from {int(idx.min())} to {int(idx.max())}")
        sequence_lengths(idx, self.config.pad_index)
        return self.input_projection(self.embedding(idx))

    def _run_stack(self, layers: nn.ModuleList, x: Tensor) -> list[Tensor]:
        """Each layer's states ``(B, T, H)``, left to right over ``x``; dropout between layers."""
        outputs, h = [], x
        with torch.autocast(x.device.type, enabled=False):            # float32: not every cuDNN has bf16 RNNs
            for j, lstm in enumerate(layers):
                out, _ = lstm(self.dropout(h).float())                  # (B, T, H)
                h = out + h if self.config.residual and j > 0 else out
                outputs.append(h)
        return outputs

    def states(self, idx: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """``x (B, T, H)`` and, per layer, the forward and the backward states ``(B, T, H)``, in reading order
        of the sentence: ``backward[j][:, t]`` has read the tokens ``t .. length - 1`` of its row."""
        x = self.token_vectors(idx)                                     # (B, T, H)
        lengths = sequence_lengths(idx, self.config.pad_index)
        forward = self._run_stack(self.forward_layers, x)
        backward = self._run_stack(self.backward_layers, reverse_padded(x, lengths))
        return x, forward, [reverse_padded(b, lengths) for b in backward]

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        _, forward, backward = self.states(idx)
        top = torch.stack([forward[-1], backward[-1]], dim=1)          # (B, 2, T, H)
        logits = self.output(self.output_projection(self.dropout(top)))  # (B, 2, T, V)
        if targets is None:
            return logits, None
        if targets.shape != logits.shape[:-1]:
            raise ValueError(f"targets must be bilm_targets(idx) of shape {tuple(logits.shape[:-1])} (batch, 2, time), "
                             f"got {tuple(targets.shape)}")
        return logits, cross_entropy(logits, targets)                   # = the mean of the two directions' losses

    def token_layer(self, idx: Tensor) -> Tensor:
        """Layer 0, ``[x; x] (B, T, 2H)``, zero at padding: the context-free vector at a layer's width."""
        x = self.token_vectors(idx)
        real = (idx != self.config.pad_index)[..., None]               # (B, T, 1)
        return torch.cat([x, x], dim=-1) * real

    def layer_outputs(self, idx: Tensor) -> Tensor:
        """``(L + 1, B, T, 2H)``: layer 0 is ``[x; x]``, layer j is ``[forward_j; backward_j]``; zero at padding."""
        x, forward, backward = self.states(idx)
        real = (idx != self.config.pad_index)[..., None]               # (B, T, 1)
        layers = [torch.cat([x, x], dim=-1)] + [torch.cat(pair, dim=-1) for pair in zip(forward, backward)]
        return torch.stack(layers) * real

    @torch.no_grad()
    def perplexities(self, idx: Tensor, batch_size: int = 64) -> dict[str, float]:
        """Perplexity of each direction on ``idx (N, T)``, read in batches in eval mode:
        ``{"forward": ..., "backward": ...}``."""
        device = next(self.parameters()).device
        nll, count = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
        with eval_mode(self):
            for start in range(0, len(idx), batch_size):
                chunk = torch.as_tensor(idx[start:start + batch_size]).long().to(device)
                targets = bilm_targets(chunk, self.config.pad_index)    # (B, 2, T)
                logits, _ = self(chunk)
                losses = F.cross_entropy(logits.flatten(0, 2).float(), targets.flatten(), ignore_index=IGNORE_INDEX,
                                         reduction="none").view(targets.shape)
                nll += losses.sum(dim=(0, 2)).double().cpu()
                count += (targets != IGNORE_INDEX).sum(dim=(0, 2)).double().cpu()
        if not count.all():
            raise ValueError("idx has no row of two or more tokens: there is nothing to predict")
        return {name: math.exp(float(nll[d] / count[d])) for d, name in enumerate(("forward", "backward"))}


class ScalarMix(nn.Module):
    """``gamma * sum_j softmax(s)_j * h_j``: a task's own weighting of the biLM's layers (chapter 9).

    ``layer_norm=True`` normalises each layer's vectors first (the paper found it helps at times)."""

    def __init__(self, num_layers: int, layer_norm: bool = False):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.layer_norm = layer_norm
        self.scalars = nn.Parameter(torch.zeros(num_layers))           # s: equal weights at the start
        self.gamma = nn.Parameter(torch.ones(()))

    def forward(self, layers: Tensor) -> Tensor:
        """``layers (N, B, T, D)`` -> ``(B, T, D)``."""
        if layers.shape[0] != len(self.scalars):
            raise ValueError(f"expected {len(self.scalars)} layers stacked on dimension 0, got shape {tuple(layers.shape)}")
        if self.layer_norm:
            layers = F.layer_norm(layers, layers.shape[-1:])
        w = self.scalars.softmax(dim=0)                                 # (N,)
        return self.gamma * torch.einsum("n,nbtd->btd", w, layers)

    def weights(self) -> Tensor:
        """The softmax weights ``(N,)``, one per layer, detached for plotting."""
        return self.scalars.detach().softmax(dim=0)


class ELMoClassifier(nn.Module):
    """A frozen biLM -> ScalarMix -> mean over the real tokens -> standardised -> dropout -> linear (chapter 9).

    The standardisation (a ``BatchNorm1d`` without learned scale) matters: averaged over a review, frozen
    word vectors differ from review to review by little next to what they share, and a linear layer on
    them would need huge weights before it predicted anything (logistic regression standardises its
    features for the same reason). Train it on randomly drawn batches, not batches of one length, whose
    statistics differ from the whole set's. The mean pools better than the maximum here: on 3,000 IMDB
    reviews with the full profile's biLM, logistic regression reached 69 % validation accuracy on the
    layers' means and 64 % on means and maxima together.

    ``layers``: ``"all"`` mixes layers 0..L (ELMo), ``"top"`` uses the top LSTM layer only, ``"static"``
    layer 0 only: the same classifier on context-free vectors. ``forward(idx)`` returns ``(B, num_classes)``.
    """

    LAYERS = ("all", "top", "static")

    def __init__(self, bilm: BiLM, num_classes: int = 2, layers: str = "all", dropout: float = 0.2,
                 layer_norm: bool = False):
        super().__init__()
        if layers not in self.LAYERS:
            raise ValueError(f"layers must be one of {self.LAYERS}, got {layers!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.layers = layers
        self.bilm = bilm.requires_grad_(False).eval()                  # pretrained features, never trained here
        self.mix = ScalarMix(bilm.config.num_layers + 1 if layers == "all" else 1, layer_norm)
        self.norm = nn.BatchNorm1d(2 * bilm.config.hidden_size, affine=False)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * bilm.config.hidden_size, num_classes)   # the mean of 2H-vectors

    def train(self, mode: bool = True) -> ELMoClassifier:
        super().train(mode)
        self.bilm.eval()                                                # no dropout inside the frozen biLM
        return self

    def features(self, idx: Tensor) -> Tensor:
        """The biLM's layers this classifier mixes: ``(N, B, T, 2H)``, computed without gradients."""
        with torch.no_grad():
            if self.layers == "static":
                return self.bilm.token_layer(idx)[None]                 # the LSTMs are not even run
            all_layers = self.bilm.layer_outputs(idx)                   # (L + 1, B, T, 2H)
            return all_layers if self.layers == "all" else all_layers[-1:]

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(logits (B, num_classes), cross-entropy loss or None without targets)``."""
        h = self.mix(self.features(idx))                                # (B, T, 2H)
        real = (idx != self.bilm.config.pad_index)[..., None]          # (B, T, 1)
        mean = (h * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)    # (B, 2H)
        pooled = self.norm(mean)                                        # (B, 2H), each feature standardised
        logits = self.classifier(self.dropout(pooled))                  # (B, num_classes)
        return logits, None if targets is None else cross_entropy(logits, targets)
