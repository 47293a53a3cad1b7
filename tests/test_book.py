"""The book build and the test suite run the chapters with absolute data paths."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nlpcourse.site.book import build_env

ROOT = Path(__file__).resolve().parents[1]


def test_book_build_makes_relative_data_paths_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = build_env(ROOT, {"NLPCOURSE_DATA": "../shared/data", "NLPCOURSE_CACHE": "cache"})
    assert env["NLPCOURSE_DATA"] == str(tmp_path.parent / "shared" / "data")
    assert env["NLPCOURSE_CACHE"] == str(tmp_path / "cache")
    assert env["NLPCOURSE_PROFILE"] == "quick" and env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)


def test_pytest_plugin_makes_relative_data_paths_absolute_before_any_kernel(tmp_path):
    code = ("import os, runpy; runpy.run_path(os.environ['CONFTEST']); "
            "print(os.environ['NLPCOURSE_DATA']); print(os.environ['NLPCOURSE_CACHE'])")
    env = dict(os.environ, CONFTEST=str(ROOT / "conftest.py"), NLPCOURSE_DATA="../shared/data",
               NLPCOURSE_CACHE="cache")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(tmp_path.parent / "shared" / "data"), str(tmp_path / "cache")]
