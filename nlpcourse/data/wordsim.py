"""Intrinsic evaluation of word vectors: analogies and word-similarity sets (chapter 2).

The three classic test sets ship inside the gensim wheel: Google's analogy questions
(Mikolov et al., 2013), WordSim-353 (Finkelstein et al., 2002) and SimLex-999 (Hill et
al., 2015). Analogies are answered with 3CosAdd exactly as gensim's
``evaluate_word_analogies`` does, but for all questions at once in a few matrix products.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

EVAL_SETS = {"analogies": "questions-words.txt", "wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def eval_set_path(name: str) -> Path:
    """Path of a test set inside the installed gensim: ``analogies``, ``wordsim353`` or ``simlex999``."""
    if name not in EVAL_SETS:
        raise ValueError(f"unknown test set {name!r}; choose one of {', '.join(EVAL_SETS)}")
    from gensim.test.utils import datapath
    return Path(datapath(EVAL_SETS[name]))


def _read_questions(path: str | Path | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(section, words) for every line of four words, as written; other lines are skipped, as in gensim."""
    questions, section = [], ""
    for line in Path(path or eval_set_path("analogies")).read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            section = line.lstrip(": ").strip()
        elif len(line.split()) == 4:
            questions.append((section, tuple(line.split())))
    return questions


def read_analogies(path: str | Path | None = None) -> list[tuple[str, tuple[str, str, str, str]]]:
    """(section, (a, b, c, d)) for every question "a is to b as c is to d", lowercased (chapter 2)."""
    return [(section, tuple(w.lower() for w in words)) for section, words in _read_questions(path)]


def _first_case_variants(words: list[str]) -> np.ndarray:
    """For each word, the index of its first case variant: how gensim matches case-insensitively."""
    first: dict[str, int] = {}
    return np.array([first.setdefault(w.upper(), i) for i, w in enumerate(words)], dtype=np.int64)


def _answer_analogies(unit: np.ndarray, variant: np.ndarray, ids: np.ndarray, topn: int = 5) -> np.ndarray:
    """gensim's 3CosAdd answers of ``(N, 4)`` question ids: the first-variant id of each answer, -1 if none.

    The question words' own entries never answer; among the ``topn`` best of the others, the
    first that is no case variant of a question word does, else the last of them (as in gensim).
    """
    a, b, c = ids[:, 0], ids[:, 1], ids[:, 2]
    scores = (unit[b] - unit[a] + unit[c]) @ unit.T           # (N, V): cosine up to a positive factor
    rows = np.arange(len(ids))
    scores[rows, a] = scores[rows, b] = scores[rows, c] = -np.inf
    topn = min(topn, scores.shape[1])
    top = np.argpartition(-scores, topn - 1, axis=1)[:, :topn]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable"), 1)
    present = np.isfinite(np.take_along_axis(scores, top, 1))  # (N, topn), best first
    answer = variant[top]
    allowed = present & (answer != a[:, None]) & (answer != b[:, None]) & (answer != c[:, None])
    pick = np.where(allowed.any(axis=1), allowed.argmax(axis=1), present.sum(axis=1) - 1)
    return np.where(present.any(axis=1), answer[rows, pick], -1)


def analogy_accuracy(kv, restrict_vocab: int = 30_000, path: str | Path | None = None,
                     batch_size: int = 1024) -> dict[str, float]:
    """Accuracy of 3CosAdd on the Google analogies among the ``restrict_vocab`` most frequent words.

    As gensim's ``evaluate_word_analogies``: words match case-insensitively, through the first
    case variant among those words; questions with a word outside them are skipped
    (``coverage`` says how many were answered); no case variant of a question word is an
    answer (chapter 2). Returns ``accuracy``, ``semantic``, ``syntactic`` and ``coverage``.
    """
    words = kv.index_to_key[:restrict_vocab]
    variant = _first_case_variants(words)
    index = {w.upper(): int(i) for w, i in zip(words, variant)}
    questions = _read_questions(path)
    kept = [(s, [index[w.upper()] for w in q]) for s, q in questions if all(w.upper() in index for w in q)]
    if not kept:
        raise ValueError("no analogy question has all four words in the vocabulary: train on more text")
    ids = np.array([q for _, q in kept])
    unit = kv.vectors[:len(words)] / np.maximum(np.linalg.norm(kv.vectors[:len(words)], axis=1, keepdims=True), 1e-12)
    correct = np.zeros(len(ids), dtype=bool)
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]                 # (n, 4): a, b, c and the expected d
        correct[start:start + batch_size] = _answer_analogies(unit, variant, batch) == batch[:, 3]
    semantic = np.array([not s.startswith("gram") for s, _ in kept])
    return {"accuracy": float(correct.mean()), "semantic": float(correct[semantic].mean()) if semantic.any() else np.nan,
            "syntactic": float(correct[~semantic].mean()) if (~semantic).any() else np.nan,
            "coverage": len(kept) / len(questions)}


def similarity_spearman(kv, name: str = "wordsim353") -> tuple[float, float]:
    """Spearman correlation of cosine similarities with human judgements, and the share of
    pairs skipped because a word is unknown (gensim's ``evaluate_word_pairs``; chapter 2)."""
    import logging
    logger = logging.getLogger("gensim.models.keyedvectors")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        _, spearman, oov_percent = kv.evaluate_word_pairs(str(eval_set_path(name)), case_insensitive=True)
    finally:
        logger.setLevel(level)
    return float(spearman[0]), oov_percent / 100


def solve_analogy(kv, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
    """"``a`` is to ``b`` as ``c`` is to ?": the ``topn`` words closest to b - a + c (chapter 2).

    Unknown words raise a KeyError that names them, instead of gensim's bare message.
    """
    missing = [w for w in (a, b, c) if w not in kv.key_to_index]
    if missing:
        raise KeyError(f"not in the vocabulary of {len(kv.index_to_key):,} words: {', '.join(map(repr, missing))}; "
                       "check the spelling and case (GloVe and our vectors are lower-case)")
    return kv.most_similar(positive=[b, c], negative=[a], topn=topn)


def evaluate_vectors(kv, restrict_vocab: int = 30_000) -> dict[str, float]:
    """One row of the chapter's table: analogy accuracy, WordSim-353 and SimLex-999 Spearman (chapter 2)."""
    analogies = analogy_accuracy(kv, restrict_vocab)
    wordsim, _ = similarity_spearman(kv, "wordsim353")
    simlex, _ = similarity_spearman(kv, "simlex999")
    return {"vocabulary": len(kv.index_to_key), "analogy": analogies["accuracy"],
            "analogy coverage": analogies["coverage"], "wordsim353": wordsim, "simlex999": simlex}


def read_word_pairs(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """``(word, word, human score)`` of a similarity set, lower-cased (``wordsim353`` or ``simlex999``)."""
    pairs = []
    for line in eval_set_path(name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            a, b, score = line.split("\t")[:3]
            pairs.append((a.lower(), b.lower(), float(score)))
    return pairs


def rare_word_spearman(vector_of, known, names: tuple[str, ...] = ("wordsim353", "simlex999")) -> tuple[float, int]:
    """Spearman correlation with human scores over the pairs of the similarity sets in which a word is
    *not* ``known`` (e.g. missing from a word2vec vocabulary), each word's vector from ``vector_of(word)``
    (e.g. FastText's, composed from n-grams), and how many pairs that is (chapter 2)."""
    from scipy.stats import spearmanr
    pairs = [(a, b, s) for name in names for a, b, s in read_word_pairs(name) if a not in known or b not in known]
    if len(pairs) < 2:
        raise ValueError(f"only {len(pairs)} pair(s) have a word outside known: no correlation to measure")
    cosines = []
    for a, b, _ in pairs:
        u, v = vector_of(a), vector_of(b)
        norm = float(np.linalg.norm(u) * np.linalg.norm(v))
        cosines.append(float(u @ v) / norm if norm else 0.0)
    return float(spearmanr(cosines, [s for _, _, s in pairs])[0]), len(pairs)
