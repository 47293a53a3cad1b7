"""What the timed benchmarks share: alternate runs with the best kept, and a cut of the training reviews."""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable


def alternate(functions: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best time in seconds of each function, calling them in turn ``repeats`` times, so that a noisy
    machine slows every side alike."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def first_reviews(data: Any, n: int) -> Any:
    """The :class:`~nlpcourse.data.loaders.IMDBData` with only its first ``n`` training reviews."""
    return dataclasses.replace(data, X_train=data.X_train[:n], y_train=data.y_train[:n])
