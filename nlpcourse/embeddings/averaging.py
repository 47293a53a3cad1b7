"""Documents as the average of their word vectors, as a scikit-learn transformer (chapter 2).

The classic "vector averaging" approach: a review becomes the mean of the vectors of its
words that the embedding knows. Word order is lost, as in a bag of words, but similar
words now have similar features.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nlpcourse.embeddings.empty import EmptyDocumentWarning, check_on_empty, report_empty_documents
from nlpcourse.text.tokenize import as_tokens

__all__ = ["EmptyDocumentWarning", "MeanEmbeddingVectorizer"]


class MeanEmbeddingVectorizer:
    """Average the vectors of each document's known words (chapter 2).

    ``kv`` is any gensim ``KeyedVectors``. Documents are strings (tokenized with
    ``tokenizer``) or lists of tokens. A document with no known word gets the zero vector
    and is counted in ``n_empty_``; ``on_empty="warn"`` (default) also warns,
    ``"raise"`` raises a ValueError and ``"ignore"`` stays silent. Never NaN.
    ``subwords=True`` averages every word, known or not, as ``kv[word]`` gives it: FastText
    vectors compose an unknown word from its character n-grams.
    """

    def __init__(self, kv, tokenizer: Callable[[str], list[str]] | None = None, on_empty: str = "warn",
                 subwords: bool = False) -> None:
        self.kv, self.tokenizer, self.on_empty, self.subwords = kv, tokenizer, on_empty, subwords

    def fit(self, docs: Iterable = (), y=None) -> "MeanEmbeddingVectorizer":
        """Nothing to learn: the vectors are given. Returns self."""
        check_on_empty(self.on_empty)
        return self

    def transform(self, docs: Iterable) -> np.ndarray:
        """An (n_docs, vector_size) float32 array of mean word vectors."""
        self.fit()
        docs = [as_tokens(doc, self.tokenizer) for doc in docs]
        if self.subwords:      # a table of every word of these documents, unknown ones composed once each
            words = sorted({t for doc in docs for t in doc})
            key_to_index = {word: i for i, word in enumerate(words)}
            table = np.stack([self.kv[w] for w in words]) if words else np.zeros((0, self.kv.vector_size))
        else:
            key_to_index, table = self.kv.key_to_index, self.kv.vectors
        rows = [[key_to_index[t] for t in doc if t in key_to_index] for doc in docs]
        self.n_empty_ = report_empty_documents(rows, self.on_empty)
        X = np.zeros((len(rows), self.kv.vector_size), dtype=np.float32)
        for i, ids in enumerate(rows):
            if ids:
                X[i] = table[ids].mean(axis=0)
        return X

    def fit_transform(self, docs: Iterable, y=None) -> np.ndarray:
        return self.fit(docs).transform(docs)

    def get_params(self, deep: bool = True) -> dict:
        return {"kv": self.kv, "tokenizer": self.tokenizer, "on_empty": self.on_empty, "subwords": self.subwords}

    def set_params(self, **params) -> "MeanEmbeddingVectorizer":
        for name, value in params.items():
            setattr(self, name, value)
        return self
