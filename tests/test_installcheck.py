"""A chapter reads only the installed package and the data cache: reads from a checkout are caught."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlpcourse.site import installcheck
from nlpcourse.site.colab import chapters, executed_pages
from nlpcourse.site.installcheck import checkout_reads, climbs_out

ROOT = Path(__file__).resolve().parents[1]
CELL = "```{code-cell} ipython3\n%s\n```\n"


@pytest.fixture
def book(tmp_path) -> Path:
    for folder in ("notebooks", "results", "book"):
        (tmp_path / folder).mkdir()
    (tmp_path / "_config.yml").write_text("title: x\n")
    return tmp_path


@pytest.mark.parametrize("code", [
    'json.loads(open("results/benchmarks/x.json").read())',
    "Path('../results/full.json').read_text()",
    'pd.read_csv("./book/table.csv")',
    'yaml.safe_load(open("_config.yml"))',
    "here = Path(__file__).parent",
])
def test_a_chapter_reading_the_checkout_is_named_with_the_fix(book, code):
    page = book / "notebooks" / "01_x.md"
    page.write_text("# x\n\n" + CELL % f"import json\n{code}")
    problems = checkout_reads([page], book, package=book / "results")
    assert len(problems) == 1 and problems[0].startswith("01_x.md:5: reads from the checkout")
    assert "package data" in problems[0]


@pytest.mark.parametrize("code", [
    'model.save("checkpoint")', 'load_imdb_splits(cfg)', 'print("results: 3/4")', "# see results/ in the repository",
])
def test_code_that_reads_no_checkout_file_passes(book, code):
    page = book / "notebooks" / "01_x.md"
    page.write_text("# x\n\n" + CELL % code + "\nProse may name `results/x.json`.\n")
    assert checkout_reads([page], book, package=book / "results") == []


@pytest.mark.parametrize("module, line, outside", [
    ("leaderboard.py", 'RESULTS = Path(__file__).resolve().parent.parent / "results"', True),
    ("leaderboard.py", 'RESULTS = Path(__file__).resolve().parent / "results"', False),
    ("benchmarks/imdb.py", "root = Path(__file__).resolve().parents[2]", True),
    ("benchmarks/imdb.py", "package = Path(__file__).resolve().parents[1]", False),
    ("benchmarks/imdb.py", "folder = Path(__file__).parent.parent", False),
    ("benchmarks/imdb.py", "folder = Path(__file__).parent.parent.parent", True),
])
def test_a_module_climbing_above_the_package_is_caught(module, line, outside):
    assert climbs_out(installcheck.PACKAGE / module, line) is outside


def test_a_package_module_that_climbs_out_fails_the_check(book):
    package = book / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "figures.py").write_text('DATA = Path(__file__).parents[2] / "results"\n')
    problems = checkout_reads([], book, package=package)
    assert problems == [f"pkg/sub/figures.py:1: builds a path above the package (DATA = Path(__file__).parents[2] / "
                        '"results"); an installed wheel has no checkout there: keep the file in the package '
                        "(package data) or in the data cache"]


def test_the_course_reads_nothing_from_its_checkout():
    pages = chapters(ROOT) + executed_pages(ROOT)
    assert len(pages) >= 11
    assert checkout_reads(pages, ROOT) == []
