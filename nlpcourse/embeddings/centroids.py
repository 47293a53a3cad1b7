"""Bag of centroids: cluster the word vectors, then count each document's words per cluster (chapter 2).

K-means groups the vocabulary into ``n_clusters`` clusters of similar words ("great",
"superb", "excellent" land together); a document becomes a histogram over the clusters,
a bag of words whose "words" are clusters of synonyms.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nlpcourse.embeddings.empty import check_on_empty, report_empty_documents
from nlpcourse.text.tokenize import as_tokens


class BagOfCentroids:
    """K-means clusters of word vectors and per-document cluster histograms (chapter 2).

    ``kv`` is a gensim ``KeyedVectors``; ``max_words`` clusters only the most frequent
    words (the others are ignored). ``normalize`` turns counts into shares of the
    document's known words. A document with no clustered word gets a zero row and is counted
    in ``n_empty_``; ``on_empty`` warns, raises or ignores it, as in
    :class:`~nlpcourse.embeddings.averaging.MeanEmbeddingVectorizer`. After ``fit``:
    ``labels_`` (cluster of each clustered word), ``cluster_centers_`` and ``words_``.
    """

    def __init__(self, kv, n_clusters: int = 500, max_words: int | None = 20_000, random_state: int = 0,
                 normalize: bool = True, tokenizer: Callable[[str], list[str]] | None = None,
                 batch_size: int = 4096, on_empty: str = "warn") -> None:
        self.kv, self.n_clusters, self.max_words, self.random_state = kv, n_clusters, max_words, random_state
        self.normalize, self.tokenizer, self.batch_size, self.on_empty = normalize, tokenizer, batch_size, on_empty

    def fit(self, docs: Iterable = (), y=None) -> "BagOfCentroids":
        """Cluster the (unit-length) vectors of the vocabulary; ``docs`` are not needed."""
        from sklearn.cluster import MiniBatchKMeans
        check_on_empty(self.on_empty)
        n_words = len(self.kv.index_to_key) if self.max_words is None else min(self.max_words, len(self.kv.index_to_key))
        if not 1 <= self.n_clusters <= n_words:
            raise ValueError(f"n_clusters={self.n_clusters} but only {n_words} words to cluster: "
                             f"choose 1 <= n_clusters <= {n_words}")
        X = self.kv.vectors[:n_words]
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        kmeans = MiniBatchKMeans(n_clusters=self.n_clusters, random_state=self.random_state,
                                 batch_size=self.batch_size, n_init=3).fit(X)
        self.words_ = list(self.kv.index_to_key[:n_words])
        self.labels_, self.cluster_centers_ = kmeans.labels_, kmeans.cluster_centers_
        self._cluster_of = dict(zip(self.words_, self.labels_.tolist()))
        return self

    def transform(self, docs: Iterable) -> np.ndarray:
        """An (n_docs, n_clusters) array of cluster counts (or shares)."""
        if not hasattr(self, "labels_"):
            raise RuntimeError("BagOfCentroids is not fitted: call fit() first")
        cluster_of = self._cluster_of
        rows = [[cluster_of[t] for t in as_tokens(doc, self.tokenizer) if t in cluster_of] for doc in docs]
        self.n_empty_ = report_empty_documents(rows, self.on_empty, known="word among the clustered words")
        X = np.zeros((len(rows), self.n_clusters), dtype=np.float32)
        for i, clusters in enumerate(rows):
            if clusters:
                X[i] = np.bincount(clusters, minlength=self.n_clusters)
        if self.normalize:
            X /= np.maximum(X.sum(axis=1, keepdims=True), 1)
        return X

    def fit_transform(self, docs: Iterable, y=None) -> np.ndarray:
        return self.fit(docs).transform(docs)

    def cluster_words(self, cluster: int, k: int = 10) -> list[str]:
        """The ``k`` most frequent words of a cluster."""
        return [w for w, c in zip(self.words_, self.labels_) if c == cluster][:k]
