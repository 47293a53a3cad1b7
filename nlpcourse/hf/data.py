"""Reviews into a pretrained model's inputs: its tokenizer, a length limit, dict batches (chapter 10).

BERT-style models read at most 512 tokens (their position table), and about a quarter of
IMDB reviews are longer. :func:`encode_reviews` keeps the ``head`` of a long review, its
``tail``, or ``head+tail`` (a quarter of the budget from the start, the rest from the end:
Sun et al. 2019's 128 + 382 of 510), then adds the model's special tokens
(``[CLS] ... [SEP]``, ``<s> ... </s>``) the way its tokenizer does.

:class:`ReviewBatches` yields the dict batches Hugging Face models take, ``input_ids``,
``attention_mask`` and ``labels``, in length buckets (less padding), seeded; the course's
:func:`~nlpcourse.train.fit` trains on them as on any other loader.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from nlpcourse.data.loaders import BucketedLoader
from nlpcourse.utils import check_int

TRUNCATIONS = ("head", "tail", "head+tail")
HEAD_SHARE = 128 / 510     # Sun et al. 2019: the first 128 and the last 382 tokens of 510


def special_tokens_around(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after one text: ``([CLS], [SEP])`` for BERT, ``(<s>, </s>)`` for RoBERTa."""
    body = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(body) + 1):
        if full[start:start + len(body)] == body:
            return list(full[:start]), list(full[start + len(body):])
    raise ValueError(f"{type(tokenizer).__name__} adds special tokens inside the text; encode with it directly")


def truncate(ids: Sequence[int], budget: int, truncation: str = "head+tail", head_share: float = HEAD_SHARE) -> list[int]:
    """At most ``budget`` of ``ids``: the first ones (``head``), the last ones (``tail``) or both (``head+tail``).

    >>> truncate(list(range(10)), 4, "head+tail", head_share=0.25)
    [0, 7, 8, 9]
    """
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}, got {truncation!r}")
    check_int("budget", budget, minimum=0, hint="the number of tokens to keep")
    if isinstance(head_share, bool) or not isinstance(head_share, numbers.Real) or not 0 <= head_share <= 1:
        raise ValueError(f"head_share must be a share between 0 and 1 (of the budget kept from the start), "
                         f"got {head_share!r}")
    ids = list(ids)
    if len(ids) <= budget:
        return ids
    if truncation == "head":
        return ids[:budget]
    if truncation == "tail":
        return ids[len(ids) - budget:]
    head = round(budget * head_share)
    return ids[:head] + ids[len(ids) - (budget - head):]


def max_positions(model: Any) -> int:
    """The longest input a model reads: its position table (RoBERTa's starts 2 rows late)."""
    config = model.config
    limit = int(getattr(config, "max_position_embeddings", 512))
    if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        limit -= config.pad_token_id + 1     # positions are counted from pad_token_id + 1
    return limit


def check_max_length(model: Any, max_length: int) -> int:
    """``max_length`` if the model can read that many tokens, else a ValueError that says its limit."""
    check_int("max_length", max_length, minimum=3, hint="tokens per review including the special tokens, e.g. 256")
    limit = max_positions(model)
    if max_length > limit:
        raise ValueError(f"max_length={max_length} is longer than {type(model).__name__} can read: its position "
                         f"table has {limit} entries. Pass max_length <= {limit} and pick a truncation "
                         f"({', '.join(TRUNCATIONS)}) for the longer reviews")
    return max_length


def _short(name: Any) -> str:
    """A hub name as it is, a folder by its last two parts."""
    return "/".join(str(name or "").replace("\\", "/").split("/")[-2:])


def check_tokenizer(model: Any, tokenizer: Any) -> None:
    """Refuse a tokenizer that was not made for this model (its ids would index the wrong embeddings).

    A vocabulary larger than the embedding table fails deep inside the model; a smaller one,
    or a different padding id, runs silently on wrong inputs. Both are caught here.
    """
    config = model.config
    vocab = len(tokenizer)
    where = f"the tokenizer ({_short(tokenizer.name_or_path) or type(tokenizer).__name__}, {vocab:,} tokens)"
    model_name = _short(getattr(config, "_name_or_path", "")) or type(model).__name__
    if vocab > config.vocab_size:
        raise ValueError(f"{where} has more ids than the model's embedding table ({model_name}, "
                         f"{config.vocab_size:,} rows): load the tokenizer of the same checkpoint as the model")
    pad = getattr(config, "pad_token_id", None)
    if pad is not None and tokenizer.pad_token_id is not None and pad != tokenizer.pad_token_id:
        raise ValueError(f"{where} pads with id {tokenizer.pad_token_id} but the model ({model_name}) expects "
                         f"{pad}: it belongs to another model. Load the tokenizer of the same checkpoint")
    if config.vocab_size - vocab > 1000:
        raise ValueError(f"{where} uses only {vocab:,} of the model's {config.vocab_size:,} embeddings "
                         f"({model_name}): it belongs to another model. Load the tokenizer of the same checkpoint")


def encode_reviews(tokenizer: Any, texts: Sequence[str], max_length: int, truncation: str = "head+tail",
                   head_share: float = HEAD_SHARE) -> list[list[int]]:
    """Each review as the model's token ids, at most ``max_length`` with the special tokens."""
    if isinstance(texts, str):
        raise TypeError("encode_reviews expects a list of reviews, not one string: wrap it in a list")
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}, got {truncation!r}")
    before, after = special_tokens_around(tokenizer)
    budget = check_int("max_length", max_length, minimum=len(before) + len(after) + 1,
                       hint="tokens per review including the special tokens, e.g. 256") - len(before) - len(after)
    return [before + truncate(ids, budget, truncation, head_share) + after for ids in _whole(tokenizer, texts)]


def _whole(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Each review's token ids, all of them and no special tokens (no warning about the model's limit:
    a review is cut afterwards)."""
    limit = tokenizer.model_max_length
    tokenizer.model_max_length = 10**9
    try:
        return tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    finally:
        tokenizer.model_max_length = limit


def token_counts(tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    """How many tokens (without special tokens) each whole review has."""
    return np.array([len(ids) for ids in _whole(tokenizer, texts)])


def check_labels(labels: Any, num_labels: int) -> np.ndarray:
    """Labels as int64, or a ValueError naming the ones outside ``0 .. num_labels - 1``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iub"):
        raise ValueError(f"labels must be a 1-D array of class indices, got shape {labels.shape} and dtype {labels.dtype}")
    bad = sorted({int(v) for v in labels if not 0 <= v < num_labels})
    if bad:
        raise ValueError(f"labels {bad[:5]} are outside 0..{num_labels - 1}: the model has num_labels={num_labels}. "
                         f"Map the labels to 0..{num_labels - 1}, or load the model with num_labels={max(bad) + 1}")
    return labels.astype(np.int64)


class ReviewBatches(BucketedLoader):
    """Dict batches ``{input_ids, attention_mask, labels}`` of encoded reviews, padded to the longest in each.

    Batches hold reviews of similar lengths; ``shuffle=True`` draws a new seeded order each epoch
    (see :class:`~nlpcourse.data.loaders.BucketedLoader`), else shortest first.
    """

    def __init__(self, ids: Sequence[Sequence[int]], labels: Any, pad_id: int, batch_size: int = 16,
                 shuffle: bool = False, seed: int = 0, num_labels: int = 2):
        if len(ids) != len(labels):
            raise ValueError(f"{len(ids)} encoded reviews but {len(labels)} labels")
        if not len(ids):
            raise ValueError("no reviews to batch")
        lengths = np.array([len(row) for row in ids])   # counted, not read off: the pad id can be a real token's
        X = np.full((len(ids), lengths.max()), pad_id, dtype=np.int64)
        for row, seq in enumerate(ids):
            X[row, :len(seq)] = seq
        super().__init__(X, check_labels(labels, num_labels), batch_size, shuffle, seed, lengths=lengths)

    def __iter__(self):
        import torch
        for rows, block in self.blocks():
            mask = np.arange(block.shape[1])[None, :] < self.lengths[rows][:, None]
            yield {"input_ids": torch.as_tensor(block),
                   "attention_mask": torch.as_tensor(mask.astype(np.int64)),
                   "labels": torch.as_tensor(self.y[rows])}

    def tokens(self) -> int:
        """Real tokens (not padding) in one pass."""
        return int(self.lengths.sum())
