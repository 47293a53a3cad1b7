"""The course's Sphinx extension: pages that work offline and read cleanly (setup page).

- MathJax and plotly.js are served by the site itself, from installed Python packages
  (``django-static-mathjax`` ships MathJax 3 as plain static files; the ``plotly`` wheel ships
  ``plotly.min.js``): no CDN is needed to read a page. MathJax is the single-file
  ``tex-svg-full`` build (every TeX extension, SVG output, no font files); plotly.js is added
  only to the pages that hold a plotly figure.
- Solution code shows without its ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers (they stay
  in the sources, where the student edition needs them).
- The bibliography labels its entries the way the text cites them: author and year.
- One search box, in the sidebar (the theme would add a second one in the page header).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

MATHJAX_FILE = "mathjax/tex-svg-full.js"
PLOTLY_FILE = "plotly.min.js"


def asset_sources() -> dict[str, Path]:
    """Where the installed packages keep the files, by their path under ``_static``."""
    import mathjax
    import plotly
    return {MATHJAX_FILE: Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js",
            PLOTLY_FILE: Path(plotly.__file__).parent / "package_data" / "plotly.min.js"}


def _copy_assets(app: Any) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nlpcourse_static_"))
    for name, source in asset_sources().items():
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing: reinstall the book extra, "
                                    "pip install -c constraints.txt -e '.[book]'")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
    app.config.html_static_path = [*app.config.html_static_path, str(folder)]
    app.config.mathjax_path = MATHJAX_FILE


def _plotly_where_needed(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "Plotly.newPlot" in context.get("body", ""):
        app.add_js_file(PLOTLY_FILE, priority=100)


def _strip_solution_markers(app: Any, doctree: Any) -> None:
    from docutils import nodes

    from nlpcourse.site.student import BEGIN, END, without_solution_markers
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        if BEGIN in text or END in text:
            clean = without_solution_markers(text)
            block.children = [nodes.Text(clean)]
            block.rawsource = clean


def _register_author_year_style() -> None:
    """A pybtex style ``authoryear`` whose labels read "Kim 2014", "Manning et al. 2008"."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = [self.label(entry) for entry in sorted_entries]
            for i, label in enumerate(labels):   # "Mikolov et al. 2013a" and "...2013b"
                same = [j for j, other in enumerate(labels) if other == label]
                yield label + ("abcdefghij"[same.index(i)] if len(same) > 1 else "")

        @staticmethod
        def label(entry) -> str:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [" ".join(part.render_as("text") for part in p.rich_prelast_names + p.rich_last_names)
                     for p in people]
            if len(names) == 1:
                who = names[0]
            elif len(names) == 2 and names[1] != "others":
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            return f"{who} {entry.fields.get('year', 'n.d.')}"

    class AuthorYearStyle(Style):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle, force=True)


def _one_search_box(app: Any, config: Any) -> None:
    config.html_theme_options = {**config.html_theme_options, "navbar_persistent": []}


def setup(app: Any) -> dict[str, Any]:
    _register_author_year_style()
    app.connect("config-inited", _one_search_box)
    app.connect("builder-inited", _copy_assets)
    app.connect("html-page-context", _plotly_where_needed)
    app.connect("doctree-read", _strip_solution_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
