"""Chapters: Colab notebooks generated from their source, the set-up cell, summary and exercises, the build."""
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


# What Colab and GitHub would show as raw MyST: roles, directives, cell markers, labels
MYST_ONLY = re.compile(r"\{(cite|doc|ref|numref|eq|term|download|math|abbr)(:\w+)?\}`|```\{|:::\{|"
                       r"^\+\+\+|^:(tags|class|name|label):|^\([\w.:-]+\)=$|# (BEGIN|END) SOLUTION", re.M)


def test_the_myst_scan_finds_raw_myst():
    raw = ["see {cite}`a,b`", "{cite:t}`a`", ":::{admonition} Solution", "```{note}", "+++", ":tags: [solution]",
           "(offline-data)=", "{doc}`../book/setup`", "    # BEGIN SOLUTION"]
    assert all(MYST_ONLY.search(text) for text in raw)
    assert not MYST_ONLY.search("([Kim, 2014](https://arxiv.org/abs/1408.5882)) and a set {1, 2} in `code`")


def test_chapters_are_not_paired_with_ipynb_and_colab_installs_the_colab_extra():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    colab_extra = " ".join(project["optional-dependencies"]["colab"])
    for name in ("torch", "tensorflow", "keras", "transformers", "numpy"):
        assert not re.search(rf"(^|\s|\[|\"){name}\b", colab_extra), f"the colab extra would replace Colab's {name}"
    for chapter in CHAPTERS:
        nb = _read(chapter)
        assert "ipynb" not in nb.metadata["jupytext"]["formats"], \
            f"{chapter.name}: the .ipynb is generated (python -m nlpcourse.site.colab), not a jupytext pair"
        first_code = next(c for c in nb.cells if c.cell_type == "code").source
        assert '"nlpcourse[colab] @ git+' in first_code, f"{chapter.name}: the first cell installs nlpcourse[colab]"


@pytest.fixture(scope="module")
def colab_context():
    from nlpcourse.site.colab import load_context
    return load_context(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_colab_notebook_is_generated_from_its_source(chapter, colab_context):
    from nlpcourse.site.colab import render
    ipynb = chapter.with_suffix(".ipynb")
    assert ipynb.is_file(), f"missing {ipynb.name}: run python -m nlpcourse.site.colab"
    assert ipynb.read_text() == render(chapter, colab_context), \
        f"{ipynb.name} has drifted from {chapter.name}: run python -m nlpcourse.site.colab"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_colab_notebook_holds_no_myst_and_no_outputs(chapter):
    import nbformat
    nb = nbformat.read(chapter.with_suffix(".ipynb"), as_version=4)
    found = [(i, m.group(0)) for i, cell in enumerate(nb.cells) for m in MYST_ONLY.finditer(cell.source)]
    assert not found, f"MyST-only syntax in {chapter.with_suffix('.ipynb').name} (cell, text): {found[:5]}"
    relative = [m.group(0) for c in nb.cells if c.cell_type == "markdown"
                for m in re.finditer(r"\]\((?![a-z]+:|#)[^)]*\)", c.source)]
    assert not relative, f"links that do not resolve on Colab: {relative[:5]}"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    solutions = [c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    assert solutions and all(c.source.startswith("#@title Solution") and c.metadata.get("cellView") == "form"
                             for c in solutions), "solution code cells are collapsed Colab forms"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


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
    result = subprocess.run([sys.executable, "-m", "nlpcourse.site.book", "--no-execute", "--root", str(root)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = (root / "_build" / "html" / "notebooks" / f"{CHAPTERS[0].stem}.html").read_text()
    assert f"blob/main/notebooks/{CHAPTERS[0].stem}.ipynb" in page, "the Colab button opens the generated .ipynb"
