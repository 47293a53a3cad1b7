"""What every benchmark records with a result: the row in the leaderboard's schema, peak memory, library
versions and the commit the run started from (:mod:`nlpcourse.leaderboard` reads the rows)."""
from __future__ import annotations

import datetime as dt
import platform
import subprocess
import threading
from pathlib import Path
from typing import Any


def make_row(model: str, framework: str, chapter: int, description: str, cfg, sizes: dict[str, int],
             scores: dict[str, float], parameters: int, seconds: float, epochs: int | None, best_epoch: int | None,
             memory: "PeakMemory", settings: dict[str, Any], commit: str) -> dict[str, Any]:
    """One results row in the leaderboard's schema."""
    from nlpcourse.utils import describe_hardware
    return {"model": model, "framework": framework, "chapter": chapter, "description": description,
            "profile": cfg.profile, **sizes, "accuracy": float(scores["accuracy"]), "f1": float(scores["f1"]),
            "parameters": int(parameters), "train_seconds": round(seconds, 2),
            "seconds_per_epoch": round(seconds / epochs, 2) if epochs else None, "epochs": epochs,
            "best_epoch": best_epoch, "peak_memory_mb": round(memory.peak_mb, 1), "memory_kind": memory.kind,
            "hardware": describe_hardware(), "versions": library_versions(framework), "settings": settings,
            "seed": cfg.seed, "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit}


class PeakMemory:
    """Peak memory while the block runs: CUDA's max allocated for PyTorch on a GPU, else the process RSS."""

    def __init__(self, framework: str) -> None:
        self.framework, self.peak_mb, self.kind = framework, 0.0, "rss"
        self._stop = threading.Event()

    def __enter__(self) -> "PeakMemory":
        import torch
        self._cuda = self.framework == "torch" and torch.cuda.is_available()
        if self._cuda:
            torch.cuda.reset_peak_memory_stats()
            self.kind = "cuda_max_allocated"
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, _rss_mb())
            if self._stop.wait(0.05):
                return

    def __exit__(self, *exc: object) -> None:
        if self._cuda:
            import torch
            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, _rss_mb())


def _rss_mb() -> float:
    """Resident memory of this process (Linux /proc; elsewhere the lifetime peak from ``resource``)."""
    try:
        with open("/proc/self/statm") as f:
            import os
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        import sys
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def library_versions(framework: str) -> dict[str, str]:
    import numpy
    import sklearn
    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "sklearn": sklearn.__version__}
    if framework in ("torch", "transformers"):
        import torch
        versions["torch"] = torch.__version__
    if framework == "transformers":
        import transformers
        versions["transformers"] = transformers.__version__
    if framework == "keras":
        import keras
        versions["keras"] = keras.__version__
        versions[keras.backend.backend()] = _backend_version(keras.backend.backend())
    return versions


def _backend_version(backend: str) -> str:
    import importlib
    return getattr(importlib.import_module(backend), "__version__", "unknown")


def git_commit() -> str:
    """The checkout's commit, with ``-dirty`` when the package's tracked code has changed (its results
    data aside); ``unknown`` outside git."""
    package = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=package, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", ".", ":(exclude)results"], cwd=package,
                               timeout=10).returncode
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")
