"""Checkers for chapter 3 (feedforward networks and backpropagation)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import Case, compare_arrays, exercise


@exercise("ch03.ex2", "gradient reduction after broadcasting")
def _unbroadcast(unbroadcast):
    """``unbroadcast(grad, shape)`` -> grad summed over the broadcast axes, with the given shape."""
    rng = np.random.default_rng(3)
    cases = [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((5,), ()),
             ((2, 3), (2, 3)), ((2, 3, 4), (4,)), ((3, 2, 4, 3), (4, 1)), ((2, 2, 3), ())]
    for grad_shape, shape in cases:
        grad = rng.normal(size=grad_shape)
        expected = grad
        while expected.ndim > len(shape):
            expected = expected.sum(axis=0)
        for axis, size in enumerate(shape):
            if size == 1:
                expected = expected.sum(axis=axis, keepdims=True)
        got = unbroadcast(grad.copy(), shape)
        if np.shape(got) != shape:
            yield Case(f"grad {grad_shape} -> {shape}", False,
                       f"expected shape {shape}, got {np.shape(got)}: sum every leading axis away "
                       "(there may be several), and keep (keepdims=True) the axes of size 1")
            continue
        yield compare_arrays(f"grad {grad_shape} -> {shape}", got, expected,
                             hint="an input used many times receives the sum of its gradients")


@exercise("ch03.ex3", "gradient of softmax cross-entropy")
def _cross_entropy_grad(cross_entropy_grad):
    """``cross_entropy_grad(logits, targets)`` -> d(mean loss)/d(logits) = (softmax - one_hot) / N."""
    rng = np.random.default_rng(5)
    for n, c, scale in [(1, 2, 1.0), (4, 3, 1.0), (6, 5, 3.0), (3, 4, 500.0)]:
        logits = rng.normal(size=(n, c)) * scale
        targets = rng.integers(0, c, size=n)
        shifted = logits - logits.max(axis=1, keepdims=True)
        expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        expected[np.arange(n), targets] -= 1
        expected /= n
        hint = "subtract each row's maximum before exp, so large logits do not overflow" if scale > 100 \
            else "softmax minus the one-hot targets, divided by the batch size N (the loss is a mean)"
        yield compare_arrays(f"{n} examples, {c} classes, logits up to ~{scale:g}",
                             cross_entropy_grad(logits.copy(), targets.copy()), expected, hint=hint)
