"""NB-SVM (Wang & Manning, 2012): a linear SVM on naive-Bayes-scaled binary features (chapter 1).

For binary features x (1 if an n-gram occurs in the document):

    p = alpha + sum of x over positive documents,  q = the same over negative documents
    r = log( (p / ||p||_1) / (q / ||q||_1) )       the log-count ratio of each feature
    an L2-regularised squared-hinge SVM is trained on r * x, giving w and b, and
    w' = (1 - beta) * mean(|w|) + beta * w          interpolates towards naive Bayes
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin


class NBSVM(ClassifierMixin, BaseEstimator):
    """Naive-Bayes-scaled linear SVM for two classes, scikit-learn style (chapter 1).

    Learned state: ``r_`` (log-count ratios), ``coef_``, ``intercept_``, ``classes_``.
    ``random_state`` seeds the SVM solver's coordinate order, so results repeat exactly.
    """

    def __init__(self, alpha: float = 1.0, C: float = 1.0, beta: float = 0.25,
                 binarize: bool = True, max_iter: int = 10_000, random_state: int | None = 0) -> None:
        self.alpha = alpha
        self.C = C
        self.beta = beta
        self.binarize = binarize
        self.max_iter = max_iter
        self.random_state = random_state

    def _features(self, X) -> sp.csr_matrix:
        X = sp.csr_matrix(X, dtype=np.float64)
        if self.binarize:
            X = X.copy()
            X.data = (X.data != 0).astype(np.float64)
        return X

    def fit(self, X, y) -> "NBSVM":
        from sklearn.svm import LinearSVC
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0 (it smooths the counts), got {self.alpha}")
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {self.beta}")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"NBSVM needs exactly two classes, got {len(self.classes_)}: {self.classes_}")
        if X.shape[0] != len(y):
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels")
        X = self._features(X)
        positive = y == self.classes_[1]
        p = self.alpha + np.asarray(X[positive].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(X[~positive].sum(axis=0)).ravel()
        self.r_ = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC(C=self.C, loss="squared_hinge", max_iter=self.max_iter,
                        random_state=self.random_state)
        svm.fit(X.multiply(self.r_).tocsr(), positive.astype(int))
        w = svm.coef_.ravel()
        w = (1 - self.beta) * np.abs(w).mean() + self.beta * w
        self.coef_ = (w * self.r_)[None, :]  # folded: decision = x @ coef_ + intercept_
        self.intercept_ = self.beta * svm.intercept_  # the naive Bayes part has no intercept
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise RuntimeError("NBSVM is not fitted yet: call fit(X, y) first")
        X = self._features(X)
        if X.shape[1] != self.coef_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.coef_.shape[1]}")
        return np.asarray(X @ self.coef_.T).ravel() + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)  # checks that the model is fitted
        return self.classes_[(scores > 0).astype(int)]
