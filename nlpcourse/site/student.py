"""Student editions: a chapter with every solution removed (chapter 1, instructors guide).

    python -m nlpcourse.site.student notebooks/01_text_tfidf.md -o student/

Cells tagged ``solution`` are replaced: in a code cell, the lines between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` become ``raise NotImplementedError``
(the lines around them, e.g. a function signature, stay); a code cell without markers
becomes an empty cell to fill in; a markdown cell becomes "*Your answer here.*".
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_HIDE_TAGS = {"hide-input", "hide-cell", "hide-output", SOLUTION_TAG}


def strip_code(source: str, label: str) -> str:
    """The student version of a solution code cell."""
    lines = source.splitlines()
    if not any(line.strip() == BEGIN for line in lines):
        return f"# {label}: your code here\n"
    out, inside = [], False
    for line in lines:
        if line.strip() == BEGIN:
            if inside:
                raise ValueError(f"{label}: nested '{BEGIN}'")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# your code here")
            out.append(f'{indent}raise NotImplementedError("{label}")')
        elif line.strip() == END:
            if not inside:
                raise ValueError(f"{label}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{label}: '{BEGIN}' without '{END}'")
    return "\n".join(out) + "\n"


def without_solution_markers(code: str) -> str:
    """The solution code as a reader sees it: the marker lines dropped, everything else kept."""
    return "\n".join(line for line in code.split("\n") if line.strip() not in (BEGIN, END))


def student_edition(notebook):
    """A copy of a notebook (nbformat) with every solution removed and no outputs."""
    import copy
    import nbformat
    nb = copy.deepcopy(notebook)
    cells = []
    for i, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if SOLUTION_TAG in tags:
            label = _exercise_label(nb.cells, i)
            if cell.cell_type == "code":
                cell = nbformat.v4.new_code_cell(strip_code(cell.source, label))
            else:
                cell = nbformat.v4.new_markdown_cell("*Your answer here.*")
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def _exercise_label(cells, index: int) -> str:
    """The exercise a solution belongs to: the last 'Exercise N' heading before it."""
    for cell in reversed(cells[:index]):
        m = re.search(r"Exercise\s+(\d+)", cell.source if cell.cell_type == "markdown" else "")
        if m:
            return f"Exercise {m[1]}"
    return "Exercise"


def write_student_edition(source: Path, out_dir: Path) -> Path:
    import jupytext
    import nbformat
    nb = student_edition(jupytext.read(source))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (Path(source).stem + ".ipynb")
    nbformat.write(nb, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write student editions (no solutions) of chapters.")
    parser.add_argument("chapters", nargs="+", type=Path, help="chapter files (.md or .ipynb)")
    parser.add_argument("-o", "--out", type=Path, default=Path("student"), help="output folder")
    args = parser.parse_args(argv)
    for chapter in args.chapters:
        if not chapter.is_file():
            parser.error(f"{chapter} does not exist")
        print(f"{chapter} -> {write_student_edition(chapter, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
