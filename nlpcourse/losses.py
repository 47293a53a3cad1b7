"""The losses course models compute in ``forward(..., targets)`` (chapter 3, used from chapter 3 on).

A low floor of the package: models, the training loop and the benchmarks all take them from here.
"""
from __future__ import annotations

from typing import Any

from nlpcourse.tokens import IGNORE_INDEX


def cross_entropy(logits: Any, targets: Any, ignore_index: int = IGNORE_INDEX) -> Any:
    """Mean cross-entropy of ``(..., C)`` logits against ``(...)`` targets, padding left out."""
    import torch.nn.functional as F
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits of shape {tuple(logits.shape)} do not fit targets of shape {tuple(targets.shape)}:"
                         " expected (..., classes) and (...)")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=ignore_index)


def count_targets(targets: Any, ignore_index: int = IGNORE_INDEX) -> int:
    """How many targets count: all class labels, or the tokens that are not padding."""
    if targets.dtype.is_floating_point:
        return len(targets)
    return int((targets != ignore_index).sum())
