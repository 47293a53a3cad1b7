"""The first cell of every chapter: works on Colab, a laptop and CI (chapter 1)."""
from __future__ import annotations

import os
import platform
import sys
import warnings

from nlpcourse.config import RunConfig, get_config, slow_profile_notice
from nlpcourse.utils import describe_hardware, keep_freed_memory, set_seed, threads_notice, use_free_cores


# Idle OpenMP threads spin briefly before they sleep: long-spinning threads of torch and numpy starve
# each other on a 2-core machine, while threads that sleep at once make every small step of a recurrent
# network wait for them to wake (chapter 5 ran 2-3 times slower). libgomp reads it when torch loads it.
OPENMP_SETTINGS = {"GOMP_SPINCOUNT": "10000"}


def in_colab() -> bool:
    return "google.colab" in sys.modules


WEB_ENV = "NLPCOURSE_WEB"


def use_web_plotly_renderer() -> None:
    """Render plotly figures for the website: plotly.js served by the site, no MathJax of its own.

    The site adds plotly.js to the pages that need it (see :mod:`nlpcourse.site.sphinx_ext`), so
    figures render offline. Plotly's notebook renderers also load a second MathJax, which
    fights with the one the site already has; this renderer leaves it out.
    ``python -m nlpcourse.site.book`` turns it on.
    """
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class WebRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict):
            html = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False,
                               full_html=False, default_width="100%", default_height=480)
            return {"text/html": html}

    pio.renderers["nlpcourse_web"] = WebRenderer()
    pio.renderers.default = "nlpcourse_web"


def hide_library_progress_bars() -> None:
    """No progress bars of Hugging Face's libraries (e.g. transformers' "Loading weights") on a page."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"          # read when transformers is imported
    if "transformers" in sys.modules:
        from transformers.utils import logging
        logging.disable_progress_bar()


def setup(seed: int | None = None, profile: str | None = None, chapter: int | None = None) -> RunConfig:
    """Seed everything and print profile, device and seed; returns the :class:`RunConfig` (chapter 1).

    ``profile=None`` takes ``NLPCOURSE_PROFILE``, else full on a CUDA GPU and quick elsewhere. The
    full profile on a machine without a CUDA GPU also prints one line saying it will be slow and
    how to choose the quick profile. Given ``chapter``, one more line states what the chapter costs
    in each profile, as last measured.
    """
    import nlpcourse.keras  # noqa: F401  TensorFlow's settings (no C++ log lines), before any cell imports keras
    for name, value in OPENMP_SETTINGS.items():       # before torch is first imported (describe_hardware)
        os.environ.setdefault(name, value)
    keep_freed_memory()
    threads, why = use_free_cores()
    cfg = get_config(profile, seed=seed)
    set_seed(cfg.seed)
    # tqdm.auto (imported by transformers) falls back to text bars without ipywidgets, with a warning
    warnings.filterwarnings("ignore", message="IProgress not found")
    if os.environ.get(WEB_ENV) == "1":
        use_web_plotly_renderer()
        hide_library_progress_bars()
    where = "Colab" if in_colab() else platform.system()
    print(f"nlpcourse profile={cfg.profile} seed={cfg.seed} device={describe_hardware()} on {where}")
    notice = threads_notice(threads, why)
    if notice:
        print(notice)
    notice = slow_profile_notice(cfg)
    if notice:
        print(notice)
    if chapter is not None:
        from nlpcourse.site.chaptertimes import chapter_cost
        print(chapter_cost(chapter))
    return cfg
