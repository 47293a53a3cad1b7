"""Metrics in one place, so every model of the course is scored alike (chapters 1 and 3).

``classification_scores`` scores finished predictions (numpy). The streaming metrics below
are what :func:`nlpcourse.train.evaluate` accumulates batch by batch: each gets the logits,
the targets and the batch's mean loss, and :meth:`Metric.compute` gives the value over all
batches seen. Targets equal to ``ignore_index`` (padding) are left out everywhere.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nlpcourse.tokens import IGNORE_INDEX


def classification_scores(y_true, y_pred, average: str | None = None) -> dict[str, float]:
    """Accuracy and F1 of class predictions (chapter 1).

    ``average=None`` picks the F1 of the positive class 1 when the labels are binary and
    the macro average over classes otherwise; ``"binary"`` or ``"macro"`` force one.
    """
    from sklearn.metrics import accuracy_score, f1_score
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    if average is None:
        average = "binary" if set(np.unique(np.concatenate([y_true, y_pred])).tolist()) <= {0, 1} else "macro"
    if average not in ("binary", "macro"):
        raise ValueError(f"average must be None, 'binary' or 'macro', got {average!r}")
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "f1": float(f1_score(y_true, y_pred, average=average, zero_division=0.0))}


class Metric:
    """A value accumulated over batches: ``update`` per batch, then ``compute`` (chapter 3)."""

    name = "metric"
    higher_is_better = True

    def __init__(self, ignore_index: int = IGNORE_INDEX) -> None:
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, logits: Any, targets: Any, loss: float, count: int) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError

    def _predictions(self, logits: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predicted and true classes of the targets that count, flattened, as numpy."""
        y_pred = logits.argmax(dim=-1).reshape(-1)
        y_true = targets.reshape(-1)
        keep = y_true != self.ignore_index
        return y_true[keep].cpu().numpy(), y_pred[keep].cpu().numpy()


class Accuracy(Metric):
    """Share of targets predicted right; for sequences, of the tokens that count."""

    name = "accuracy"

    def reset(self) -> None:
        self.correct, self.total = 0, 0

    def update(self, logits, targets, loss, count) -> None:
        y_true, y_pred = self._predictions(logits, targets)
        self.correct += int((y_true == y_pred).sum())
        self.total += len(y_true)

    def compute(self) -> float:
        return self.correct / self.total if self.total else float("nan")


class TokenAccuracy(Accuracy):
    """Accuracy over tokens of ``(B, T, V)`` logits, padding (``ignore_index``) left out."""

    name = "token_accuracy"


class F1(Metric):
    """F1 as scikit-learn computes it: binary (class 1) for two classes, else macro (see ``average``)."""

    name = "f1"

    def __init__(self, average: str | None = None, ignore_index: int = IGNORE_INDEX) -> None:
        self.average = average
        super().__init__(ignore_index)

    def reset(self) -> None:
        self.y_true: list[np.ndarray] = []
        self.y_pred: list[np.ndarray] = []
        self.num_classes = 0

    def update(self, logits, targets, loss, count) -> None:
        y_true, y_pred = self._predictions(logits, targets)
        self.y_true.append(y_true)
        self.y_pred.append(y_pred)
        self.num_classes = max(self.num_classes, int(logits.shape[-1]))

    def compute(self) -> float:
        if not self.y_true:
            return float("nan")
        average = self.average or ("binary" if self.num_classes == 2 else "macro")
        return classification_scores(np.concatenate(self.y_true), np.concatenate(self.y_pred), average)["f1"]


class MacroF1(F1):
    """F1 averaged over classes with equal weight, for any number of classes."""

    name = "macro_f1"

    def __init__(self, ignore_index: int = IGNORE_INDEX) -> None:
        super().__init__("macro", ignore_index)


class Perplexity(Metric):
    """``exp`` of the mean loss per counted token: how many choices the model hesitates between."""

    name = "perplexity"
    higher_is_better = False

    def reset(self) -> None:
        self.loss_sum, self.count = 0.0, 0

    def update(self, logits, targets, loss, count) -> None:
        self.loss_sum += loss * count
        self.count += count

    def compute(self) -> float:
        return math.exp(min(self.loss_sum / self.count, 700.0)) if self.count else float("nan")


METRICS: dict[str, type[Metric]] = {m.name: m for m in (Accuracy, TokenAccuracy, F1, MacroF1, Perplexity)}


def make_metrics(metrics: Iterable[str | Metric], ignore_index: int = IGNORE_INDEX) -> list[Metric]:
    """Metric objects from names (``"accuracy"``, ``"f1"``, ``"macro_f1"``, ``"token_accuracy"``,
    ``"perplexity"``) or ready-made :class:`Metric` instances (chapter 3)."""
    if isinstance(metrics, str):
        metrics = [metrics]
    made = []
    for metric in metrics:
        if isinstance(metric, Metric):
            metric.reset()
            made.append(metric)
        elif metric in METRICS:
            made.append(METRICS[metric](ignore_index=ignore_index))
        else:
            raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)} or a Metric instance")
    if len({m.name for m in made}) != len(made):
        raise ValueError(f"metrics must have distinct names, got {[m.name for m in made]}")
    if "loss" in {m.name for m in made}:
        raise ValueError("'loss' is always reported: do not pass it as a metric")
    return made
