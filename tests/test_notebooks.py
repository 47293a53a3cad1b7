"""Chapters: paired notebooks in sync, the set-up cell, summary and exercises, the build."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))


def _read(path):
    import jupytext
    return jupytext.read(path)


def test_there_are_chapters_and_all_are_in_the_toc():
    assert CHAPTERS
    toc = (ROOT / "_toc.yml").read_text()
    for chapter in CHAPTERS:
        assert f"notebooks/{chapter.stem}" in toc


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_paired_ipynb_matches_its_source_and_has_no_outputs(chapter):
    import nbformat
    ipynb = chapter.with_suffix(".ipynb")
    assert ipynb.is_file(), f"missing {ipynb.name}: run jupytext --sync {chapter}"
    paired = nbformat.read(ipynb, as_version=4)
    source = _read(chapter)
    assert [(c.cell_type, c.source) for c in paired.cells] == [(c.cell_type, c.source) for c in source.cells], \
        f"{ipynb.name} has drifted from {chapter.name}: run jupytext --sync {chapter}"
    assert [c.metadata.get("tags", []) for c in paired.cells] == [c.metadata.get("tags", []) for c in source.cells]
    assert all(not c.get("outputs") for c in paired.cells if c.cell_type == "code"), "commit .ipynb without outputs"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_structure(chapter):
    nb = _read(chapter)
    first_code = next(c for c in nb.cells if c.cell_type == "code").source
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert "google.colab" in first_code and f"git+{repo}" in first_code and "nlpcourse.setup(" in first_code
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## Summary", text, re.M) and re.search(r"^## Exercises", text, re.M)
    assert len(set(re.findall(r"\*\*Exercise (\d+)\*\*", text))) >= 5
    assert len(re.findall(r'check\("ch\d\d\.ex\d+"', "\n".join(c.source for c in nb.cells))) >= 2
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags and cell.cell_type == "code":
            assert "hide-input" in tags, "solution code cells render collapsed (hide-input)"


def test_book_builds_without_warnings(tmp_path):
    """The site's structure (toc, references, MyST) builds with warnings as errors.

    Execution is off here: the chapters themselves run under nbval in this same suite.
    """
    import shutil
    import subprocess
    import sys
    root = tmp_path / "book"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("_build", ".git", ".pytest_cache", "student",
                                                               ".hypothesis", "__pycache__"))
    result = subprocess.run([sys.executable, "-m", "nlpcourse.book", "--no-execute", "--root", str(root)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = (root / "_build" / "html" / "notebooks" / f"{CHAPTERS[0].stem}.html").read_text()
    assert f"blob/main/notebooks/{CHAPTERS[0].stem}.ipynb" in page, "the Colab button opens the paired .ipynb"
