"""nlpcourse: the shared package behind the chapters of the NLP course.

Importing the package is cheap: torch, tensorflow and transformers are imported
lazily by the modules that need them.
"""
from nlpcourse.config import RunConfig, get_config, PROFILES
from nlpcourse.utils import Timer, set_seed, get_device, show_source, count_params

__version__ = "0.1.0"
__all__ = ["RunConfig", "get_config", "PROFILES", "Timer", "set_seed", "get_device",
           "show_source", "count_params", "setup", "__version__"]


def setup(seed: int | None = None, profile: str | None = None, chapter: int | None = None) -> RunConfig:
    """Configure a chapter: seed everything, report profile, device, seed and the chapter's cost (chapter 1)."""
    from nlpcourse.notebook import setup as _setup
    return _setup(seed=seed, profile=profile, chapter=chapter)
