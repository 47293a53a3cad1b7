"""FastText's subwords from the paper equal gensim's: n-grams, bucket ids, and the composed vectors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

gensim = pytest.importorskip("gensim")
from gensim.models import FastText  # noqa: E402
from gensim.models.fasttext import ft_ngram_hashes  # noqa: E402
from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes  # noqa: E402

from nlpcourse.config import get_config  # noqa: E402
from nlpcourse.embeddings.fasttext import (SubwordVectors, char_ngrams, fasttext_hash, fasttext_params,  # noqa: E402
                                           ngram_buckets, train_fasttext)

WORDS = ["where", "a", "", "unwatchable", "rewatchable", "awsome", "café", "naïve", "日本語", "Ünïcödé-Wörd", "🎬film"]


def test_the_papers_example():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert char_ngrams("where", 3, 4) == ["<wh", "<whe", "whe", "wher", "her", "here", "ere", "ere>", "re>"]
    assert char_ngrams("a", 1, 3) == ["<a", "<a>", "a", "a>"], "a lone marker is no n-gram"


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("min_n, max_n", [(3, 6), (1, 3), (2, 2), (1, 1), (4, 9)])
def test_ngrams_and_buckets_equal_gensims(word, min_n, max_n):
    assert [g.encode("utf-8") for g in char_ngrams(word, min_n, max_n)] == compute_ngrams_bytes(word, min_n, max_n)
    assert ngram_buckets(word, min_n, max_n, 2_000_000) == ft_ngram_hashes(word, min_n, max_n, 2_000_000)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.integers(1, 4), st.integers(0, 4), st.integers(1, 10**7))
def test_any_word_hashes_as_gensim_does(word, min_n, extra, bucket):
    max_n = min_n + extra
    assert ngram_buckets(word, min_n, max_n, bucket) == ft_ngram_hashes(word, min_n, max_n, bucket)
    data = word.encode("utf-8")
    assert fasttext_hash(data) == ft_hash_bytes(data)


@pytest.fixture(scope="module")
def trained():
    sentences = ([["the", "film", "was", "great", "and", "the", "acting", "superb"]] * 40
                 + [["an", "awful", "boring", "plot", "in", "a", "café"]] * 40)
    return FastText(sentences, vector_size=16, min_count=2, epochs=2, bucket=5000, workers=1, seed=0)


@pytest.mark.parametrize("word", ["film", "café", "superb", "films", "greatest", "borrring", "日本", "x", "🎬"])
def test_composed_vectors_equal_gensims_for_known_and_unknown_words(trained, word):
    vectors = SubwordVectors.from_gensim(trained)
    assert (word in vectors) == (word in trained.wv.key_to_index)
    assert np.allclose(vectors[word], trained.wv[word], atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="max_n must be a whole number >= 3"):
        char_ngrams("film", 3, 2)
    with pytest.raises(ValueError, match="min_n must be a whole number >= 1"):
        char_ngrams("film", 0, 2)
    with pytest.raises(ValueError, match="bucket must be a whole number >= 1"):
        ngram_buckets("film", bucket=0)
    with pytest.raises(ValueError, match="words has 2 entries but word_vectors 3 rows"):
        SubwordVectors(["a", "b"], np.zeros((3, 4)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="same vector size"):
        SubwordVectors(["a"], np.zeros((1, 4)), np.zeros((10, 5)))
    with pytest.raises(ValueError, match="sentences is empty"):
        train_fasttext([], get_config("quick"))


def test_the_quick_preset_repeats_exactly():
    cfg = get_config("quick")
    assert fasttext_params(cfg)["workers"] == 1 and fasttext_params(get_config("full"))["bucket"] == 2_000_000
    sentences = [["a", "good", "film", "indeed"], ["a", "bad", "film", "sadly"]] * 30
    first, second = (train_fasttext(sentences, cfg.replace()) for _ in range(2))
    assert np.array_equal(first.wv.vectors_ngrams, second.wv.vectors_ngrams)


def test_averaging_with_subwords_counts_every_word(trained):
    from nlpcourse.embeddings.averaging import MeanEmbeddingVectorizer
    docs = [["great", "film"], ["greatest", "filmz"], ["film"], []]
    with pytest.warns(UserWarning):
        X = MeanEmbeddingVectorizer(trained.wv, subwords=True).transform(docs)
    vectors = SubwordVectors.from_gensim(trained)
    assert np.allclose(X[0], (vectors["great"] + vectors["film"]) / 2, atol=1e-6)
    assert np.allclose(X[1], (vectors["greatest"] + vectors["filmz"]) / 2, atol=1e-6), "unknown words count"
    assert not X[3].any()
    with pytest.warns(UserWarning):
        known_only = MeanEmbeddingVectorizer(trained.wv).transform(docs)
    assert not known_only[1].any(), "without subwords an unknown word is skipped"


def test_rare_word_pairs_are_those_outside_the_vocabulary(trained):
    from nlpcourse.data.wordsim import rare_word_spearman, read_word_pairs
    vectors = SubwordVectors.from_gensim(trained)
    rho, n = rare_word_spearman(vectors.__getitem__, trained.wv.key_to_index)
    every_pair = len(read_word_pairs("wordsim353")) + len(read_word_pairs("simlex999"))
    assert every_pair == 353 + 999 and 0 < n <= every_pair and -1 <= rho <= 1
    with pytest.raises(ValueError, match="no correlation to measure"):
        rare_word_spearman(vectors.__getitem__, {w for a, b, _ in read_word_pairs("wordsim353")
                                                  + read_word_pairs("simlex999") for w in (a, b)})
