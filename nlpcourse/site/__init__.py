"""The course's site tooling: what builds and checks the website and the Colab notebooks (setup page).

- :mod:`~nlpcourse.site.book`: ``python -m nlpcourse.site.book`` builds the website;
- :mod:`~nlpcourse.site.colab`: ``python -m nlpcourse.site.colab`` writes each chapter's Colab notebook
  (``--check`` fails on a stale notebook or a read from the checkout);
- :mod:`~nlpcourse.site.sphinx_ext`: the Sphinx extension (offline MathJax and plotly.js, solutions
  without their markers, author-year bibliography labels);
- :mod:`~nlpcourse.site.pagecheck`: what a page must not show (log lines, frozen progress bars, reprs);
- :mod:`~nlpcourse.site.installcheck`: what a chapter may read on Colab;
- :mod:`~nlpcourse.site.chaptertimes`: what each chapter costs, measured;
- :mod:`~nlpcourse.site.student`: ``python -m nlpcourse.site.student`` writes a student edition;
- :mod:`~nlpcourse.site.assignment`: ``python -m nlpcourse.assign`` hands out exercises and writes the
  assignment file;
- :mod:`~nlpcourse.site.sandbox`, :mod:`~nlpcourse.site.grader`, :mod:`~nlpcourse.site.feedback`:
  ``python -m nlpcourse.grade`` runs each submitted notebook in its own folder and process, scores it,
  and writes ``grades.csv`` and the feedback pages.

No chapter model or training code lives here; these modules sit on the top floor and import
the rest of the package, never the other way round (``tests/test_layout.py``).
"""
