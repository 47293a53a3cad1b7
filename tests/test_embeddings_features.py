"""Sentiment features from word vectors: averaged vectors and bags of centroids."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("gensim")

from nlpcourse.embeddings.averaging import EmptyDocumentWarning, MeanEmbeddingVectorizer  # noqa: E402
from nlpcourse.embeddings.centroids import BagOfCentroids  # noqa: E402
from nlpcourse.text.vectors import keyed_vectors  # noqa: E402


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    words = ["good", "great", "fine", "bad", "awful", "poor", "film", "plot", "actor", "music"]
    centres = {"good": 0, "great": 0, "fine": 0, "bad": 1, "awful": 1, "poor": 1}
    base = rng.normal(size=(3, 8)) * 5
    vectors = np.array([base[centres.get(w, 2)] + rng.normal(size=8) * 0.1 for w in words])
    return keyed_vectors(words, vectors)


def test_mean_vectors_average_known_words_and_skip_unknown(kv):
    X = MeanEmbeddingVectorizer(kv).fit_transform([["good", "film", "zzz"], ["bad"]])
    assert X.shape == (2, 8) and X.dtype == np.float32
    assert np.allclose(X[0], (kv["good"] + kv["film"]) / 2) and np.allclose(X[1], kv["bad"])


def test_mean_vectors_tokenize_strings(kv):
    X = MeanEmbeddingVectorizer(kv).transform(["A <b>GOOD</b> film!"])
    assert np.allclose(X[0], (kv["good"] + kv["film"]) / 2)


def test_empty_documents_get_zeros_and_a_warning_never_nan(kv):
    vectorizer = MeanEmbeddingVectorizer(kv)
    with pytest.warns(EmptyDocumentWarning, match="1 of 3 documents"):
        X = vectorizer.transform([["good"], ["qwerty", "zzz"], ["plot"]])
    assert vectorizer.n_empty_ == 1 and not X[1].any() and np.all(np.isfinite(X))
    with pytest.raises(ValueError, match="no word with a vector"):
        MeanEmbeddingVectorizer(kv, on_empty="raise").transform([[]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not MeanEmbeddingVectorizer(kv, on_empty="ignore").transform([[]]).any()
    with pytest.raises(ValueError, match="on_empty"):
        MeanEmbeddingVectorizer(kv, on_empty="explode").fit()


def _featurizers(kv, **kwargs):
    return [MeanEmbeddingVectorizer(kv, **kwargs).fit(),
            BagOfCentroids(kv, n_clusters=3, max_words=None, **kwargs).fit()]


def test_both_featurizers_treat_empty_documents_alike(kv):
    docs = [["good"], ["qwerty", "zzz"], [], ["plot"]]
    message = r"2 of 4 documents have no .* \(first: #1\); their features are all zero"
    for featurizer in _featurizers(kv):
        with pytest.warns(EmptyDocumentWarning, match=message):
            X = featurizer.transform(docs)
        assert featurizer.n_empty_ == 2 and not X[1].any() and not X[2].any() and np.all(np.isfinite(X))
    for featurizer in _featurizers(kv, on_empty="raise"):
        with pytest.raises(ValueError, match="1 of 1 documents .* on_empty='warn' or 'ignore'"):
            featurizer.transform([["zzz"]])
    for featurizer in _featurizers(kv, on_empty="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not featurizer.transform([["zzz"]]).any() and featurizer.n_empty_ == 1
    with pytest.raises(ValueError, match="on_empty must be 'warn', 'raise' or 'ignore', got 'explode'"):
        BagOfCentroids(kv, n_clusters=3, on_empty="explode").fit()


def test_bag_of_centroids_groups_similar_words(kv):
    boc = BagOfCentroids(kv, n_clusters=3, max_words=None, random_state=0).fit()
    label = dict(zip(boc.words_, boc.labels_))
    assert label["good"] == label["great"] == label["fine"] != label["bad"] == label["awful"] == label["poor"]
    with pytest.warns(EmptyDocumentWarning):
        X = boc.transform([["good", "great", "bad", "zzz"], ["zzz"]])
    assert X.shape == (2, 3) and np.allclose(X[0].sum(), 1.0) and not X[1].any()
    assert np.isclose(X[0, label["good"]], 2 / 3)
    counts = BagOfCentroids(kv, n_clusters=3, max_words=None, normalize=False).fit().transform([["good", "great"]])
    assert counts.sum() == 2


def test_bag_of_centroids_is_seeded(kv):
    a = BagOfCentroids(kv, n_clusters=4, max_words=None, random_state=1).fit().labels_
    b = BagOfCentroids(kv, n_clusters=4, max_words=None, random_state=1).fit().labels_
    assert np.array_equal(a, b)


def test_bag_of_centroids_errors(kv):
    with pytest.raises(ValueError, match="n_clusters=11 but only 10 words"):
        BagOfCentroids(kv, n_clusters=11, max_words=None).fit()
    with pytest.raises(ValueError, match="n_clusters=5 but only 4 words"):
        BagOfCentroids(kv, n_clusters=5, max_words=4).fit()
    with pytest.raises(RuntimeError, match="fit"):
        BagOfCentroids(kv, n_clusters=2).transform([["good"]])


def test_embedding_matrix_copies_known_words_and_randomises_the_rest():
    from gensim.models import KeyedVectors

    from nlpcourse.embeddings.pretrained import embedding_matrix
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["good", "bad"], np.array([[1, 2, 3], [-1, -2, -3]], dtype=np.float32))
    matrix, coverage = embedding_matrix(["<pad>", "<unk>", "good", "zzz", "bad"], kv, seed=1)
    assert matrix.shape == (5, 3) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[2], [1, 2, 3])
    np.testing.assert_array_equal(matrix[4], [-1, -2, -3])
    assert not matrix[0].any() and matrix[1].any() and matrix[3].any()
    assert coverage == 2 / 5
    again, _ = embedding_matrix(["<pad>", "<unk>", "good", "zzz", "bad"], kv, seed=1)
    np.testing.assert_array_equal(matrix, again)
    with pytest.raises(ValueError, match="empty"):
        embedding_matrix([], kv)
