"""Bag of words and TF-IDF from scratch, as scikit-learn-style estimators (chapter 1).

Same matrices as ``sklearn.feature_extraction.text.CountVectorizer`` and
``TfidfVectorizer`` (to 1e-12) for their default analyzer, n-gram ranges, min_df/max_df,
``norm`` in {l1, l2, None}, ``smooth_idf`` and ``sublinear_tf``, but vectorized:
features are factorized with C-level dict operations instead of a Python loop per token.

TF-IDF of term t in document d, with n documents and df(t) documents containing t::

    tf(t, d) = count (or 1 + log(count) with sublinear_tf)
    idf(t)   = log((1 + n) / (1 + df(t))) + 1   (smooth_idf; else log(n / df(t)) + 1)
    x[d, t]  = tf(t, d) * idf(t), then each row scaled to unit l2 (or l1) norm
"""
from __future__ import annotations

import collections
import itertools
import numbers
import re
from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp

from nlpcourse.text.tokenize import SKLEARN_TOKEN_PATTERN, ngrams


class CountVectorizer:
    """Documents -> sparse matrix of n-gram counts (bag of words), like scikit-learn's (chapter 1).

    ``min_df``/``max_df``: an int is a document count, a float in [0, 1] a proportion.
    ``max_features`` keeps the most frequent terms; among equally frequent terms at the cut
    it keeps the alphabetically first (scikit-learn's choice there is unspecified).
    Learned state: ``vocabulary_`` (term -> column, alphabetical) and ``stop_words_``.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 1), min_df: float = 1, max_df: float = 1.0,
                 max_features: int | None = None, lowercase: bool = True,
                 token_pattern: str = SKLEARN_TOKEN_PATTERN,
                 tokenizer: Callable[[str], list[str]] | None = None,
                 stop_words: Iterable[str] | None = None, binary: bool = False) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.binary = binary

    # -- analysis: text -> features -------------------------------------------------------
    def build_analyzer(self) -> Callable[[list[str]], list[str]]:
        """The function that turns one document's tokens into its list of n-gram features."""
        n_min, n_max = self.ngram_range
        if not (isinstance(n_min, int) and isinstance(n_max, int) and 1 <= n_min <= n_max):
            raise ValueError(f"ngram_range must be (n_min, n_max) with 1 <= n_min <= n_max, "
                             f"got {self.ngram_range!r}")

        def analyze(tokens: list[str]) -> list[str]:
            return tokens if (n_min, n_max) == (1, 1) else ngrams(tokens, n_min, n_max)

        return analyze

    def _tokenize_all(self, docs: Iterable[str]) -> list[list[str]]:
        if isinstance(docs, str):
            raise TypeError("expected an iterable of documents, got a single string: wrap it in a list")
        self.build_analyzer()  # validates ngram_range
        split = self.tokenizer or re.compile(self.token_pattern).findall
        stop = frozenset(self.stop_words or ())
        lower = self.lowercase
        token_lists = [split(_check_doc(d).lower() if lower else _check_doc(d)) for d in docs]
        if stop:
            token_lists = [[t for t in tokens if t not in stop] for tokens in token_lists]
        return token_lists

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, docs: Iterable[str], y=None) -> "CountVectorizer":
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs: Iterable[str], y=None) -> sp.csr_matrix:
        """Learn the vocabulary and return the document-term count matrix.

        Vectorized: tokens are factorized once into integer ids; an n-gram is the pair
        (id of its first n-1 tokens, id of its last token), factorized with ``np.unique``,
        so n-gram strings are built only for distinct n-grams that survive pruning.
        """
        self._check_params()
        token_lists = self._tokenize_all(docs)
        tokens, lengths, words = _factorize(token_lists)
        ngram_range = self.ngram_range
        if ngram_range[1] > 1 and any(ch <= " " for ch in set("".join(words))):
            # tokens with spaces inside: different token tuples can join into the same
            # n-gram string, so count the strings themselves, as scikit-learn does
            analyze = self.build_analyzer()
            tokens, lengths, words = _factorize([analyze(t) for t in token_lists])
            ngram_range = (1, 1)
        blocks, parts = _ngram_counts(tokens, lengths, len(words), ngram_range)
        if not any(len(p) for p in parts):
            raise ValueError(f"empty vocabulary: no document has {ngram_range[0]} or more tokens "
                             f"for ngram_range={self.ngram_range}")
        counts = blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
        term_words = _stack_parts(parts)  # (n_terms, n_max) word ids, -1 padded
        kept = self._prune(counts, term_words, words)
        strings = _join_terms(term_words[kept], words)
        order = _alphabetical(term_words[kept])
        kept, strings = kept[order], [strings[i] for i in order]
        self.vocabulary_ = dict(zip(strings, range(len(strings))))
        if len(kept) < counts.shape[1] or np.any(np.diff(kept) < 0):
            counts = _select_columns(counts, kept)
        if self.binary:
            counts.data[:] = 1
        return counts

    def _check_params(self) -> None:
        """Reject bad settings before any work, naming the argument, as scikit-learn's ``fit`` does."""
        self.build_analyzer()  # validates ngram_range
        _doc_count(self.min_df, 1, "min_df")
        _doc_count(self.max_df, 1, "max_df")
        if self.max_features is not None and (not isinstance(self.max_features, numbers.Integral)
                                              or isinstance(self.max_features, bool) or self.max_features <= 0):
            raise ValueError(f"max_features must be a positive int or None, got {self.max_features!r}")

    def _prune(self, counts: sp.csr_matrix, term_words: np.ndarray, words: list[str]) -> np.ndarray:
        """Columns kept by min_df, max_df and max_features; the rest go to ``stop_words_``."""
        n_docs = counts.shape[0]
        min_count = _doc_count(self.min_df, n_docs, "min_df")
        max_count = _doc_count(self.max_df, n_docs, "max_df")
        if max_count < min_count:
            raise ValueError(f"max_df={self.max_df} keeps fewer documents than min_df={self.min_df}")
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = (df >= min_count) & (df <= max_count)
        if self.max_features is not None:
            totals = np.bincount(counts.indices, weights=counts.data, minlength=counts.shape[1])
            kept = np.flatnonzero(keep)
            alpha = np.empty(len(kept), dtype=np.int64)  # ties broken alphabetically
            alpha[_alphabetical(term_words[kept])] = np.arange(len(kept))
            keep[kept[np.lexsort((alpha, -totals[kept]))[self.max_features:]]] = False
        if not keep.any():
            raise ValueError("after pruning no terms remain: lower min_df or raise max_df")
        self.stop_words_ = set(_join_terms(term_words[~keep], words))
        return np.flatnonzero(keep)

    # -- using ------------------------------------------------------------------------------
    def transform(self, docs: Iterable[str]) -> sp.csr_matrix:
        """Counts of the fitted vocabulary's terms; unknown terms are ignored."""
        self._check_fitted()
        analyze = self.build_analyzer()
        per_doc = [analyze(tokens) for tokens in self._tokenize_all(docs)]
        lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
        features = list(itertools.chain.from_iterable(per_doc))
        columns = np.fromiter(map(self.vocabulary_.get, features, itertools.repeat(-1)),
                              dtype=np.int64, count=len(features))
        known = columns >= 0
        doc_of = np.repeat(np.arange(len(lengths)), lengths)[known]
        lengths = np.bincount(doc_of, minlength=len(lengths))
        counts = _count_matrix(columns[known], lengths, len(self.vocabulary_))
        if self.binary:
            counts.data[:] = 1
        return counts

    def get_feature_names_out(self) -> np.ndarray:
        self._check_fitted()
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit() first")


class TfidfVectorizer(CountVectorizer):
    """Documents -> TF-IDF matrix, equal to scikit-learn's ``TfidfVectorizer`` (chapter 1).

    Learned state: ``vocabulary_`` and ``idf_``.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 1), min_df: float = 1, max_df: float = 1.0,
                 max_features: int | None = None, lowercase: bool = True,
                 token_pattern: str = SKLEARN_TOKEN_PATTERN,
                 tokenizer: Callable[[str], list[str]] | None = None,
                 stop_words: Iterable[str] | None = None, binary: bool = False,
                 norm: str | None = "l2", use_idf: bool = True, smooth_idf: bool = True,
                 sublinear_tf: bool = False) -> None:
        super().__init__(ngram_range, min_df, max_df, max_features, lowercase, token_pattern,
                         tokenizer, stop_words, binary)
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def fit_transform(self, docs: Iterable[str], y=None) -> sp.csr_matrix:
        if self.norm not in ("l1", "l2", None):
            raise ValueError(f"norm must be 'l1', 'l2' or None, got {self.norm!r}")
        counts = super().fit_transform(docs)
        n_docs = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        smooth = float(self.smooth_idf)
        self.idf_ = np.log((n_docs + smooth) / (df + smooth)) + 1.0
        return self._weight(counts)

    def transform(self, docs: Iterable[str]) -> sp.csr_matrix:
        return self._weight(super().transform(docs))

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        X = counts.astype(np.float64)
        if self.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1.0
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        if self.norm is not None:
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            if self.norm == "l2":
                norms = np.sqrt(np.bincount(rows, weights=X.data ** 2, minlength=X.shape[0]))
            else:
                norms = np.bincount(rows, weights=np.abs(X.data), minlength=X.shape[0])
            norms[norms == 0.0] = 1.0  # empty documents stay all-zero
            X.data /= norms[rows]
        return X


def _check_doc(doc) -> str:
    if not isinstance(doc, str):
        raise TypeError(f"each document must be a str, got {type(doc).__name__}: {doc!r:.60}")
    return doc


def _doc_count(value: float, n_docs: int, name: str) -> float:
    """min_df / max_df as a number of documents (an int is a count, a float a proportion)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int (a document count) or a float in [0, 1], got {value!r}")
    if isinstance(value, numbers.Integral):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}: give a document count (an int >= 0) "
                             "or a proportion of the documents (a float in [0, 1])")
        return int(value)
    if isinstance(value, numbers.Real) and 0.0 <= value <= 1.0:
        return value * n_docs
    raise ValueError(f"{name} must be an int (a document count) or a float in [0, 1], got {value!r}")


def _count_matrix(columns: np.ndarray, lengths: np.ndarray, n_terms: int) -> sp.csr_matrix:
    """CSR matrix of counts from each token's column and the number of tokens per document."""
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    ones = np.ones(len(columns), dtype=np.int64)
    X = sp.csr_matrix((ones, columns, indptr), shape=(len(lengths), n_terms))
    X.sum_duplicates()  # sorts each row's columns and adds up repeats
    return X


def _ngram_counts(tokens: np.ndarray, lengths: np.ndarray, n_words: int,
                  ngram_range: tuple[int, int]) -> tuple[list[sp.csr_matrix], list[np.ndarray]]:
    """Document-term counts for each n in ``ngram_range``, and the word ids of each term.

    ``tokens`` holds the word id of every token, documents one after another, ``lengths``
    the number of tokens of each document. ``parts[k]`` is a (terms, n) array of word ids.
    """
    n_min, n_max = ngram_range
    blocks, parts = [], []
    if n_min == 1:
        blocks.append(_count_matrix(tokens, lengths, n_words))
        parts.append(np.arange(n_words)[:, None])
    if n_max == 1:
        return blocks, parts
    remaining = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(tokens))  # tokens to doc end
    ids, words_of = tokens, np.arange(n_words)[:, None]  # id of the n-gram starting at each token
    for n in range(2, n_max + 1):
        at = np.flatnonzero(remaining >= n)
        key = ids[at] * n_words + tokens[at + n - 1]  # (id of the (n-1)-gram, last word)
        unique, inverse = np.unique(key, return_inverse=True)
        words_of = np.column_stack([words_of[unique // n_words], unique % n_words])
        ids = np.full(len(tokens), -1, dtype=np.int64)
        ids[at] = inverse
        if n >= n_min:
            per_doc = np.maximum(lengths - n + 1, 0)  # n-grams in each document
            blocks.append(_count_matrix(inverse, per_doc, len(unique)))
            parts.append(words_of)
    return blocks, parts


def _stack_parts(parts: list[np.ndarray]) -> np.ndarray:
    width = max(p.shape[1] for p in parts)
    return np.vstack([np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=-1) for p in parts])


def _join_terms(term_words: np.ndarray, words: list[str]) -> list[str]:
    """The n-gram strings ("not good") of rows of word ids (-1 padded)."""
    vocab = np.array(words + [""], dtype=object)            # index -1 -> ""
    if term_words.shape[1] == 1:
        return vocab[term_words[:, 0]].tolist()
    columns = [vocab[c].tolist() for c in term_words.T]
    return [" ".join(filter(None, parts)) for parts in zip(*columns)]


def _alphabetical(term_words: np.ndarray) -> np.ndarray:
    """The order that sorts the terms' strings, from the alphabetical ranks of their words.

    Word ids are alphabetical ranks. With no character <= " " inside words (checked in
    ``fit_transform``), "w1 w2" sorts like the tuple (w1, w2), and a shorter n-gram like
    the same tuple cut short (-1 padding sorts first): a lexsort of word ids gives the
    string order without comparing strings.
    """
    if term_words.shape[1] == 1:
        return np.argsort(term_words[:, 0], kind="stable")
    return np.lexsort(term_words.T[::-1])


def _factorize(token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Word ids of all tokens (documents one after another), tokens per document, and the
    words in alphabetical order (word id = alphabetical rank)."""
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    word_id = collections.defaultdict(itertools.count().__next__)  # C-level factorization
    tokens = np.fromiter(map(word_id.__getitem__, itertools.chain.from_iterable(token_lists)),
                         dtype=np.int64, count=int(lengths.sum()))
    if not word_id:
        raise ValueError("empty vocabulary: the documents contain no tokens "
                         "(only stop words or one-letter words?)")
    first_seen = list(word_id)
    alphabetical = sorted(range(len(first_seen)), key=first_seen.__getitem__)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[alphabetical] = np.arange(len(first_seen))
    return rank[tokens], lengths, [first_seen[i] for i in alphabetical]


def _select_columns(X: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """``X[:, columns]`` by remapping column indices (much cheaper than fancy indexing)."""
    new = np.full(X.shape[1], -1, dtype=np.int64)
    new[columns] = np.arange(len(columns))
    mapped = new[X.indices]
    keep = mapped >= 0
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
    indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=X.shape[0]), out=indptr[1:])
    out = sp.csr_matrix((X.data[keep], mapped[keep], indptr), shape=(X.shape[0], len(columns)))
    if np.any(np.diff(columns) < 0):  # a permutation: restore sorted indices in each row
        out.has_sorted_indices = False
        out.sort_indices()
    return out
