"""Checkers for chapter 10 (fine-tuning: head+tail truncation, layer-wise learning rates)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import Case, compare_arrays, exercise


# Exercise 2 -----------------------------------------------------------------------------------
def head_plus_tail_reference(ids: list[int], budget: int, head: int) -> list[int]:
    """The first ``head`` ids and the last ``budget - head``, or all of them when they fit."""
    if len(ids) <= budget:
        return list(ids)
    return list(ids[:head]) + list(ids[len(ids) - (budget - head):])


def _truncation_cases() -> list[tuple[str, list[int], int, int]]:
    rng = np.random.default_rng(10)
    long_review = [int(i) for i in rng.integers(1000, 30000, size=700)]
    return [
        ("a long review, Sun et al.'s 128 + 382", long_review, 510, 128),
        ("a review that fits is kept whole", list(range(100, 150)), 510, 128),
        ("exactly the budget: nothing is cut", list(range(20)), 20, 5),
        ("one token over the budget", list(range(21)), 20, 5),
        ("head = budget: the head only (careful: ids[-0:] is the whole list)", list(range(50)), 10, 10),
        ("head = 0: the tail only", list(range(50)), 10, 0),
        ("an empty review", [], 10, 3),
    ]


def _truncation_hint(got, ids, budget, head) -> str:
    if not isinstance(got, (list, tuple, np.ndarray)):
        return "return a list of ids"
    got = list(got)
    if len(ids) <= budget:
        return "a review that fits the budget is returned whole"
    if len(got) > budget:
        return ("at most budget ids: when head == budget, ids[-(budget - head):] is ids[-0:], the whole list; "
                "write ids[len(ids) - (budget - head):]")
    if got == list(ids[:budget]):
        return f"that is the head only: keep the first {head} and the last {budget - head}"
    if got == list(ids[-budget:]):
        return f"that is the tail only: keep the first {head} and the last {budget - head}"
    return f"the first {head} ids, then the last {budget - head}, in their order"


@exercise("ch10.ex2", "head+tail truncation")
def _head_plus_tail(head_plus_tail):
    """``head_plus_tail(ids, budget, head)`` -> the first ``head`` and last ``budget - head`` ids of a long review."""
    for description, ids, budget, head in _truncation_cases():
        expected = head_plus_tail_reference(ids, budget, head)
        got = head_plus_tail(list(ids), budget, head)
        hint = _truncation_hint(got, ids, budget, head)
        try:
            got = [int(i) for i in got]
        except (TypeError, ValueError):
            yield Case(description, False, hint)
            continue
        yield Case(description, True) if got == expected else Case(description, False, hint)


# Exercise 3 -----------------------------------------------------------------------------------
def layer_lrs_reference(num_layers: int, base_lr: float, decay: float) -> np.ndarray:
    """Learning rates of ``[embeddings, layer 0, ..., layer L-1]``: the top layer ``base_lr``, each one below
    ``decay`` times the one above it, the embeddings below layer 0."""
    return base_lr * decay ** np.arange(num_layers, -1, -1, dtype=float)


def _layer_hint(got, num_layers: int, base_lr: float, decay: float) -> str:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return "return a list of floats"
    if got.shape != (num_layers + 1,):
        return f"one rate for the embeddings and one per layer: {num_layers + 1} numbers"
    if np.allclose(got, layer_lrs_reference(num_layers, base_lr, decay)[::-1]):
        return "the order is [embeddings, layer 0, ..., top layer]: the top layer gets base_lr, the embeddings the least"
    if np.isclose(got[-1], base_lr * decay):
        return "the top layer itself gets base_lr, undecayed: decay ** 0"
    return "layer k gets base_lr * decay ** (num_layers - 1 - k); the embeddings base_lr * decay ** num_layers"


@exercise("ch10.ex3", "layer-wise learning-rate decay")
def _layer_lrs(layer_lrs):
    """``layer_lrs(num_layers, base_lr, decay)`` -> ``[embeddings, layer 0, ..., layer L-1]`` learning rates."""
    for num_layers, base_lr, decay in ((12, 2e-5, 0.95), (6, 1e-4, 0.8), (1, 3e-5, 0.5), (4, 1e-3, 1.0)):
        description = f"{num_layers} layers, base_lr={base_lr:g}, decay={decay}"
        got = layer_lrs(num_layers, base_lr, decay)
        yield compare_arrays(description, got, layer_lrs_reference(num_layers, base_lr, decay),
                             hint=_layer_hint(got, num_layers, base_lr, decay), atol=1e-12)
