"""What a chapter may read on Colab: the installed package and the data cache, nothing of a checkout.

Colab installs the package from the repository as a wheel; no checkout lies beside it. A chapter
that reads ``results/…`` or a module that climbs from ``__file__`` above the package works in a
clone and fails on Colab. ``python -m nlpcourse.site.colab --check`` runs :func:`checkout_reads`, so
such code fails before a learner meets it (setup page).
"""
from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# site tooling that runs only in a checkout (it builds the site and the Colab notebooks), never in a chapter
CHECKOUT_TOOLS = {"site/book.py", "site/colab.py"}   # paths inside the package
_CLIMB = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(?P<steps>\.parents\[(?P<index>\d+)\]|(?:\.parent)+)")


def _checkout_path(root: Path) -> re.Pattern:
    """A string literal that starts with ``../`` or names a top-level entry of the checkout."""
    names = sorted(re.escape(p.name) for p in root.iterdir() if not p.name.startswith("."))
    return re.compile(r"""(?P<q>["'])(?:\./)?(?:\.\./|(?:%s)(?:/|(?P=q)))""" % "|".join(names or ["$^"]))


def code_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, line) of every line inside a ``{code-cell}`` of a MyST page."""
    lines, inside = [], False
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if line.startswith("```{code-cell}"):
            inside = True
        elif inside and line.startswith("```"):
            inside = False
        elif inside and not line.lstrip().startswith("#"):
            lines.append((number, line))
    return lines


def climbs_out(module: Path, line: str, package: Path = PACKAGE) -> bool:
    """Whether ``line`` of ``module`` builds a path from ``__file__`` above the package folder."""
    depth = len(module.resolve().relative_to(package).parts)   # nlpcourse/x.py: 1
    for match in _CLIMB.finditer(line):
        steps = int(match["index"]) + 1 if match["index"] else match["steps"].count(".parent")
        if steps > depth:
            return True
    return False


def checkout_reads(pages: list[Path], root: Path, package: Path = PACKAGE) -> list[str]:
    """Every place where a page's code or a package module reads from the checkout, each with the fix."""
    problems, literal = [], _checkout_path(root)
    for page in pages:
        for number, line in code_lines(page):
            if literal.search(line) or "__file__" in line:
                problems.append(f"{page.name}:{number}: reads from the checkout ({line.strip()}); on Colab only the "
                                "installed package and the data cache exist: ship the file as package data and read "
                                "it through the package (e.g. nlpcourse.leaderboard.load_benchmark)")
    for module in sorted(package.rglob("*.py")):
        if module.relative_to(package).as_posix() in CHECKOUT_TOOLS:
            continue
        for number, line in enumerate(module.read_text().splitlines(), start=1):
            if climbs_out(module, line, package):
                problems.append(f"{module.relative_to(package.parent)}:{number}: builds a path above the package "
                                f"({line.strip()}); an installed wheel has no checkout there: keep the file in the "
                                "package (package data) or in the data cache")
    return problems
