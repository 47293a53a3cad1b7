"""The committed figures reach every install: the wheel carries ``nlpcourse/results``, so a chapter
installed from the repository (as Colab's first cell does, never editable) reads what a checkout reads."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md")) + [ROOT / "book" / "leaderboard.md", ROOT / "book" / "status.md"]

READ_BACK = """
import json, sys
from pathlib import Path
site, root, patterns = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), json.loads(sys.argv[3])
import nlpcourse
from nlpcourse import leaderboard
assert Path(nlpcourse.__file__).resolve().is_relative_to(site), nlpcourse.__file__
assert not any(Path(p or ".").resolve() == root for p in sys.path), sys.path
results = leaderboard.load_results()
leaderboard.leaderboard_table(results), leaderboard.framework_pairs(results), leaderboard.best_per_chapter(results)
for pattern in patterns:
    report, path = leaderboard.load_benchmark(pattern)
    assert path.resolve().is_relative_to(site), path
from nlpcourse.site import chaptertimes
chaptertimes.status_markdown()
cost = chaptertimes.chapter_cost(1)
assert "quick profile: not yet measured" not in cost, cost   # the committed chapter times ship too
print(len(results), "rows,", len(patterns), "benchmark files")
"""


def benchmark_patterns() -> list[str]:
    """Every benchmark file that a chapter or the leaderboard page reads (through ``load_benchmark``)."""
    return sorted({m for page in PAGES for m in re.findall(r"load_benchmark\(\s*\"([^\"]+)\"", page.read_text())})


def test_the_chapters_read_benchmark_files_only_through_load_benchmark():
    assert len(benchmark_patterns()) >= 6
    for page in PAGES:
        assert "RESULTS_DIR" not in page.read_text(), f"{page.name}: read committed figures with leaderboard.load_*"


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory) -> Path:
    """The package built as a wheel from a copy of its sources and installed into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT / "nlpcourse", source / "nlpcourse", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", source], check=True)
    wheel = next((tmp / "dist").glob("nlpcourse-*.whl"))
    subprocess.run(pip + ["install", "--no-deps", "--target", tmp / "site", wheel], check=True)
    return tmp / "site"


def test_the_wheel_carries_the_leaderboard_and_every_benchmark_file_a_page_reads(wheel_site, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(wheel_site)}
    result = subprocess.run([sys.executable, "-c", READ_BACK, wheel_site, ROOT, json.dumps(benchmark_patterns())],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "benchmark files" in result.stdout
