"""Word vectors in gensim's container, whoever made them: word2vec trained here, GloVe read from disk (chapter 2)."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def keyed_vectors(words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None):
    """gensim ``KeyedVectors`` holding ``vectors`` for ``words`` (chapter 2)."""
    from gensim.models import KeyedVectors
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    if counts is not None:
        kv.expandos["count"] = np.asarray(counts, dtype=np.int64).copy()
    return kv
