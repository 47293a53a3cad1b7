"""Documents as the average of their word vectors, as a scikit-learn transformer (chapter 2).

The classic "vector averaging" approach: a review becomes the mean of the vectors of its
words that the embedding knows. Word order is lost, as in a bag of words, but similar
words now have similar features.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np

from nlpcourse.text.tokenize import as_tokens


class EmptyDocumentWarning(UserWarning):
    """Some documents had no word with a vector; their features are zero (chapter 2)."""


class MeanEmbeddingVectorizer:
    """Average the vectors of each document's known words (chapter 2).

    ``kv`` is any gensim ``KeyedVectors``. Documents are strings (tokenized with
    ``tokenizer``) or lists of tokens. A document with no known word gets the zero vector
    and is counted in ``n_empty_``; ``on_empty="warn"`` (default) also warns,
    ``"raise"`` raises a ValueError and ``"ignore"`` stays silent. Never NaN.
    """

    def __init__(self, kv, tokenizer: Callable[[str], list[str]] | None = None, on_empty: str = "warn") -> None:
        self.kv, self.tokenizer, self.on_empty = kv, tokenizer, on_empty

    def fit(self, docs: Iterable = (), y=None) -> "MeanEmbeddingVectorizer":
        """Nothing to learn: the vectors are given. Returns self."""
        if self.on_empty not in ("warn", "raise", "ignore"):
            raise ValueError(f"on_empty must be 'warn', 'raise' or 'ignore', got {self.on_empty!r}")
        return self

    def transform(self, docs: Iterable) -> np.ndarray:
        """An (n_docs, vector_size) float32 array of mean word vectors."""
        self.fit()
        key_to_index = self.kv.key_to_index
        rows = []
        for doc in docs:
            ids = [key_to_index[t] for t in as_tokens(doc, self.tokenizer) if t in key_to_index]
            rows.append(ids)
        X = np.zeros((len(rows), self.kv.vector_size), dtype=np.float32)
        empty = [i for i, ids in enumerate(rows) if not ids]
        for i, ids in enumerate(rows):
            if ids:
                X[i] = self.kv.vectors[ids].mean(axis=0)
        self.n_empty_ = len(empty)
        if empty:
            message = (f"{len(empty)} of {len(rows)} documents have no word with a vector "
                       f"(first: #{empty[0]}); their features are all zero")
            if self.on_empty == "raise":
                raise ValueError(message + ": drop them or use a larger vocabulary")
            if self.on_empty == "warn":
                warnings.warn(message, EmptyDocumentWarning, stacklevel=2)
        return X

    def fit_transform(self, docs: Iterable, y=None) -> np.ndarray:
        return self.fit(docs).transform(docs)

    def get_params(self, deep: bool = True) -> dict:
        return {"kv": self.kv, "tokenizer": self.tokenizer, "on_empty": self.on_empty}

    def set_params(self, **params) -> "MeanEmbeddingVectorizer":
        for name, value in params.items():
            setattr(self, name, value)
        return self
