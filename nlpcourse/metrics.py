"""Classification metrics in one place, so every model of the course is scored alike (chapter 1)."""
from __future__ import annotations

import numpy as np


def classification_scores(y_true, y_pred) -> dict[str, float]:
    """Accuracy and F1 (positive class 1) of binary predictions."""
    from sklearn.metrics import accuracy_score, f1_score
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "f1": float(f1_score(y_true, y_pred))}
