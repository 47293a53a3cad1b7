"""Checkers for chapter 1 (text, tokens and TF-IDF)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from nlpcourse.exercises import compare_arrays, compare_values, exercise, hidden_cases


@exercise("ch01.ex2", "smoothed inverse document frequency")
def _smooth_idf(idf):
    """``idf(df, n_docs)`` -> log((1 + n_docs) / (1 + df)) + 1 for an array of document frequencies."""
    cases = [(np.array([1, 2, 3]), 3), (np.array([10, 1, 5, 10]), 10), (np.array([7]), 100),
             (np.array([0, 50]), 50)]
    for df, n_docs in cases:
        expected = np.log((1 + n_docs) / (1 + df)) + 1
        got = idf(df.copy(), n_docs)
        yield compare_arrays(f"df={df.tolist()}, n_docs={n_docs}", got, expected,
                             hint="smooth: add 1 to n_docs and to df, take the natural log, add 1")


@exercise("ch01.ex3", "word n-grams")
def _ngrams(ngrams):
    """``ngrams(tokens, n)`` -> the n-grams of a token list, joined by single spaces."""
    cases = [
        (["not", "a", "good", "movie"], 2, ["not a", "a good", "good movie"]),
        (["not", "a", "good", "movie"], 3, ["not a good", "a good movie"]),
        (["great"], 1, ["great"]),
        (["too", "short"], 3, []),
        ([], 2, []),
    ]
    for tokens, n, expected in cases:
        got = ngrams(list(tokens), n)
        hint = "a document shorter than n has no n-grams" if not expected else ""
        yield compare_values(f"ngrams({tokens}, {n})", list(got) if got is not None else None,
                             expected, hint)


@exercise("ch01.ex4", "naive Bayes log-count ratio")
def _log_count_ratio(log_count_ratio):
    """``log_count_ratio(X, y, alpha)`` -> r = log((p/|p|_1) / (q/|q|_1)) on binarized X."""
    rng = np.random.default_rng(4)
    for n_docs, n_terms, alpha in [(6, 4, 1.0), (20, 7, 0.5), (9, 3, 2.0)]:
        X = sp.random(n_docs, n_terms, density=0.5, format="csr", random_state=rng,
                      data_rvs=lambda k: rng.integers(1, 4, size=k)).astype(float)
        y = np.arange(n_docs) % 2
        Xb = (X > 0).astype(float)
        p = alpha + np.asarray(Xb[y == 1].sum(axis=0)).ravel()
        q = alpha + np.asarray(Xb[y == 0].sum(axis=0)).ravel()
        expected = np.log((p / p.sum()) / (q / q.sum()))
        got = log_count_ratio(X.copy(), y.copy(), alpha)
        yield compare_arrays(f"{n_docs} documents, {n_terms} terms, alpha={alpha}", got, expected,
                             hint="binarize X first (counts > 0 become 1), then smooth with alpha")


# hidden cases for grading: inputs drawn with the assignment's seed, answers from the chapter's solution
@hidden_cases("ch01.ex2", hint="smooth: add 1 to n_docs and to df, take the natural log, add 1")
def _smooth_idf_inputs(rng):
    for _ in range(4):
        n_docs = int(rng.integers(1, 500))
        df = rng.integers(0, n_docs + 1, size=int(rng.integers(1, 9)))
        yield f"df={df.tolist()}, n_docs={n_docs}", (df, n_docs)


_WORDS = ["the", "plot", "was", "not", "good", "great", "acting", "movie", "bad", "a", "film", "so"]


@hidden_cases("ch01.ex3", hint="n-grams in order, joined by single spaces; none when the list is shorter than n")
def _ngram_inputs(rng):
    for length, n in [(int(rng.integers(4, 10)), 2), (int(rng.integers(3, 8)), 3), (int(rng.integers(0, 3)), 3),
                      (int(rng.integers(1, 6)), 1)]:
        tokens = [str(w) for w in rng.choice(_WORDS, size=length)]
        yield f"ngrams({tokens}, {n})", (tokens, n)


@hidden_cases("ch01.ex4", hint="binarize X first (counts > 0 become 1), then smooth with alpha")
def _log_count_ratio_inputs(rng):
    for _ in range(3):
        n_docs, n_terms = int(rng.integers(4, 30)), int(rng.integers(2, 12))
        alpha = float(rng.choice([0.25, 0.5, 1.0, 2.0]))
        X = sp.random(n_docs, n_terms, density=0.4, format="csr", random_state=rng,
                      data_rvs=lambda k: rng.integers(1, 5, size=k)).astype(float)
        y = rng.permutation(np.arange(n_docs) % 2)
        yield f"{n_docs} documents, {n_terms} terms, alpha={alpha}", (X, y, alpha)
