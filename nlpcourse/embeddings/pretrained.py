"""Pretrained word vectors as the first layer of a network (chapters 4-5)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def embedding_matrix(itos: Sequence[str], kv, pad_index: int | None = 0,
                     seed: int = 0) -> tuple[np.ndarray, float]:
    """One row per vocabulary entry: the pretrained vector where ``kv`` knows the word (chapter 4).

    Words ``kv`` does not know (and special tokens such as ``<unk>``) get random rows with the
    same per-dimension spread as the pretrained vectors; the padding row is zero. Returns the
    ``(len(itos), kv.vector_size)`` float32 matrix and the share of entries found in ``kv``.
    """
    if len(itos) == 0:
        raise ValueError("the vocabulary is empty: build it on the training texts first")
    vectors = np.asarray(kv.vectors, dtype=np.float32)
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, vectors.std(axis=0), size=(len(itos), vectors.shape[1])).astype(np.float32)
    known = np.array([kv.has_index_for(word) for word in itos])
    rows = [kv.get_index(word) for word, ok in zip(itos, known) if ok]
    matrix[known] = vectors[rows]
    if pad_index is not None:
        matrix[pad_index] = 0.0
        known[pad_index] = False
    return matrix, float(known.mean())
