"""A vectorized reverse-mode autograd on numpy arrays (chapter 3).

The same idea as :class:`~nlpcourse.autograd.engine.Value`, one array at a time. The new
ingredient is **broadcasting**: when ``x + b`` adds a bias of shape ``(H,)`` to every row
of ``x`` of shape ``(B, H)``, the bias was used ``B`` times, so its gradient is the *sum*
of the ``B`` row gradients. :func:`unbroadcast` does that reduction for every operation.
"""
from __future__ import annotations

from typing import Union

import numpy as np

from nlpcourse.autograd.engine import topological_order

ArrayLike = Union[np.ndarray, float, int, list]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape`` (chapter 3)."""
    while grad.ndim > len(shape):  # leading axes that broadcasting prepended
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of size 1 that were stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """A numpy array that records how it was computed (chapter 3).

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> (x * x).sum().backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]])
    """

    __array_ufunc__ = None  # numpy defers to us: ``ndarray * Tensor`` calls ``Tensor.__rmul__``

    def __init__(self, data: ArrayLike, _children: tuple["Tensor", ...] = (), _op: str = ""):
        if isinstance(data, Tensor):
            raise TypeError("Tensor(data) takes an array, not a Tensor")
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._backward = lambda: None
        self._prev = _children
        self._op = _op

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    # ---- elementwise, with broadcasting ---------------------------------------------------
    def __add__(self, other: "Tensor | ArrayLike") -> "Tensor":
        other = _as_tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)
        out._backward = _backward
        return out

    def __mul__(self, other: "Tensor | ArrayLike") -> "Tensor":
        other = _as_tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward():  # swap the inputs, then undo broadcasting
            self.grad += unbroadcast(other.data * out.grad, self.shape)
            other.grad += unbroadcast(self.data * out.grad, other.shape)
        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> "Tensor":
        if not isinstance(exponent, (int, float)):
            raise TypeError("Tensor ** exponent supports int or float exponents only")
        out = Tensor(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self) -> "Tensor":
        out = Tensor(np.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self) -> "Tensor":
        if np.any(self.data <= 0):
            raise ValueError("log of a non-positive entry: every input must be > 0")
        out = Tensor(np.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self) -> "Tensor":
        out = Tensor(np.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def relu(self) -> "Tensor":
        out = Tensor(np.maximum(self.data, 0), (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    # ---- matrix product and reductions --------------------------------------------------
    def __matmul__(self, other: "Tensor") -> "Tensor":
        other = _as_tensor(other)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(f"matmul expects two 2-D tensors, got shapes {self.shape} and {other.shape}")
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"cannot multiply {self.shape} by {other.shape}: inner sizes differ")
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward():  # (B, K) @ (K, H) -> (B, H): dA = dC B^T, dB = A^T dC
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._backward = _backward
        return out

    def sum(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward():  # every input entry contributed once: copy the gradient back
            grad = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(grad, self.shape)
        out._backward = _backward
        return out

    def mean(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        count = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    # ---- derived operations ----------------------------------------------------------------
    def __neg__(self) -> "Tensor":
        return self * -1.0

    def __sub__(self, other: "Tensor | ArrayLike") -> "Tensor":
        return self + (-_as_tensor(other))

    def __truediv__(self, other: "Tensor | ArrayLike") -> "Tensor":
        return self * _as_tensor(other) ** -1

    def __radd__(self, other: ArrayLike) -> "Tensor":
        return self + other

    def __rmul__(self, other: ArrayLike) -> "Tensor":
        return self * other

    def __rsub__(self, other: ArrayLike) -> "Tensor":
        return _as_tensor(other) - self

    def __rtruediv__(self, other: ArrayLike) -> "Tensor":
        return _as_tensor(other) * self ** -1

    def __rmatmul__(self, other: ArrayLike) -> "Tensor":
        return _as_tensor(other) @ self

    def sigmoid(self) -> "Tensor":
        return 1.0 / (1.0 + (-self).exp())

    # ---- reverse mode -------------------------------------------------------------------
    def backward(self) -> None:
        """Gradients of this scalar with respect to every tensor it depends on."""
        if self.data.size != 1:
            raise ValueError(f"backward() needs a scalar (e.g. a loss), got shape {self.shape}: reduce it first")
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.data)
        self.grad = np.ones_like(self.data)
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, op={self._op or 'leaf'!r})"


def _as_tensor(x: "Tensor | ArrayLike") -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Mean softmax cross-entropy of ``(N, C)`` logits and ``N`` integer labels (chapter 3).

    Fused, as in every library: the gradient of the mean loss with respect to the logits
    is ``(softmax(logits) - one_hot(targets)) / N``, and the log-sum-exp is computed
    after subtracting each row's maximum, so large logits do not overflow.
    """
    targets = np.asarray(targets)
    if logits.data.ndim != 2 or targets.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy expects (N, C) logits and N labels, got {logits.shape} and {targets.shape}")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in [0, {logits.shape[1]}), got {targets.min()}..{targets.max()}")
    n = logits.shape[0]
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    out = Tensor(-log_probs[np.arange(n), targets].mean(), (logits,), "cross_entropy")

    def _backward():
        grad = np.exp(log_probs)
        grad[np.arange(n), targets] -= 1
        logits.grad += grad / n * out.grad
    out._backward = _backward
    return out
