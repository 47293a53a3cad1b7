"""Chapter 2's self-checks accept correct answers and reject typical mistakes with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import available, check


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.setenv("NLPCOURSE_STRICT_CHECKS", "0")


def unit_analogy(vectors, a, b, c):
    unit = {w: x / np.linalg.norm(x) for w, x in vectors.items()}
    query = unit[b] - unit[a] + unit[c]
    return max((w for w in unit if w not in (a, b, c)), key=lambda w: unit[w] @ query)


def test_registered():
    assert {"ch02.ex2", "ch02.ex3", "ch02.ex4"} <= set(available())


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
