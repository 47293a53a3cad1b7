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
    """Everything a chapter needs to pick its sizes (chapter 1).

    Notebooks choose sizes with :meth:`choose`, e.g. ``cfg.choose(quick=2, full=10)``.
    """

    profile: str
    seed: int = 0
    train_size: int | None = None  # None: the whole split
    test_size: int | None = None
    max_len: int = 200
    epochs: int = 2
    batch_size: int = 64

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
    "quick": RunConfig(profile="quick", train_size=2000, test_size=1000, max_len=200,
                       epochs=2, batch_size=64),
    "full": RunConfig(profile="full", train_size=None, test_size=None, max_len=500,
                      epochs=10, batch_size=64),
}


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
