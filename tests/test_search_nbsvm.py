import numpy as np
import pytest
import scipy.sparse as sp

from nlpcourse.models.nbsvm import NBSVM
from nlpcourse.text import SearchEngine
from nlpcourse.text.search import cosine_similarity_rows

DOCS = ["a great movie with a great cast", "a boring movie", "great acting, boring plot",
        "zombies attack the city", "the city at night"]


def test_search_ranks_by_cosine_similarity():
    engine = SearchEngine().fit(DOCS)
    hits = engine.search("zombies in the city", k=3)
    assert hits[0].index == 3 and hits[0].text == DOCS[3]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    X = engine.matrix_
    q = engine.vectorizer_.transform(["zombies in the city"])
    from sklearn.metrics.pairwise import cosine_similarity
    np.testing.assert_allclose(cosine_similarity_rows(X, q), cosine_similarity(X, q).ravel(), atol=1e-12)


def test_search_edge_cases():
    engine = SearchEngine().fit(DOCS)
    assert engine.search("qwertyuiop") == []
    assert len(engine.search("movie", k=50)) == 2  # only documents that share a word
    with pytest.raises(ValueError, match="non-empty"):
        engine.search("  ")
    with pytest.raises(ValueError, match="k must be"):
        engine.search("movie", k=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        SearchEngine().search("movie")


def test_nbsvm_learns_on_held_out_reviews(imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.pipelines import baselines
    from nlpcourse.data import load_imdb
    train, test = load_imdb("train", n=2000, seed=0), load_imdb("test", n=1000, seed=1)
    scores = baselines.nbsvm(train.texts, train.labels, test.texts, test.labels)
    assert 0.83 <= scores["accuracy"] <= 0.95
    again = baselines.nbsvm(train.texts, train.labels, test.texts, test.labels)
    assert again["accuracy"] == scores["accuracy"]  # deterministic
    lr = baselines.tfidf_logreg(train.texts, train.labels, test.texts, test.labels)
    assert 0.82 <= lr["accuracy"] <= 0.95


def test_nbsvm_log_count_ratio_and_interpolation():
    X = sp.csr_matrix(np.array([[2, 0, 1], [1, 0, 0], [0, 3, 1], [0, 1, 0]]))
    y = np.array([1, 1, 0, 0])
    model = NBSVM(alpha=1.0, beta=1.0).fit(X, y)
    p, q = 1 + np.array([2, 0, 1]), 1 + np.array([0, 2, 1])
    np.testing.assert_allclose(model.r_, np.log((p / p.sum()) / (q / q.sum())))
    assert list(model.predict(X)) == [1, 1, 0, 0]
    nb_only = NBSVM(beta=0.0).fit(X, y)  # pure naive Bayes direction: weights proportional to r
    np.testing.assert_allclose(nb_only.coef_[0] / nb_only.coef_[0][0], model.r_ / model.r_[0])


def test_nbsvm_errors():
    X = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="two classes"):
        NBSVM().fit(X, [0, 1, 2])
    with pytest.raises(ValueError, match="alpha"):
        NBSVM(alpha=0).fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="3 rows but y has 2"):
        NBSVM().fit(X, [0, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        NBSVM().predict(X)
    with pytest.raises(ValueError, match="features"):
        NBSVM().fit(X, [0, 1, 1]).predict(sp.csr_matrix(np.eye(4)))
