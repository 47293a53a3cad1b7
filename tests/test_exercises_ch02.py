"""Chapter 2's self-checks accept correct answers and reject typical mistakes with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import available, check

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def unit_analogy(vectors, a, b, c):
    unit = {w: x / np.linalg.norm(x) for w, x in vectors.items()}
    query = unit[b] - unit[a] + unit[c]
    return max((w for w in unit if w not in (a, b, c)), key=lambda w: unit[w] @ query)


def test_cosine_similarity(capsys):
    assert check("ch02.ex2", lambda u, v: u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    assert not check("ch02.ex2", lambda u, v: u @ v)
    assert "both lengths" in capsys.readouterr().out


def test_negative_sampling_loss(capsys):
    stable = lambda v, u, U: np.logaddexp(0, -(u @ v)) + np.logaddexp(0, U @ v).sum()
    assert check("ch02.ex3", stable)
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    with np.errstate(all="ignore"):
        naive = check("ch02.ex3", lambda v, u, U: -np.log(sigmoid(u @ v)) - np.log(sigmoid(-(U @ v))).sum())
    assert not naive and "logaddexp" in capsys.readouterr().out
    wrong_sign = lambda v, u, U: np.logaddexp(0, -(u @ v)) + np.logaddexp(0, -(U @ v)).sum()
    assert not check("ch02.ex3", wrong_sign)


def test_analogy(capsys):
    assert check("ch02.ex4", unit_analogy)
    def raw(vectors, a, b, c):
        query = vectors[b] - vectors[a] + vectors[c]
        return max((w for w in vectors if w not in (a, b, c)), key=lambda w: vectors[w] @ query)
    assert not check("ch02.ex4", raw)
    assert "normalise" in capsys.readouterr().out
    def keeps_question_words(vectors, a, b, c):
        unit = {w: x / np.linalg.norm(x) for w, x in vectors.items()}
        query = unit[b] - unit[a] + unit[c]
        return max(unit, key=lambda w: unit[w] @ query)
    assert not check("ch02.ex4", keeps_question_words)


def fasttext_ngrams(word, min_n, max_n):
    marked = f"<{word}>"
    return [marked[i:i + n] for i in range(len(marked)) for n in range(min_n, max_n + 1)
            if i + n <= len(marked) and not (n == 1 and i in (0, len(marked) - 1))]


def test_char_ngrams_accepts_the_papers_definition():
    assert "ch02.ex8" in available()
    assert check("ch02.ex8", fasttext_ngrams)


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, lo, hi: [w[i:i + n] for i in range(len(w)) for n in range(lo, hi + 1) if i + n <= len(w)],
     "wrap the word in '<' and '>'"),
    (lambda w, lo, hi: [f"<{w}>"[i:i + n] for n in range(lo, hi + 1) for i in range(len(w) + 3 - n)],
     "by start position, then by length"),
    (lambda w, lo, hi: [f"<{w}>"[i:i + n] for i in range(len(w) + 2) for n in range(lo, hi) if i + n <= len(w) + 2],
     "every length from min_n to max_n"),
    (lambda w, lo, hi: [f"<{w}>"[i:i + n] for i in range(len(w) + 2) for n in range(lo, hi + 1)],
     "none longer than the marked word"),
    (lambda w, lo, hi: [f"<{w}>"[i:i + n] for i in range(len(w) + 2) for n in range(lo, hi + 1) if i + n <= len(w) + 2],
     "a marker alone"),
])
def test_char_ngrams_rejects_typical_mistakes_with_their_hint(wrong, hint, capsys):
    assert not check("ch02.ex8", wrong)
    assert hint in capsys.readouterr().out
