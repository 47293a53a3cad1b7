"""Writing a translation word by word: greedy decoding and beam search, batched (chapter 8).

Any model with ``encode(src, src_lengths) -> state`` (a dict of tensors, batch first) and
``decode_step(state, tokens) -> (logits, state, weights)`` can be decoded: the GRU
encoder-decoder and the Transformer of chapter 8 both are.

A hypothesis's score is its log-probability under the model, the ``<eos>`` included. Beam
search keeps the ``beam_width`` best prefixes of every sentence; a finished one stays in its
beam and is extended only by ``<eos>`` at no cost, so it keeps its score. The winner maximises
``score / length ** length_penalty``: with 0, the plain log-probability, which favours short
outputs; with 1, the mean log-probability per word.

Beam search is not exact: the greedy path can be pruned early while the prefixes that replaced it
end worse (a search error). With ``keep_greedy=True`` (the default) the greedy hypothesis, one more
beam's worth of work, competes at the end too, so a wider beam never loses to greedy decoding.
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from nlpcourse.tokens import BOS, EOS, TRANSLATION_SPECIALS as SPECIALS
from nlpcourse.utils import check_int, eval_mode

BOS_INDEX, EOS_INDEX = SPECIALS.index(BOS), SPECIALS.index(EOS)      # the same in both vocabularies


@dataclasses.dataclass
class Hypotheses:
    """The decoded sentences of a batch: token indices without ``<bos>``/``<eos>``, and their scores."""

    tokens: list[list[int]]
    scores: list[float]            # log-probability under the model, <eos> included
    finished: list[bool]           # False: cut at max_len before <eos>


def _reorder(state: dict[str, Tensor], rows: Tensor) -> dict[str, Tensor]:
    """The state of the rows ``rows`` (beams that survive, or copies of one sentence)."""
    return {name: value.index_select(0, rows) for name, value in state.items()}


def _check(beam_width: int, max_len: int) -> None:
    check_int("beam_width", beam_width, minimum=1, hint="the number of hypotheses kept per sentence; 1 is greedy")
    check_int("max_len", max_len, minimum=1, hint="the longest output in words, e.g. twice the source length")


def _cut(rows: Tensor, eos: int) -> tuple[list[list[int]], list[bool]]:
    """Each row up to its first ``<eos>`` (excluded), and whether it had one."""
    tokens, finished = [], []
    for row in rows.tolist():
        end = row.index(eos) if eos in row else len(row)
        tokens.append(row[:end])
        finished.append(end < len(row))
    return tokens, finished


@torch.no_grad()
def greedy_decode(model, src: Tensor, src_lengths: Tensor, max_len: int, bos: int = BOS_INDEX,
                  eos: int = EOS_INDEX) -> Hypotheses:
    """At each step the single most likely next word, for a whole batch at once (chapter 8)."""
    _check(1, max_len)
    with eval_mode(model):
        state = model.encode(src, src_lengths)
        tokens = torch.full((src.shape[0],), bos, dtype=torch.long, device=src.device)
        done = torch.zeros_like(tokens, dtype=torch.bool)
        scores = torch.zeros(src.shape[0], device=src.device)
        written = []
        for _ in range(max_len):
            logits, state, _ = model.decode_step(state, tokens)
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            best, tokens = log_probs.max(dim=-1)
            scores += torch.where(done, 0.0, best)
            tokens = torch.where(done, eos, tokens)               # a finished sentence only repeats <eos>
            written.append(tokens)
            done |= tokens == eos
            if done.all():
                break
        rows, finished = _cut(torch.stack(written, dim=1), eos)
        return Hypotheses(rows, scores.tolist(), finished)


@torch.no_grad()
def beam_search(model, src: Tensor, src_lengths: Tensor, beam_width: int, max_len: int,
                length_penalty: float = 0.0, keep_greedy: bool = True, bos: int = BOS_INDEX,
                eos: int = EOS_INDEX) -> Hypotheses:
    """The ``beam_width`` best prefixes of every sentence, extended word by word, batched (chapter 8)."""
    _check(beam_width, max_len)
    if length_penalty < 0:
        raise ValueError(f"length_penalty must be >= 0 (0: plain log-probability), got {length_penalty}")
    with eval_mode(model):
        batch, k = src.shape[0], beam_width
        state = _reorder(model.encode(src, src_lengths), torch.arange(batch, device=src.device).repeat_interleave(k))
        scores = torch.full((batch, k), float("-inf"), device=src.device)
        scores[:, 0] = 0.0                                         # one live beam per sentence at the start
        tokens = torch.full((batch * k,), bos, dtype=torch.long, device=src.device)
        history = torch.empty(batch * k, 0, dtype=torch.long, device=src.device)
        done = torch.zeros(batch * k, dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            logits, state, _ = model.decode_step(state, tokens)
            log_probs = torch.log_softmax(logits.float(), dim=-1)                         # (B·K, V)
            vocab = log_probs.shape[-1]
            only_eos = torch.full_like(log_probs[0], float("-inf"))
            only_eos[eos] = 0.0
            log_probs = torch.where(done[:, None], only_eos, log_probs)   # finished: <eos> again, score kept
            candidates = (scores.reshape(-1, 1) + log_probs).reshape(batch, k * vocab)
            scores, best = candidates.topk(k, dim=-1)                                    # (B, K)
            rows = (torch.arange(batch, device=src.device)[:, None] * k + best // vocab).reshape(-1)
            tokens = (best % vocab).reshape(-1)
            state, history = _reorder(state, rows), torch.cat([history[rows], tokens[:, None]], dim=1)
            done = done[rows] | (tokens == eos)
            if done.all():
                break
        lengths = torch.where(done, (history == eos).int().argmax(dim=1) + 1, history.shape[1]).float()
        normalised = scores.reshape(-1) / lengths ** length_penalty
        pick = normalised.reshape(batch, k).argmax(dim=-1) + torch.arange(batch, device=src.device) * k
        rows, finished = _cut(history[pick], eos)
        found = Hypotheses(rows, scores.reshape(-1)[pick].tolist(), finished)
        if keep_greedy and beam_width > 1:
            found = _better(found, greedy_decode(model, src, src_lengths, max_len, bos, eos), length_penalty)
        return found


def _better(a: Hypotheses, b: Hypotheses, length_penalty: float) -> Hypotheses:
    """Per sentence, the hypothesis of ``a`` or ``b`` with the higher length-normalised score (``a`` on ties)."""
    def normalised(h: Hypotheses, i: int) -> float:
        return h.scores[i] / (len(h.tokens[i]) + h.finished[i]) ** length_penalty   # <eos> counts as a word
    keep = [normalised(a, i) >= normalised(b, i) for i in range(len(a.tokens))]
    return Hypotheses(*([x if k else y for k, x, y in zip(keep, getattr(a, f), getattr(b, f))]
                        for f in ("tokens", "scores", "finished")))


@torch.no_grad()
def sequence_log_prob(model, src: Tensor, src_lengths: Tensor, outputs: list[list[int]],
                      bos: int = BOS_INDEX, eos: int = EOS_INDEX) -> list[float]:
    """The model's log-probability of given outputs (``<eos>`` appended), by teacher forcing (chapter 8)."""
    from nlpcourse.text.batching import pad_sequences
    with eval_mode(model):
        tgt = torch.as_tensor(pad_sequences([[bos, *o, eos] for o in outputs]), device=src.device)
        state, total = model.encode(src, src_lengths), torch.zeros(src.shape[0], device=src.device)
        for t in range(tgt.shape[1] - 1):
            logits, state, _ = model.decode_step(state, tgt[:, t])
            picked = torch.log_softmax(logits.float(), dim=-1).gather(1, tgt[:, t + 1:t + 2])[:, 0]
            real = torch.tensor([t < len(o) + 1 for o in outputs], device=src.device)
            total += torch.where(real, picked, 0.0)
        return total.tolist()


def translate(model, sources: list[list[str]], src_vocab, tgt_vocab, beam_width: int = 1,
              length_penalty: float = 0.0, max_len: int | None = None, batch_size: int = 256) -> list[list[str]]:
    """French tokens for each English token list, decoded in batches of similar lengths (chapter 8).

    ``beam_width=1`` decodes greedily. ``max_len`` defaults to twice the longest source plus 5
    words, so decoding always stops. An empty source raises; a source of unknown words only is
    translated from ``<unk>`` tokens (the model guesses), and :func:`unknown_share` tells how often.
    """
    import numpy as np

    from nlpcourse.text.batching import pad_sequences
    _check(beam_width, max_len or 1)
    for i, tokens in enumerate(sources):
        if isinstance(tokens, str):
            raise TypeError(f"sources[{i}] is a string: pass token lists, e.g. tokenize(sentence, 'en')")
        if not tokens:
            raise ValueError(f"sources[{i}] is empty: there is nothing to translate")
    device = next(model.parameters()).device
    encoded = [src_vocab.lookup_indices([*tokens, EOS]) for tokens in sources]
    order = np.argsort([len(e) for e in encoded], kind="stable")
    outputs: list[list[str]] = [[] for _ in sources]
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        src = torch.as_tensor(pad_sequences([encoded[r] for r in rows]), device=device)
        lengths = torch.as_tensor([len(encoded[r]) for r in rows], device=device)
        limit = max_len or 2 * src.shape[1] + 5
        found = (greedy_decode(model, src, lengths, limit) if beam_width == 1
                 else beam_search(model, src, lengths, beam_width, limit, length_penalty))
        for r, tokens in zip(rows, found.tokens):
            outputs[r] = tgt_vocab.lookup_tokens(tokens)
    return outputs


def unknown_share(sources: list[list[str]], src_vocab) -> float:
    """The share of source words the model has never seen (they become ``<unk>``)."""
    words = [w for tokens in sources for w in tokens]
    return sum(w not in src_vocab for w in words) / max(len(words), 1)
