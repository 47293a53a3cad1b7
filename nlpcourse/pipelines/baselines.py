"""The chapter-1 and chapter-2 sentiment baselines, as used by the chapters and the benchmark (chapters 1-2)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlpcourse.config import RunConfig
from nlpcourse.metrics import classification_scores
from nlpcourse.text import CountVectorizer, TfidfVectorizer, clean_text, tokenize


def tokens_with_marks(text: str) -> list[str]:
    """Words plus "!" and "?", which carry sentiment."""
    return tokenize(text, punctuation=True)


def tfidf_logreg(train_texts: Sequence[str], y_train, test_texts: Sequence[str], y_test,
                 C: float = 16.0) -> dict[str, float]:
    """TF-IDF (uni+bigrams, min_df=2, sublinear tf) + logistic regression: test scores."""
    from sklearn.linear_model import LogisticRegression
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, tokenizer=tokens_with_marks)
    X_train = vectorizer.fit_transform([clean_text(t) for t in train_texts])
    X_test = vectorizer.transform([clean_text(t) for t in test_texts])
    model = LogisticRegression(C=C, max_iter=2000).fit(X_train, y_train)
    return classification_scores(y_test, model.predict(X_test)) | {"features": X_train.shape[1]}


def nbsvm(train_texts: Sequence[str], y_train, test_texts: Sequence[str], y_test,
          C: float = 0.1, beta: float = 0.25) -> dict[str, float]:
    """NB-SVM on binary uni+bigrams: test scores."""
    from nlpcourse.models.nbsvm import NBSVM
    vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True, tokenizer=tokens_with_marks)
    X_train = vectorizer.fit_transform([clean_text(t) for t in train_texts])
    X_test = vectorizer.transform([clean_text(t) for t in test_texts])
    model = NBSVM(C=C, beta=beta).fit(X_train, np.asarray(y_train))
    return classification_scores(y_test, model.predict(X_test)) | {"features": X_train.shape[1]}


VECTORS_C = 10.0   # logistic regression's inverse regularisation on word-vector features (chapter 2)


def n_unlabelled(cfg: RunConfig) -> int:
    """How many unlabelled reviews join the training reviews to train word vectors on IMDB (chapter 2)."""
    return cfg.choose(quick=1_000, full=50_000)


def n_centroids(cfg: RunConfig) -> int:
    """How many k-means clusters the bag of centroids uses in a profile (chapter 2)."""
    return cfg.choose(quick=200, full=1000)


def _vector_features_logreg(features, train_texts, y_train, test_texts, y_test, C: float) -> dict[str, float]:
    import warnings

    from sklearn.linear_model import LogisticRegression
    train_tokens = [tokenize(clean_text(t)) for t in train_texts]
    test_tokens = [tokenize(clean_text(t)) for t in test_texts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # a handful of reviews may have no known word
        X_train, X_test = features.fit_transform(train_tokens), features.transform(test_tokens)
    model = LogisticRegression(C=C, max_iter=3000).fit(X_train, y_train)
    return classification_scores(y_test, model.predict(X_test)) | {"features": X_train.shape[1]}


def glove_mean_logreg(train_texts: Sequence[str], y_train, test_texts: Sequence[str], y_test,
                      C: float = VECTORS_C) -> dict[str, float]:
    """Each review as the mean of its GloVe 50d vectors + logistic regression: test scores (chapter 2)."""
    from nlpcourse.data.glove import load_glove
    from nlpcourse.embeddings.averaging import MeanEmbeddingVectorizer
    return _vector_features_logreg(MeanEmbeddingVectorizer(load_glove(50)), train_texts, y_train, test_texts,
                                   y_test, C)


def glove_centroids_logreg(train_texts: Sequence[str], y_train, test_texts: Sequence[str], y_test,
                           n_clusters: int, C: float = VECTORS_C, seed: int = 0) -> dict[str, float]:
    """Each review as a histogram over k-means clusters of GloVe 50d words + logistic regression (chapter 2)."""
    from nlpcourse.data.glove import load_glove
    from nlpcourse.embeddings.centroids import BagOfCentroids
    centroids = BagOfCentroids(load_glove(50), n_clusters=n_clusters, max_words=20_000, random_state=seed)
    return _vector_features_logreg(centroids, train_texts, y_train, test_texts, y_test, C)


def fasttext_mean_logreg(train_texts: Sequence[str], y_train, test_texts: Sequence[str], y_test, cfg: RunConfig,
                         unlabelled_texts: Sequence[str] = (), C: float = VECTORS_C) -> dict[str, float]:
    """FastText trained on the training and unlabelled reviews (``fasttext_params(cfg)``); each review as the
    mean of its words' vectors, unknown words composed from their n-grams; + logistic regression (chapter 2)."""
    from nlpcourse.embeddings.averaging import MeanEmbeddingVectorizer
    from nlpcourse.embeddings.fasttext import train_fasttext
    model = train_fasttext([tokenize(clean_text(t)) for t in [*train_texts, *unlabelled_texts]], cfg)
    return _vector_features_logreg(MeanEmbeddingVectorizer(model.wv, subwords=True), train_texts, y_train,
                                   test_texts, y_test, C)
