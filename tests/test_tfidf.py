"""Our bag of words and TF-IDF equal scikit-learn's."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction import text as sk

from nlpcourse.text import CountVectorizer, TfidfVectorizer, tokenize

CORPUS = [
    "The movie was great, great fun!", "A boring movie. Boring plot, bad acting.",
    "Not good at all; not worth it.", "Great acting and a great plot.", "",
    "Über-cool Café scenes, 10/10 would watch again", "the the the movie",
    "Worst. Film. Ever. I want my 2 hours back", "an excellent, moving film",
]

SETTINGS = [
    dict(), dict(norm="l1"), dict(norm=None), dict(smooth_idf=False), dict(sublinear_tf=True),
    dict(ngram_range=(1, 2)), dict(ngram_range=(2, 3)), dict(ngram_range=(1, 3), sublinear_tf=True, norm="l1"),
    dict(min_df=2), dict(max_df=0.3), dict(min_df=0.2, max_df=0.8, ngram_range=(1, 2)),
    # max_features where no two terms tie at the cut (see test_max_features_ties_are_alphabetical)
    dict(max_features=3), dict(ngram_range=(1, 2), max_features=3, smooth_idf=False),
    dict(use_idf=False), dict(lowercase=False), dict(stop_words=["the", "a", "and"], ngram_range=(1, 2)),
    dict(binary=True),
]


def _assert_same(ours, theirs, docs, new_docs=CORPUS[::-1]):
    X, Y = ours.fit_transform(docs), theirs.fit_transform(docs)
    assert ours.vocabulary_ == theirs.vocabulary_
    assert X.shape == Y.shape and abs(X - Y).max() < 1e-12 if X.nnz or Y.nnz else True
    assert abs(ours.transform(new_docs) - theirs.transform(new_docs)).max() < 1e-12
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


@pytest.mark.parametrize("kwargs", SETTINGS, ids=str)
def test_tfidf_equals_sklearn(kwargs):
    _assert_same(TfidfVectorizer(**kwargs), sk.TfidfVectorizer(**kwargs), CORPUS)
    if "idf" not in str(kwargs) and "norm" not in kwargs and "sublinear_tf" not in kwargs:
        _assert_same(CountVectorizer(**kwargs), sk.CountVectorizer(**kwargs), CORPUS)


def test_tfidf_idf_equals_sklearn():
    ours, theirs = TfidfVectorizer(ngram_range=(1, 2)).fit(CORPUS), sk.TfidfVectorizer(ngram_range=(1, 2)).fit(CORPUS)
    np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12)


def test_max_features_ties_are_alphabetical():
    # "great" and "the" (4), "movie" (3), then seven terms with 2: scikit-learn's pick among tied
    # terms depends on an unstable sort; ours keeps the alphabetically first ones.
    v = CountVectorizer(max_features=5).fit(CORPUS)
    assert sorted(v.vocabulary_) == ["10", "acting", "great", "movie", "the"]
    assert {"boring", "film", "not", "plot"} <= v.stop_words_


def test_custom_tokenizer_with_spaces_inside_tokens():
    # tokens that contain spaces defeat the fast ordering: the fallback must still match sklearn
    tok = lambda s: [w.replace("_", " ") for w in s.split()]
    docs = ["new_york is big", "new york_is big", "big new_york"]
    kwargs = dict(tokenizer=tok, ngram_range=(1, 2), token_pattern=None, lowercase=False)
    _assert_same(TfidfVectorizer(**kwargs), sk.TfidfVectorizer(**kwargs), docs, docs)


def test_on_real_reviews(imdb_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.data import load_imdb
    docs = load_imdb("test", n=600, seed=3).texts
    for kwargs in (dict(ngram_range=(1, 2), min_df=2, sublinear_tf=True), dict(tokenizer=tokenize, token_pattern=None)):
        _assert_same(TfidfVectorizer(**kwargs), sk.TfidfVectorizer(**kwargs), docs[:400], docs[400:])


words = st.sampled_from(["good", "bad", "movie", "plot", "not", "great", "a", "film", "x1", "é"])


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.lists(words, max_size=12).map(" ".join), min_size=1, max_size=8),
       n_min=st.integers(1, 2), extra=st.integers(0, 2), sublinear=st.booleans(),
       norm=st.sampled_from(["l1", "l2", None]))
def test_property_equal_to_sklearn(docs, n_min, extra, sublinear, norm):
    kwargs = dict(ngram_range=(n_min, n_min + extra), sublinear_tf=sublinear, norm=norm)
    try:
        theirs = sk.TfidfVectorizer(**kwargs).fit_transform(docs)
    except ValueError:  # empty vocabulary: ours must refuse too
        with pytest.raises(ValueError, match="empty vocabulary"):
            TfidfVectorizer(**kwargs).fit_transform(docs)
        return
    ours = TfidfVectorizer(**kwargs).fit_transform(docs)
    assert abs(ours - theirs).max() < 1e-12 if theirs.nnz else ours.nnz == 0


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="single string"):
        TfidfVectorizer().fit_transform("one document")
    with pytest.raises(TypeError, match="must be a str"):
        TfidfVectorizer().fit_transform(["ok", None])
    with pytest.raises(ValueError, match="empty vocabulary"):
        TfidfVectorizer().fit_transform(["a", "b c"])
    with pytest.raises(ValueError, match="no terms remain"):
        TfidfVectorizer(min_df=2).fit_transform(["good film", "bad movie", "sad plot"])
    with pytest.raises(ValueError, match="max_df"):
        TfidfVectorizer(min_df=2, max_df=1).fit_transform(["good movie", "bad movie"])
    with pytest.raises(ValueError, match="ngram_range"):
        TfidfVectorizer(ngram_range=(2, 1)).fit_transform(["good movie"])
    with pytest.raises(ValueError, match="norm"):
        TfidfVectorizer(norm="l3").fit_transform(["good movie"])
    with pytest.raises(ValueError, match="min_df must be"):
        TfidfVectorizer(min_df=1.5).fit_transform(["good movie"])
    with pytest.raises(RuntimeError, match="not fitted"):
        TfidfVectorizer().transform(["good movie"])


def test_unknown_words_and_empty_documents_transform_to_zero_rows():
    v = TfidfVectorizer().fit(["good movie", "bad movie"])
    X = v.transform(["completely unseen words", "", "good"])
    assert X[0].nnz == 0 and X[1].nnz == 0 and X[2].toarray().max() == pytest.approx(1.0)


@pytest.mark.parametrize("vectorizer", [CountVectorizer, TfidfVectorizer])
@pytest.mark.parametrize("min_df", [-1, -0.5, True])
def test_bad_min_df_is_rejected_by_fit_before_reading_the_documents(vectorizer, min_df):
    def documents():
        raise AssertionError("fit read the documents before checking min_df")
        yield "never"
    with pytest.raises(ValueError, match=r"^min_df must be .*got"):
        vectorizer(min_df=min_df).fit(documents())
    with pytest.raises(ValueError, match="min_df must be >= 0, got -1: give a document count"):
        vectorizer(min_df=-1).fit_transform(["a", "b"])   # no token at all: min_df is still named first
    with pytest.raises(ValueError, match="max_features must be a positive int"):
        vectorizer(max_features=0).fit(documents())
