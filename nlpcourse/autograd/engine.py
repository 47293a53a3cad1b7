"""A scalar reverse-mode autograd engine (chapter 3).

Every operation creates a new :class:`Value` that remembers its inputs and a ``_backward``
closure. The closure applies the chain rule locally: it multiplies the gradient of the
output (``out.grad``) by the derivative of the operation and *adds* the result to the
gradient of each input (an input used twice receives two contributions).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Union

Number = Union[int, float]


class Value:
    """A scalar that records how it was computed, so it can differentiate it (chapter 3).

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad
    (-2.0, 2.0)
    """

    def __init__(self, data: Number, _children: Iterable["Value"] = (), _op: str = "", label: str = ""):
        if isinstance(data, Value):
            raise TypeError("Value(data) takes a number, not a Value: use the Value itself")
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    # ---- operations: forward and backward side by side ----------------------------------
    def __add__(self, other: "Value | Number") -> "Value":
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a+b)/da = 1, d(a+b)/db = 1: the gradient flows through unchanged
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other: "Value | Number") -> "Value":
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a: multiplication swaps the inputs
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> "Value":
        if not isinstance(exponent, (int, float)):
            raise TypeError("Value ** exponent supports int or float exponents only")
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():  # d(x^n)/dx = n x^(n-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self) -> "Value":
        if self.data > 709.78:  # math.exp would overflow a float
            raise OverflowError(f"exp({self.data:.4g}) is too large for a float: scale the input down")
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d(e^x)/dx = e^x, the output itself
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self) -> "Value":
        if self.data <= 0:
            raise ValueError(f"log of a non-positive number ({self.data}): its input must be > 0")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self) -> "Value":
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():  # d tanh(x)/dx = 1 - tanh(x)^2
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self) -> "Value":
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else math.exp(self.data) / (1 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():  # d sigma(x)/dx = sigma(x) (1 - sigma(x)), at most 1/4
            self.grad += out.data * (1 - out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self) -> "Value":
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():  # 1 where the input was positive, else 0 (the dead zone)
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def max(self, other: "Value | Number") -> "Value":
        other = _as_value(other)
        out = Value(max(self.data, other.data), (self, other), "max")

        def _backward():  # max routes the gradient to the larger input (a tie shares it, as torch does)
            share = 0.5 if self.data == other.data else 1.0
            self.grad += share * (self.data >= other.data) * out.grad
            other.grad += share * (other.data >= self.data) * out.grad
        out._backward = _backward
        return out

    # ---- the rest follows from the operations above ------------------------------------
    def __neg__(self) -> "Value":
        return self * -1

    def __sub__(self, other: "Value | Number") -> "Value":
        return self + (-_as_value(other))

    def __truediv__(self, other: "Value | Number") -> "Value":
        return self * _as_value(other) ** -1

    def __radd__(self, other: Number) -> "Value":
        return self + other

    def __rmul__(self, other: Number) -> "Value":
        return self * other

    def __rsub__(self, other: Number) -> "Value":
        return _as_value(other) - self

    def __rtruediv__(self, other: Number) -> "Value":
        return _as_value(other) / self

    # ---- reverse mode -------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``.grad`` of every Value this one depends on: d(self)/d(node)."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


def _as_value(x: "Value | Number") -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, float)):
        return Value(x)
    raise TypeError(f"cannot combine a Value with {type(x).__name__}: use numbers or Values")


def topological_order(root) -> list:
    """Nodes of the graph ending at ``root``, every node after its inputs (chapter 3)."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:  # iterative depth-first search: deep graphs do not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in seen)
    return order
