"""A multilayer perceptron and SGD on the numpy :class:`Tensor` (chapter 3)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlpcourse.autograd.tensor import Tensor


class Linear:
    """``y = x W + b`` with ``W`` of shape ``(in, out)``, initialised like PyTorch (chapter 3).

    Weights and bias are uniform in ``[-1/sqrt(in), 1/sqrt(in)]``, as ``torch.nn.Linear``.
    """

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator):
        bound = 1 / np.sqrt(in_features)
        self.weight = Tensor(rng.uniform(-bound, bound, size=(in_features, out_features)))
        self.bias = Tensor(rng.uniform(-bound, bound, size=(out_features,)))

    def __call__(self, x: Tensor) -> Tensor:
        return x @ self.weight + self.bias  # (B, in) @ (in, out) + (out,) -> (B, out)

    def parameters(self) -> list[Tensor]:
        return [self.weight, self.bias]


class MLP:
    """Linear layers with an activation between them; returns logits (chapter 3).

    >>> mlp = MLP([4, 8, 2], seed=0)
    >>> mlp(Tensor(np.ones((3, 4)))).shape
    (3, 2)
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", seed: int = 0):
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least input and output sizes, got {list(sizes)}")
        if activation not in ("relu", "tanh"):
            raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
        rng = np.random.default_rng(seed)
        self.layers = [Linear(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:])]
        self.activation = activation

    def __call__(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = x.relu() if self.activation == "relu" else x.tanh()
        return x

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]


class SGD:
    """Stochastic gradient descent with momentum, the same update as ``torch.optim.SGD`` (chapter 3).

    ``v <- momentum * v + grad``, then ``p <- p - lr * v``.
    """

    def __init__(self, params: Sequence[Tensor], lr: float = 0.1, momentum: float = 0.0):
        if lr <= 0:
            raise ValueError(f"the learning rate must be positive, got {lr}")
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        for p, v in zip(self.params, self.velocity):
            v *= self.momentum
            v += p.grad
            p.data -= self.lr * v
