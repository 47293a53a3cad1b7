"""Checkers for chapter 2 (word vectors)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import Case, compare_arrays, compare_values, exercise


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


@exercise("ch02.ex2", "cosine similarity")
def _cosine(cosine_similarity):
    """``cosine_similarity(u, v)`` -> u.v / (|u| |v|) for two 1-D arrays."""
    rng = np.random.default_rng(2)
    cases = [(np.array([1.0, 0.0]), np.array([0.0, 1.0])), (np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])),
             (np.array([1.0, 1.0]), np.array([-1.0, -1.0])), (rng.normal(size=50), rng.normal(size=50)),
             (np.array([1e-3, 2e-3]), np.array([3e3, -1e3]))]
    for u, v in cases:
        expected = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
        got = cosine_similarity(u.copy(), v.copy())
        yield compare_arrays(f"u={np.round(u[:3], 3).tolist()}..., v={np.round(v[:3], 3).tolist()}...",
                             got, np.float64(expected), hint="divide the dot product by both lengths")


@exercise("ch02.ex3", "negative-sampling loss")
def _negative_sampling_loss(loss_fn):
    """``loss(v, u_pos, U_neg)`` -> -log s(u_pos.v) - sum_k log s(-u_k.v), s the logistic sigmoid."""
    rng = np.random.default_rng(3)
    confident_and_wrong = (np.array([30.0, 0.0, 0.0]), np.array([-30.0, 1.0, 0.0]),
                           np.array([[30.0, 0.0, 1.0], [-1.0, 2.0, 0.0]]))
    for dim, k, scale in [(4, 1, 1.0), (10, 5, 0.5), (50, 15, 0.2), (3, 2, 40.0)]:
        v, u_pos, U_neg = rng.normal(size=dim) * scale, rng.normal(size=dim) * scale, rng.normal(size=(k, dim)) * scale
        if scale > 10:  # scores near +-900: the true word scored far too low, a negative far too high
            v, u_pos, U_neg = confident_and_wrong
        expected = -_log_sigmoid(u_pos @ v) - _log_sigmoid(-(U_neg @ v)).sum()
        got = loss_fn(v.copy(), u_pos.copy(), U_neg.copy())
        hint = ("for large scores compute log sigmoid(x) as -np.logaddexp(0, -x): 1 / (1 + exp(-x)) "
                "rounds to 0 or 1 and its log to -inf" if scale > 10 else
                "the true word should score high (log sigmoid of +score), the negatives low (of -score)")
        got_value = np.asarray(got, dtype=float) if got is not None else None
        if got_value is not None and not np.all(np.isfinite(got_value)):
            yield Case(f"dimension {dim}, {k} negatives, scale {scale}", False, f"got {got}: {hint}")
            continue
        yield compare_arrays(f"dimension {dim}, {k} negatives, scale {scale}", got, np.float64(expected), hint=hint)


@exercise("ch02.ex4", "analogies by vector arithmetic")
def _analogy(analogy):
    """``analogy(vectors, a, b, c)`` -> the word d, not a, b or c, whose unit vector is most
    cosine-similar to unit(b) - unit(a) + unit(c); ``vectors`` maps words to 1-D arrays."""
    vectors = {"man": np.array([1.0, 0.0, 0.2]), "woman": np.array([1.0, 1.0, 0.2]),
               "king": np.array([1.0, 0.0, 2.0]), "queen": np.array([1.0, 1.0, 2.1]),
               "prince": np.array([0.9, 0.1, 1.6]), "apple": np.array([-1.0, 0.3, 0.0]),
               "paris": np.array([0.0, -1.0, 1.0]), "france": np.array([0.1, -1.0, 0.1]),
               "rome": np.array([-0.3, -1.2, 1.0]), "italy": np.array([-0.2, -1.1, 0.0]),
               "the": np.array([6.0, 2.0, 5.0])}  # a frequent word: long, and near everything
    unit = {w: v / np.linalg.norm(v) for w, v in vectors.items()}
    for a, b, c in [("man", "woman", "king"), ("france", "paris", "italy"), ("king", "queen", "man"),
                    ("man", "king", "woman"), ("king", "prince", "queen")]:
        query = unit[b] - unit[a] + unit[c]
        candidates = [w for w in unit if w not in (a, b, c)]
        expected = max(candidates, key=lambda w: unit[w] @ query / np.linalg.norm(query))
        got = analogy({w: v.copy() for w, v in vectors.items()}, a, b, c)
        yield compare_values(f"{a} : {b} :: {c} : ?", got, expected,
                             hint="normalise every vector, exclude the three question words")


@exercise("ch02.ex8", "character n-grams with boundary markers")
def _char_ngrams(char_ngrams):
    """``char_ngrams(word, min_n, max_n)`` -> the n-grams of ``"<" + word + ">"`` of min_n..max_n characters,
    by start position, then length; a lone marker is not an n-gram (FastText, Bojanowski et al. 2017)."""
    from nlpcourse.embeddings.fasttext import char_ngrams as reference
    cases = [("where", 3, 3), ("where", 3, 4), ("film", 3, 6), ("a", 1, 3), ("naïve", 2, 3), ("ok", 4, 6),
             ("unwatchable", 5, 5)]
    hints = {"markers": "wrap the word in '<' and '>' before cutting it: '<wh' is a prefix, 'wh' is not",
             "order": "list the n-grams by start position, then by length, as fastText does",
             "lengths": "keep every length from min_n to max_n, both included, and none longer than the marked word",
             "lone": "a marker alone ('<' or '>') is not an n-gram"}
    for word, min_n, max_n in cases:
        expected = reference(word, min_n, max_n)
        got = char_ngrams(word, min_n, max_n)
        got = list(got) if isinstance(got, (list, tuple)) else got
        if got == expected:
            yield Case(f"{word!r}, n = {min_n}..{max_n}", True, "")
            continue
        if isinstance(got, list) and sorted(got) == sorted(expected):
            hint = hints["order"]
        elif isinstance(got, list) and any(not min_n <= len(str(g)) <= max_n for g in got):
            hint = hints["lengths"]
        elif isinstance(got, list) and any(g in ("<", ">") for g in got):
            hint = hints["lone"]
        elif isinstance(got, list) and not any(str(g).startswith("<") or str(g).endswith(">") for g in got):
            hint = hints["markers"]
        else:
            hint = hints["lengths"]
        yield Case(f"{word!r}, n = {min_n}..{max_n}", False, f"expected {expected}, got {got}: {hint}")
