"""A search engine over documents: a query and each document as TF-IDF vectors,
ranked by cosine similarity (chapter 1)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from nlpcourse.text.tfidf import TfidfVectorizer


@dataclasses.dataclass(frozen=True)
class Hit:
    index: int
    score: float
    text: str


def cosine_similarity_rows(X: sp.spmatrix, q: sp.spmatrix) -> np.ndarray:
    """Cosine similarity between each row of ``X`` and the single row ``q`` (0 for empty rows)."""
    dots = np.asarray((X @ q.T).todense()).ravel()
    row_norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    q_norm = np.sqrt(q.multiply(q).sum())
    denom = row_norms * q_norm
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)


class SearchEngine:
    """Rank documents by the cosine similarity of their TF-IDF vectors to a query (chapter 1).

    >>> engine = SearchEngine().fit(["a great movie", "a boring film", "great acting"])
    >>> [hit.index for hit in engine.search("great", k=2)]
    [2, 0]
    """

    def __init__(self, vectorizer: TfidfVectorizer | None = None) -> None:
        self.vectorizer = vectorizer

    def fit(self, docs: Sequence[str]) -> "SearchEngine":
        self.vectorizer_ = self.vectorizer or TfidfVectorizer(sublinear_tf=True)
        self.docs_ = list(docs)
        self.matrix_ = self.vectorizer_.fit_transform(self.docs_)
        return self

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` best documents, best first; an empty list if no query word is known."""
        if not hasattr(self, "matrix_"):
            raise RuntimeError("SearchEngine is not fitted yet: call fit(docs) first")
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"the query must be a non-empty string, got {query!r}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        q = self.vectorizer_.transform([query])
        if q.nnz == 0:
            return []
        scores = cosine_similarity_rows(self.matrix_, q)
        k = min(k, int((scores > 0).sum()))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by index
        return [Hit(int(i), float(scores[i]), self.docs_[i]) for i in top[:k]]
