"""Shared fixtures: an isolated cache, the real IMDB data where it is available, lenient exercise checks."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    """An empty NLPCOURSE_CACHE and no NLPCOURSE_DATA: nothing local can be found."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NLPCOURSE_CACHE", str(cache))
    monkeypatch.delenv("NLPCOURSE_DATA", raising=False)
    return cache


def real_data_dir() -> Path | None:
    value = os.environ.get("NLPCOURSE_DATA")
    if value and (Path(value) / "imdb").is_dir():
        return Path(value)
    return SHARED_DATA if (SHARED_DATA / "imdb").is_dir() else None


@pytest.fixture(scope="session")
def imdb_data_dir() -> Path:
    path = real_data_dir()
    if path is None:
        pytest.skip("no offline IMDB copy: set NLPCOURSE_DATA to a folder holding imdb/aclImdb_texts.tar.xz")
    return path


@pytest.fixture
def lenient(monkeypatch):
    """Exercise checks that print feedback on a wrong answer instead of raising (the chapters' strict mode off)."""
    monkeypatch.setenv("NLPCOURSE_STRICT_CHECKS", "0")
