"""Finite-difference gradient checks: the test every autograd must pass (chapter 3)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nlpcourse.autograd.tensor import Tensor


def numerical_grad(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``, one entry at a time (chapter 3)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(f: Callable[..., Tensor], inputs: Sequence[np.ndarray], eps: float = 1e-6,
              rtol: float = 1e-5, atol: float = 1e-7) -> float:
    """Compare autograd gradients of ``f(*tensors)`` with central differences (chapter 3).

    Returns the largest absolute difference; raises ``AssertionError`` naming the input
    when the gradients disagree.
    """
    tensors = [Tensor(np.array(x, dtype=np.float64)) for x in inputs]
    f(*tensors).backward()
    worst = 0.0
    for k, t in enumerate(tensors):
        def f_k(xk, k=k):
            args = [Tensor(xk) if j == k else Tensor(tensors[j].data) for j in range(len(tensors))]
            return float(f(*args).data)
        expected = numerical_grad(f_k, t.data, eps)
        diff = float(np.max(np.abs(t.grad - expected), initial=0.0))
        if not np.allclose(t.grad, expected, rtol=rtol, atol=atol):
            raise AssertionError(f"input {k}: autograd and finite differences differ by up to {diff:.3g}")
        worst = max(worst, diff)
    return worst
