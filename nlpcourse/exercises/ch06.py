"""Checkers for chapter 6 (capsule networks)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import Case, compare_arrays, exercise


def squash_reference(s: np.ndarray) -> np.ndarray:
    """The paper's squash along the last axis, zeros for a zero vector."""
    squared = (s * s).sum(axis=-1, keepdims=True)
    norm = np.sqrt(np.maximum(squared, np.finfo(float).tiny))
    return s * (squared / (1 + squared) / norm)


def routing_iteration_reference(u_hat: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One iteration of routing by agreement: ``(v (J, D), new b (I, J))`` from ``u_hat (I, J, D)`` and ``b (I, J)``."""
    c = np.exp(b - b.max(axis=1, keepdims=True))
    c /= c.sum(axis=1, keepdims=True)
    v = squash_reference(np.einsum("ij,ijd->jd", c, u_hat))
    return v, b + np.einsum("ijd,jd->ij", u_hat, v)


@exercise("ch06.ex2", "squash")
def _squash(squash):
    """``squash(s)``: the paper's squash along the last axis of a NumPy array."""
    rng = np.random.default_rng(6)
    cases = [("one vector", rng.normal(size=4)), ("a batch of vectors", rng.normal(size=(5, 3))),
             ("long vectors", 100 * rng.normal(size=(2, 6))), ("short vectors", 1e-3 * rng.normal(size=(3, 2))),
             ("a zero vector among others", np.vstack([np.zeros(3), rng.normal(size=3)]))]
    for description, s in cases:
        with np.errstate(all="ignore"):
            got = squash(s.copy())
        yield compare_arrays(description, got, squash_reference(s),
                             hint="length ||s||^2 / (1 + ||s||^2), direction s / ||s||, summed over the last axis "
                                  "with keepdims; a zero vector must give zeros, not NaN")


@exercise("ch06.ex3", "one routing iteration")
def _routing_iteration(routing_iteration):
    """``routing_iteration(u_hat, b)`` -> ``(v, new_b)`` for one example: ``u_hat (I, J, D)``, ``b (I, J)``."""
    rng = np.random.default_rng(7)
    for lower, upper, dim in [(3, 2, 4), (6, 3, 2), (1, 4, 5)]:
        u_hat = rng.normal(size=(lower, upper, dim))
        b = rng.normal(size=(lower, upper))
        v, new_b = routing_iteration_reference(u_hat, b)
        got = routing_iteration(u_hat.copy(), b.copy())
        if not isinstance(got, tuple) or len(got) != 2:
            yield Case(f"{lower} lower, {upper} upper capsules", False, "return a pair (v, new_b)")
            continue
        shape = f"{lower} lower capsules, {upper} upper capsules of size {dim}"
        yield compare_arrays(f"{shape}: v", got[0], v,
                             hint="c = softmax of b over the upper capsules (axis 1); s_j = sum_i c_ij u_hat_ij; v = squash(s)")
        yield compare_arrays(f"{shape}: new b", got[1], new_b,
                             hint="agreement is the dot product of u_hat_ij with v_j, added to b")
