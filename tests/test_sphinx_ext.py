"""The site's extension: assets from installed packages, solutions without markers, author-year labels."""
from __future__ import annotations

from nlpcourse.site.student import without_solution_markers
from nlpcourse.site.sphinx_ext import asset_sources


def test_mathjax_and_plotly_come_from_installed_packages():
    sources = asset_sources()
    assert set(sources) == {"mathjax/tex-svg-full.js", "plotly.min.js"}
    for name, path in sources.items():
        assert path.is_file() and path.stat().st_size > 1_000_000, name


def test_solution_markers_are_dropped_and_the_code_kept():
    code = "def f(x):\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n"
    assert without_solution_markers(code) == "def f(x):\n    return x + 1\n"
    assert without_solution_markers("x = 1  # BEGIN SOLUTION is only a comment here") == \
        "x = 1  # BEGIN SOLUTION is only a comment here"


def test_bibliography_labels_read_like_the_citations():
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    import nlpcourse.site.sphinx_ext as ext
    ext._register_author_year_style()
    bib = parse_string("""
    @misc{a, author={Kim, Yoon}, title={CNN}, year={2014}}
    @misc{b, author={Sp{\\"a}rck Jones, Karen}, title={IDF}, year={1972}}
    @misc{c, author={van der Maaten, Laurens and Hinton, Geoffrey}, title={t-SNE}, year={2008}}
    @misc{d, author={Mikolov, T. and Chen, K. and Corrado, G.}, title={One}, year={2013}}
    @misc{e, author={Mikolov, T. and Sutskever, I. and Chen, K.}, title={Two}, year={2013}}
    @misc{f, author={Chollet, François and others}, title={Keras}, year={2015}}
    """, "bibtex")
    style = find_plugin("pybtex.style.formatting", "authoryear")()
    labels = sorted(entry.label for entry in style.format_bibliography(bib))
    assert labels == sorted(["Kim 2014", "Spärck Jones 1972", "van der Maaten and Hinton 2008",
                             "Mikolov et al. 2013a", "Mikolov et al. 2013b", "Chollet et al. 2015"])
