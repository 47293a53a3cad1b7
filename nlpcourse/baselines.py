"""The chapter-1 sentiment baselines, as used by the chapter and the benchmark (chapter 1)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
