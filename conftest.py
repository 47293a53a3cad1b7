"""pytest plugin: run the chapters (MyST-markdown Jupytext files) under nbval.

nbval reads ``.ipynb`` files; here each ``notebooks/NN_*.md`` is read with jupytext and
handed to nbval's collector, in lax mode (cells must run without error; outputs are not
compared), each cell with a time limit, and each cell fails when its outputs hold what a
page must not show (log lines, unfinished progress bars, numpy reprs: see
``nlpcourse.site.pagecheck``). Kernels inherit this process's environment: the quick profile
(unless ``NLPCOURSE_PROFILE`` says otherwise), the website's settings (``NLPCOURSE_WEB``),
strict exercise checks, and ``NLPCOURSE_DATA``/``NLPCOURSE_CACHE`` made absolute against the
folder pytest started in. Each cell's seconds go to ``_build/chapter-times-<profile>.json``
(``python scripts/chapter_times.py`` prints them against the budget).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nlpcourse.data.download import absolute_data_env
from nlpcourse.notebook import OPENMP_SETTINGS
from nlpcourse.utils import keep_freed_memory, use_free_cores

ROOT = Path(__file__).parent
CELL_TIMEOUT_S = 300

os.environ.setdefault("NLPCOURSE_STRICT_CHECKS", "1")
os.environ.setdefault("NLPCOURSE_WEB", "1")   # the chapters run as they run for the website
# kernels run in notebooks/: a relative NLPCOURSE_DATA or NLPCOURSE_CACHE means relative to here
absolute_data_env(os.environ)
# notebook kernels import the package of this checkout, whatever copy pip installed
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
for _name, _value in OPENMP_SETTINGS.items():   # the chapters' thread settings, for the tests' own torch too
    os.environ.setdefault(_name, _value)
keep_freed_memory()                              # as the chapters' first cell does
use_free_cores()                                 # as the chapters' first cell does

# pages of the site that execute code, like chapters
BOOK_PAGES = {ROOT / "book" / "leaderboard.md", ROOT / "book" / "status.md"}
collect_ignore_glob = ["notebooks/*.ipynb", "_build/*", "student/*"]


def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    if hasattr(opt, "nbval_cell_timeout"):
        opt.nbval_cell_timeout = CELL_TIMEOUT_S
        opt.nbval_current_env = True


_timed: dict = {}   # the pages' cell times of this run (nlpcourse.site.chaptertimes)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    page, _, cell = report.nodeid.partition("::")
    if report.when == "call" and page.endswith(".md") and not report.skipped:
        from nlpcourse.site import chaptertimes
        if not _timed:
            from nlpcourse.config import get_config
            from nlpcourse.utils import describe_hardware
            _timed.update(chaptertimes.new_run(get_config().profile, describe_hardware()))
        chaptertimes.add_cell(_timed, Path(page).stem, cell, report.duration, report.passed)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _timed:
        from nlpcourse.site import chaptertimes
        chaptertimes.finish(_timed, ROOT / "_build" / f"chapter-times-{_timed['profile']}.json")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".md" and (file_path.parent == ROOT / "notebooks" or file_path in BOOK_PAGES):
        return JupytextNotebook.from_parent(parent, path=file_path)
    return None


try:
    from nbval.plugin import IPyNbCell, IPyNbFile
except ImportError:  # nbval missing: the notebooks cannot be collected
    IPyNbFile = None

if IPyNbFile is not None:
    class CleanOutputCell(IPyNbCell):
        """A notebook cell that must run without error and show a reader nothing noisy.

        The outputs are checked as the page shows them: every stream message as it came, before nbval
        folds carriage returns away (a page keeps a progress bar's every state, ``0%|`` included).
        """

        def runtest(self):
            import copy

            import nbval.plugin as plugin

            from nlpcourse.site.pagecheck import noise_in_outputs
            shown, fold = [], plugin.coalesce_streams

            def keep_as_shown(outputs):
                shown.extend(copy.deepcopy(outputs))
                return fold(outputs)
            plugin.coalesce_streams = keep_as_shown
            try:
                super().runtest()
            finally:
                plugin.coalesce_streams = fold
            noise = noise_in_outputs(shown)
            if noise:
                self.raise_cell_error("The cell's output would reach the page with:\n" + "\n".join(noise))

    class JupytextNotebook(IPyNbFile):
        """An nbval notebook read from a Jupytext text file, outputs not compared."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.compare_outputs = False

        def setup(self):
            # ipykernel forwards what libraries write straight to the process's stdout and stderr (TensorFlow's
            # C++ logs) into the cell's output, as on a page, except when PYTEST_CURRENT_TEST is set: hide it
            # from the kernel, which then shows a cell what the website build shows
            hidden = os.environ.pop("PYTEST_CURRENT_TEST", None)
            try:
                super().setup()
            finally:
                if hidden is not None:
                    os.environ["PYTEST_CURRENT_TEST"] = hidden

        def collect(self):
            import itertools
            import types

            import jupytext
            import nbval.plugin as plugin

            notebook = jupytext.read(self.path)
            real = plugin.nbformat
            # nbval reads the file with nbformat.read before yielding its first cell
            plugin.nbformat = types.SimpleNamespace(read=lambda *args, **kwargs: notebook)
            cells = super().collect()
            try:
                first = next(cells, None)
            finally:
                plugin.nbformat = real
            if first is None:
                return
            for cell in itertools.chain([first], cells):
                if type(cell) is IPyNbCell:   # nbval builds its own cells: check their outputs too
                    cell.__class__ = CleanOutputCell
                yield cell
