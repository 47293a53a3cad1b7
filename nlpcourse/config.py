"""Run configuration: one source, two scales (chapter 1, used by every chapter).

``NLPCOURSE_PROFILE=quick|full`` picks the profile; without it the course runs
``full`` when a CUDA GPU is present and ``quick`` otherwise.

- **quick**: CPU, CI and laptops: IMDB subsets, short sequences, 1-2 epochs.
- **full**: one GPU (16 GB is enough): the whole 25k/25k split, real model sizes.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, TypeVar

from nlpcourse.utils import check_int

T = TypeVar("T")

PROFILE_ENV = "NLPCOURSE_PROFILE"
SEED_ENV = "NLPCOURSE_SEED"
MAX_SEED = 2**32 - 1  # numpy's limit


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """The profile, the seed and the data sizes every chapter shares (chapter 1).

    Model sizes and training settings live beside each model (``preset(cfg)`` and ``recipe(cfg)``,
    see :mod:`nlpcourse.models.configs`). Notebooks choose sizes with :meth:`choose`, e.g.
    ``cfg.choose(quick=2, full=10)``.
    """

    profile: str
    seed: int = 0
    train_size: int | None = None  # None: the whole split
    test_size: int | None = None

    @property
    def is_quick(self) -> bool:
        return self.profile == "quick"

    def choose(self, quick: T, full: T) -> T:
        """Return ``quick`` in the quick profile and ``full`` in the full profile."""
        return quick if self.is_quick else full

    def replace(self, **changes: Any) -> "RunConfig":
        """A copy with some fields changed (the config itself is frozen)."""
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, RunConfig] = {
    "quick": RunConfig(profile="quick", train_size=2000, test_size=1000),
    "full": RunConfig(profile="full", train_size=None, test_size=None),
}


def require_at_least(config: Any, names: tuple[str, ...], minimum: int, reason: str = "") -> None:
    """A ValueError naming the first of ``names`` whose value in ``config`` is below ``minimum``."""
    for name in names:
        value = getattr(config, name)
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}{reason}, got {value}")


@dataclasses.dataclass(frozen=True)
class TrainRecipe:
    """How a model is trained in one profile (chapter 3): its data sizes and the settings of
    :func:`~nlpcourse.train.fit`, which takes the recipe whole (``fit(model, train, val, cfg, recipe)``).

    The defaults are ``fit``'s own: one epoch at a constant 1e-3, no early stopping.
    """

    batch_size: int = 32
    epochs: int = 1
    lr: float = 1e-3
    max_len: int = 200                   # tokens per review: longer ones are cut, shorter ones padded
    max_vocab: int = 20_000              # vocabulary entries (or TF-IDF features) kept
    truncating: str = "post"             # a long review loses its end ("post") or its beginning ("pre")
    bucket: bool = False                 # batches of reviews of similar lengths, cut to the longest (chapter 5)
    weight_decay: float = 0.0            # AdamW's, on matrices only
    schedule: str = "constant"           # the learning rate after warm-up: constant, linear or cosine decay
    warmup: float = 0.0                  # warm-up steps, or a share of all steps when below 1
    accumulate: int = 1                  # batches per optimizer step
    clip_grad_norm: float | None = 1.0
    patience: int | None = None          # epochs without a better validation score before stopping

    FIT_FIELDS = ("epochs", "lr", "weight_decay", "schedule", "warmup", "accumulate", "clip_grad_norm", "patience")

    def __post_init__(self) -> None:
        for name in ("batch_size", "epochs", "max_len", "max_vocab", "accumulate"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.truncating not in ("pre", "post"):
            raise ValueError(f"truncating must be 'pre' (keep a review's end) or 'post' (keep its beginning), "
                             f"got {self.truncating!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise ValueError(f"patience must be None (no early stopping) or an integer >= 1, got {self.patience!r}")

    def replace(self, **changes: Any) -> "TrainRecipe":
        """A copy with some fields changed, each checked (the recipe itself is frozen)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"TrainRecipe has no field {', '.join(map(repr, unknown))}: "
                            f"its fields are {', '.join(f.name for f in dataclasses.fields(self))}")
        return dataclasses.replace(self, **changes)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def default_profile() -> str:
    """``$NLPCOURSE_PROFILE`` if set, else ``full`` on a CUDA machine, else ``quick``."""
    name = os.environ.get(PROFILE_ENV, "").strip().lower()
    if name:
        return name
    return "full" if _cuda_available() else "quick"


def get_config(profile: str | None = None, seed: int | None = None) -> RunConfig:
    """The :class:`RunConfig` of a profile (chapter 1).

    >>> get_config("quick").train_size
    2000
    """
    name = (profile or default_profile()).strip().lower()
    if name not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown profile {name!r}: valid profiles are {valid} "
                         f"(set {PROFILE_ENV} to one of them)")
    cfg = PROFILES[name]
    if seed is not None:
        return cfg.replace(seed=check_int("seed", seed, 0, MAX_SEED, hint="pass e.g. seed=0"))
    if os.environ.get(SEED_ENV):
        try:
            seed = int(os.environ[SEED_ENV])
        except ValueError:
            raise ValueError(f"{SEED_ENV} must be an integer, got {os.environ[SEED_ENV]!r}") from None
        return cfg.replace(seed=check_int(SEED_ENV, seed, 0, MAX_SEED, hint=f"set e.g. {SEED_ENV}=0"))
    return cfg


def slow_profile_notice(cfg: RunConfig) -> str | None:
    """One line saying the full profile will be slow without a CUDA GPU, else None (chapter 1)."""
    if cfg.profile != "full" or _cuda_available():
        return None
    return (f"nlpcourse: the full profile without a GPU is slow (the whole IMDB splits, full model sizes); "
            f"for the quick profile set {PROFILE_ENV}=quick before starting, or call nlpcourse.setup(profile='quick')")
