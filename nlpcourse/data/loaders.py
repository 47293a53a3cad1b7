"""From review texts to padded index tensors and seeded PyTorch loaders (chapter 3).

Used by every neural chapter: clean and tokenize, build a :class:`~nlpcourse.text.Vocab`
on the training texts only, turn each review into a fixed-length row of indices.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from nlpcourse.text import Vocab, pad_sequences
from nlpcourse.text.tokenize import as_tokens


@dataclasses.dataclass
class EncodedTexts:
    """Reviews as a ``(N, max_len)`` int64 array of indices, with the vocabulary used (chapter 3)."""

    X_train: np.ndarray
    X_test: np.ndarray
    vocab: Vocab


def encode_texts(texts: Sequence[str], vocab: Vocab, max_len: int) -> np.ndarray:
    """Clean, tokenize, map to indices and pad/cut to ``max_len`` columns (chapter 3)."""
    if isinstance(texts, str):
        raise TypeError("encode_texts expects a list of texts, not one string: wrap it in a list")
    return _encode_tokens([as_tokens(t) for t in texts], vocab, max_len)


def encode_imdb(train_texts: Sequence[str], test_texts: Sequence[str], max_len: int,
                max_size: int | None = 20_000, min_freq: int = 2) -> EncodedTexts:
    """A vocabulary from the training texts, and both splits encoded with it (chapter 3)."""
    train_tokens = [as_tokens(t) for t in train_texts]  # tokenized once: vocabulary and rows
    vocab = Vocab(train_tokens, min_freq=min_freq, max_size=max_size)
    return EncodedTexts(_encode_tokens(train_tokens, vocab, max_len), encode_texts(test_texts, vocab, max_len),
                        vocab)


def _encode_tokens(token_lists: Sequence[Sequence[str]], vocab: Vocab, max_len: int) -> np.ndarray:
    return pad_sequences(vocab.encode(token_lists), max_len=max_len, pad_value=vocab.pad_index)


def make_loader(X: np.ndarray, y: np.ndarray, batch_size: int = 64, shuffle: bool = False,
                seed: int = 0):
    """A ``DataLoader`` of ``(inputs, labels)`` tensors; shuffled in a seeded order (chapter 3).

    The order comes from its own ``torch.Generator``: the same ``seed`` gives the same
    batches, whatever else used the global random state.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    inputs = torch.as_tensor(X) if X.dtype.kind in "iu" else torch.as_tensor(X, dtype=torch.float32)
    dataset = TensorDataset(inputs, torch.as_tensor(y, dtype=torch.long))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
