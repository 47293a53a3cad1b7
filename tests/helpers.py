"""Plain functions the tests share: one batch overfitted, the word-order toy task (chapters 5, 7, 9)."""
from __future__ import annotations

from typing import Any

import numpy as np


def overfit(model: Any, inputs: tuple, optimizer: Any, steps: int) -> list[float]:
    """The loss at each of ``steps`` optimizer steps on one batch; ``model(*inputs)`` returns ``(logits, loss)``.

    A model that cannot drive the loss of a few examples towards 0 has a bug, whatever it scores elsewhere."""
    losses = []
    for _ in range(steps):
        _, loss = model(*inputs)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def word_order_task(length: int, vocab_size: int, sizes: tuple[int, ...] = (2000, 400),
                    seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(X, y)`` for each of ``sizes``: rows of ``length`` tokens from ``[3, vocab_size)`` holding token 1 and
    token 2 once each; the label is 1 when token 1 comes first. Both always occur, so a bag of words
    carries nothing: only a model that reads the order can learn it."""
    rng = np.random.default_rng(seed)
    splits = []
    for n in sizes:
        X = rng.integers(3, vocab_size, size=(n, length))
        y = rng.integers(0, 2, size=n)
        for row in range(n):
            first, second = np.sort(rng.choice(length, size=2, replace=False))
            X[row, first], X[row, second] = (1, 2) if y[row] else (2, 1)
        splits.append((X, y))
    return splits
