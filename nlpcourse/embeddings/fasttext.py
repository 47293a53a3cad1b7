"""FastText: a word's vector from its character n-grams, so that every word has one (chapter 2).

Bojanowski et al. (2017) represent a word ``w`` by the n-grams of ``<w>`` (the markers ``<``
and ``>`` tell a prefix or suffix from the middle of a word) of 3 to 6 characters, each hashed
into one of ``bucket`` rows of an n-gram matrix. The vector of a word seen in training is the
mean of its own vector and its n-grams' vectors; a word never seen gets the mean of its
n-grams' vectors, so "rewatchable" and a misspelt "awsome" still land near their relatives.

:func:`char_ngrams` and :func:`ngram_buckets` are written from the paper and fastText's
dictionary; :class:`SubwordVectors` composes vectors from a trained model's two matrices.
Both equal gensim's ``FastText`` (n-grams, bucket ids, vectors of known and unknown words).
Training itself is gensim's (:func:`train_fasttext`) with the chapter's settings
(:func:`fasttext_params`), shared by the chapter and the leaderboard row.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nlpcourse.config import RunConfig
from nlpcourse.utils import check_int

FNV_OFFSET_BASIS = 2166136261
FNV_PRIME = 16777619


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[str]:
    """The n-grams of ``<word>`` of ``min_n`` to ``max_n`` characters, by start, then length, as
    fastText lists them; a lone marker (``<`` or ``>``) is not an n-gram.

    >>> char_ngrams("where", 3, 4)
    ['<wh', '<whe', 'whe', 'wher', 'her', 'here', 'ere', 'ere>', 're>']
    """
    min_n = check_int("min_n", min_n, minimum=1)
    max_n = check_int("max_n", max_n, minimum=min_n, hint="max_n must be at least min_n")
    marked = f"<{word}>"
    grams = []
    for start in range(len(marked)):
        for n in range(min_n, min(max_n, len(marked) - start) + 1):
            if n == 1 and start in (0, len(marked) - 1):
                continue
            grams.append(marked[start:start + n])
    return grams


def fasttext_hash(data: bytes) -> int:
    """fastText's 32-bit FNV-1a hash of a string's UTF-8 bytes. fastText's C++ reads each byte as a
    *signed* char, so a byte >= 128 enters as a negative number, sign-extended to 32 bits."""
    h = FNV_OFFSET_BASIS
    for byte in data:
        h ^= (byte - 256 if byte >= 128 else byte) & 0xFFFFFFFF
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_buckets(word: str, min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000) -> list[int]:
    """The row of the n-gram matrix that each n-gram of ``word`` shares with every n-gram of the same hash."""
    bucket = check_int("bucket", bucket, minimum=1, hint="the number of rows of the n-gram matrix")
    return [fasttext_hash(gram.encode("utf-8")) % bucket for gram in char_ngrams(word, min_n, max_n)]


class SubwordVectors:
    """Word vectors composed from FastText's word matrix and n-gram matrix (chapter 2).

    ``word_vectors`` has a row per known word (``words`` in the same order), ``ngram_vectors``
    one per bucket. ``vectors[word]`` works for any word: a known word averages its own row and
    its n-grams' rows, an unknown word its n-grams' rows (zeros if it has none).
    """

    def __init__(self, words: Sequence[str], word_vectors: np.ndarray, ngram_vectors: np.ndarray,
                 min_n: int = 3, max_n: int = 6) -> None:
        if len(words) != len(word_vectors):
            raise ValueError(f"words has {len(words)} entries but word_vectors {len(word_vectors)} rows: one per word")
        if word_vectors.shape[1:] != ngram_vectors.shape[1:]:
            raise ValueError(f"word_vectors {word_vectors.shape} and ngram_vectors {ngram_vectors.shape} "
                             "need the same vector size")
        self.index = {word: i for i, word in enumerate(words)}
        self.word_vectors, self.ngram_vectors, self.min_n, self.max_n = word_vectors, ngram_vectors, min_n, max_n

    @classmethod
    def from_gensim(cls, model: Any) -> "SubwordVectors":
        """The two matrices of a trained ``gensim.models.FastText`` (or its ``wv``)."""
        wv = getattr(model, "wv", model)
        return cls(wv.index_to_key, wv.vectors_vocab, wv.vectors_ngrams, wv.min_n, wv.max_n)

    def __contains__(self, word: str) -> bool:
        """Whether ``word`` was seen in training (every word has a vector all the same)."""
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        rows = self.ngram_vectors[ngram_buckets(word, self.min_n, self.max_n, len(self.ngram_vectors))]
        if word in self.index:
            return (self.word_vectors[self.index[word]] + rows.sum(axis=0)) / (1 + len(rows))
        if not len(rows):
            return np.zeros(self.ngram_vectors.shape[1], dtype=self.ngram_vectors.dtype)
        return rows.mean(axis=0)


def fasttext_params(cfg: RunConfig) -> dict[str, Any]:
    """gensim ``FastText`` settings of chapter 2 in ``cfg``'s profile: word2vec's, plus 3- to 6-grams
    hashed into ``bucket`` rows (one worker in the quick profile, so that runs repeat exactly)."""
    return dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, sg=1, alpha=0.025,
                epochs=cfg.choose(quick=3, full=5), min_n=3, max_n=6, bucket=cfg.choose(quick=200_000, full=2_000_000),
                workers=cfg.choose(quick=1, full=4), seed=cfg.seed)


def train_fasttext(sentences: Sequence[Sequence[str]], cfg: RunConfig) -> Any:
    """gensim's FastText trained on tokenized ``sentences`` with :func:`fasttext_params` (chapter 2)."""
    from gensim.models import FastText
    if not sentences:
        raise ValueError("sentences is empty: pass the tokenized reviews to train on")
    return FastText(sentences, **fasttext_params(cfg))
