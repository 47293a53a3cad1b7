"""The first cell of every chapter: works on Colab, a laptop and CI (chapter 1)."""
from __future__ import annotations

import os
import platform
import sys

from nlpcourse.config import RunConfig, get_config
from nlpcourse.utils import set_seed


def in_colab() -> bool:
    return "google.colab" in sys.modules


def describe_hardware() -> str:
    """'NVIDIA T4 (15.8 GB)' or 'CPU (2 cores)'."""
    try:
        import torch
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return f"{props.name} ({props.total_memory / 2**30:.1f} GB)"
    except ImportError:
        pass
    return f"CPU ({os.cpu_count()} cores, {platform.machine()})"


def setup(seed: int | None = None, profile: str | None = None) -> RunConfig:
    """Seed everything and print profile, device and seed; returns the :class:`RunConfig`."""
    cfg = get_config(profile, seed=seed)
    set_seed(cfg.seed)
    try:  # the website shows plotly figures; PLOTLY_RENDERER picks how
        import plotly.io as pio
        renderer = os.environ.get("PLOTLY_RENDERER")
        if renderer:
            pio.renderers.default = renderer
    except ImportError:
        pass
    where = "Colab" if in_colab() else platform.node() or "local"
    print(f"nlpcourse profile={cfg.profile} seed={cfg.seed} device={describe_hardware()} on {where}")
    return cfg
