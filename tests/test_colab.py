"""The Colab notebooks: MyST turned into plain markdown, solutions collapsed, one command (setup page)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlpcourse.site.colab import Context, Reference, colab_notebook, convert_markdown, load_references, main

BIB = r"""
@article{kim2014cnn,
  author = {Kim, Yoon},
  title  = {Convolutional Neural Networks for Sentence Classification},
  year   = {2014},
  url    = {https://arxiv.org/abs/1408.5882}
}
@book{manning2008ir,
  author = {Manning, Christopher D. and Raghavan, Prabhakar and Sch{\"u}tze, Hinrich},
  title  = {Introduction to Information Retrieval},
  year   = {2008},
  doi    = {10.1017/CBO9780511809071}
}
@article{wang2012baselines,
  author = {Wang, Sida and Manning, Christopher D.},
  title  = {Baselines and Bigrams},
  year   = {2012}
}
"""

GITHUB = "https://github.com/nlpcourse/nlpcourse/blob/main"                  # the repository of CONFIG, below
COLAB = "https://colab.research.google.com/github/nlpcourse/nlpcourse/blob/main"

CHAPTER = """---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# A chapter

CNNs for text {cite}`kim2014cnn`.

```{code-cell} ipython3
x = 1
```

**Exercise 1** (code). Write `f`.

```{code-cell} ipython3
:tags: [solution, hide-input]

def f(x):
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
```

+++ {"tags": ["solution"]}

:::{admonition} Solution
:class: dropdown
Twice {cite}`wang2012baselines`.
:::
"""

CONFIG = """repository:
  url: https://github.com/nlpcourse/nlpcourse
  branch: main
bibtex_bibfiles:
  - book/references.bib
"""


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book" / "references.bib").write_text(BIB)
    (tmp_path / "book" / "setup.md").write_text("# Setting up\n\n(offline-data)=\n## Data, online and offline\n")
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "notebooks" / "01_chapter.md").write_text(CHAPTER)
    return tmp_path


@pytest.fixture
def ctx(root) -> Context:
    from nlpcourse.site.colab import load_context
    return load_context(root)


@pytest.fixture
def convert(ctx, root):
    """MyST markdown as it stands in the chapter, converted to Colab's markdown."""
    return lambda text: convert_markdown(text, ctx, root / "notebooks" / "01_chapter.md")


def test_references_give_author_year_and_a_link(root):
    refs = load_references([root / "book" / "references.bib"])
    assert refs["kim2014cnn"] == Reference("Kim", "2014", "https://arxiv.org/abs/1408.5882")
    assert refs["manning2008ir"] == Reference("Manning et al.", "2008", "https://doi.org/10.1017/CBO9780511809071")
    assert refs["wang2012baselines"].authors == "Wang and Manning"
    assert refs["wang2012baselines"].url.startswith("https://scholar.google.com/scholar?q=Baselines+and+Bigrams")


def test_a_citation_with_two_keys(convert):
    text = convert("As shown {cite}`kim2014cnn, manning2008ir` and by {cite:t}`kim2014cnn`.")
    assert text == ("As shown ([Kim, 2014](https://arxiv.org/abs/1408.5882); "
                    "[Manning et al., 2008](https://doi.org/10.1017/CBO9780511809071)) "
                    "and by [Kim (2014)](https://arxiv.org/abs/1408.5882).")


def test_an_unknown_citation_names_the_key(convert):
    with pytest.raises(ValueError, match="'nobody2020'.*references.bib"):
        convert("{cite}`nobody2020`")


def test_a_dropdown_admonition_becomes_details_and_others_a_quote(convert):
    dropdown = convert(":::{admonition} Solution\n:class: dropdown\nTwice $x$.\n:::")
    assert dropdown == "<details>\n<summary>Solution</summary>\n\nTwice $x$.\n\n</details>"
    note = convert("Before.\n\n```{note}\nMind the {cite}`kim2014cnn`.\n```\n\nAfter.")
    assert note == ("Before.\n\n> **Note**\n>\n> Mind the ([Kim, 2014](https://arxiv.org/abs/1408.5882)).\n\n"
                    "After.")


def test_nested_directives_math_labels_and_refs(convert):
    text = convert("(sec-x)=\n::::{tip}\n:::{math}\na = b\n:::\n::::\n"
                   "See {ref}`offline-data`, {doc}`the set-up <../book/setup>` and {math}`a`.")
    assert text == ("> **Tip**\n>\n> $$\n> a = b\n> $$\n"
                    f"See [Data, online and offline]({GITHUB}/book/setup.md), "
                    f"[the set-up]({GITHUB}/book/setup.md) and $a$.")


def test_code_blocks_are_left_alone(convert):
    text = "```python\nprint('{cite}`x`')\n```"
    assert convert(text) == text


def test_a_solution_cell_is_a_collapsed_form_without_markers(ctx, root):
    nb = colab_notebook(root / "notebooks" / "01_chapter.md", ctx)
    solution = next(c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", []))
    assert solution.source == "#@title Solution\ndef f(x):\n    return 2 * x"
    assert solution.metadata["cellView"] == "form" and solution.metadata["jupyter"] == {"source_hidden": True}
    written = [c for c in nb.cells if c.cell_type == "markdown" and "solution" in c.metadata.get("tags", [])]
    assert written[0].source.startswith("<details>\n<summary>Solution</summary>") and "Wang and Manning" in written[0].source
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")


def test_the_command_writes_then_checks(root, capsys):
    ipynb = root / "notebooks" / "01_chapter.ipynb"
    assert main(["--root", str(root), "--check"]) == 1
    assert main(["--root", str(root)]) == 0 and ipynb.is_file()
    first = ipynb.read_text()
    assert main(["--root", str(root), "--check"]) == 0
    assert main(["--root", str(root)]) == 0 and ipynb.read_text() == first, "the output is deterministic"
    cells = json.loads(first)["cells"]
    assert "[Kim, 2014](https://arxiv.org/abs/1408.5882)" in "".join(cells[0]["source"])
    chapter = root / "notebooks" / "01_chapter.md"
    chapter.write_text(chapter.read_text().replace("x = 1", "x = 2"))
    capsys.readouterr()
    assert main(["--root", str(root), "--check"]) == 1
    assert "01_chapter.ipynb differs from 01_chapter.md" in capsys.readouterr().err


def test_relative_links_point_to_github_or_colab(convert):
    text = convert("See the [set-up](../book/setup.md#data), [chapter 1](01_chapter.md), "
                   "[a site](https://example.org/x.md) and [above](#top).")
    assert text == (f"See the [set-up]({GITHUB}/book/setup.md#data), "
                    f"[chapter 1]({COLAB}/notebooks/01_chapter.ipynb), "
                    "[a site](https://example.org/x.md) and [above](#top).")


def test_the_check_also_fails_on_a_chapter_that_reads_the_checkout(root, capsys):
    assert main(["--root", str(root)]) == 0
    assert main(["--root", str(root), "--check"]) == 0
    chapter = root / "notebooks" / "01_chapter.md"
    chapter.write_text(chapter.read_text().replace("x = 1", 'x = open("notebooks/table.csv").read()'))
    assert main(["--root", str(root)]) == 0, "the notebook is current again"
    capsys.readouterr()
    assert main(["--root", str(root), "--check"]) == 1
    assert "01_chapter.md:" in capsys.readouterr().err
