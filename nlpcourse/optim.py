"""AdamW with the usual weight-decay groups, and learning-rate schedules per step (chapter 3).

The schedules are those of Hugging Face's ``get_{constant,linear,cosine}_schedule_with_warmup``,
written out: a linear warm-up from 0 over ``warmup_steps``, then constant, a linear decay to 0
at ``total_steps``, or half a cosine down to 0 (where the rate then stays). :func:`lr_factor` is the
one definition: PyTorch's scheduler calls it every step, Keras' schedule looks up its values
(:func:`lr_factors`, used by :func:`nlpcourse.keras.learning_rate_schedule`).
"""
from __future__ import annotations

import math
from typing import Any

SCHEDULES = ("constant", "linear", "cosine")


def check_schedule(schedule: str) -> str:
    """``schedule`` if it is one of :data:`SCHEDULES`, else a ValueError that lists them."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    return schedule


def lr_factor(step: int, schedule: str, warmup_steps: int, total_steps: int) -> float:
    """The multiplier of the base learning rate for optimizer step ``step`` (0-based) (chapter 3).

    From ``total_steps`` on it keeps its final value: 0 after a decay, 1 for ``constant``.
    """
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    if check_schedule(schedule) == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def lr_factors(schedule: str, warmup: int | float, total_steps: int) -> list[float]:
    """:func:`lr_factor` of steps 0, 1, ... up to the first one after which it no longer changes: the last
    value holds for every later step. For a framework that looks the rate up instead of calling Python (Keras)."""
    check_schedule(schedule)
    warmup_steps = warmup_steps_of(warmup, total_steps)
    last = max(total_steps, warmup_steps + 1)           # the first step at which the decay is over
    return [lr_factor(step, schedule, warmup_steps, total_steps) for step in range(last + 1)]


def warmup_steps_of(warmup: int | float, total_steps: int) -> int:
    """``warmup`` as a number of steps: an int is steps, a float in [0, 1) a share of ``total_steps``."""
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)):
        raise TypeError(f"warmup must be an int (steps) or a float in [0, 1) (share of steps), got {warmup!r}")
    if isinstance(warmup, float):
        if not 0 <= warmup < 1:
            raise ValueError(f"warmup as a float is a share of all steps, in [0, 1); got {warmup}")
        return round(warmup * total_steps)
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0 steps, got {warmup}")
    return warmup


def make_scheduler(optimizer: Any, schedule: str, warmup: int | float, total_steps: int) -> Any:
    """A ``LambdaLR`` stepping :func:`lr_factor` once per optimizer step."""
    import torch
    check_schedule(schedule)
    steps = warmup_steps_of(warmup, total_steps)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, schedule, steps, total_steps))


def make_optimizer(model: Any, lr: float = 1e-3, weight_decay: float = 0.0,
                   betas: tuple[float, float] = (0.9, 0.999)) -> Any:
    """AdamW; weight decay on matrices (weights, embeddings), never on biases or norm scales.

    Decaying a bias or a LayerNorm gain only pulls it towards 0 for no benefit, hence two
    parameter groups, as in BERT's and GPT's training code.
    """
    import torch
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=betas)
