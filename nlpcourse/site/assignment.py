"""Assignments: student notebooks whose exercise cells can be found again, and the file the grader reads.

    python -m nlpcourse.assign notebooks/01_text_tfidf.md -o handout/ --assignment ch01.json
    python -m nlpcourse.assign --exercise ch01.ex2=2 --exercise ch01.ex4=3 -o handout/ --assignment a.json

An exercise is found in the chapter source: a cell tagged ``solution``, and for a coding exercise
the ``check("chNN.exK", name)`` call of the next code cell, which names both the exercise and the
answer the student defines. A ``solution`` cell without a check (a written answer, an experiment)
takes its number from the last "Exercise N" heading before it and is listed, not scored.

The student notebook is the student edition (:mod:`nlpcourse.site.student`), with each exercise cell
marked in its metadata, ``{"nlpcourse": {"exercise": "ch01.ex2", "role": "answer"}}``: Jupyter and
Colab keep cell metadata when they save, so the grader finds the cells whatever the students
changed around them. The assignment file (JSON) holds, per exercise, the id, chapter, points, the
answer's name, the reference solution, a sha256 of the handed-out cell, and one seed that draws
the hidden cases: it is for the instructor only, never for students.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from pathlib import Path

from nlpcourse.site.student import SOLUTION_TAG, _exercise_label, student_edition, without_solution_markers

FORMAT = "nlpcourse-assignment/1"
META = "nlpcourse"
_CHECK = re.compile(r"""check\(\s*["'](ch\d+\.ex\d+)["']\s*,\s*([A-Za-z_]\w*)""")


@dataclasses.dataclass(frozen=True)
class ExerciseCell:
    """One exercise of a chapter: where its solution cell is and what it asks for."""

    id: str
    chapter: str            # the chapter's file stem, e.g. "01_text_tfidf"
    kind: str               # "code" (self-checked, scored), "written" or "experiment" (listed)
    index: int              # the solution cell's position in the notebook
    answer: str | None      # the name the student defines (code exercises)
    reference: str          # the solution cell without its marker lines


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_exercises(nb, chapter: str) -> list[ExerciseCell]:
    """Every solution cell of a chapter notebook (nbformat), as exercises."""
    number = int(chapter[:2])
    found: list[ExerciseCell] = []
    for index, cell in enumerate(nb.cells):
        if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        following = next((c for c in nb.cells[index + 1:] if c.cell_type == "code"), None)
        match = _CHECK.search(following.source) if following is not None and cell.cell_type == "code" else None
        if match:
            found.append(ExerciseCell(match[1], chapter, "code", index, match[2],
                                      without_solution_markers(cell.source)))
            continue
        label = _exercise_label(nb.cells, index)
        exercise_id = f"ch{number:02d}.ex{label.split()[-1]}" if label != "Exercise" else f"ch{number:02d}.cell{index}"
        kind = "experiment" if cell.cell_type == "code" else "written"
        if any(ex.id == exercise_id for ex in found):      # a second solution cell of one exercise
            exercise_id = f"{exercise_id}-{kind}"
        found.append(ExerciseCell(exercise_id, chapter, kind, index, None, cell.source))
    return found


def mark_exercise_cells(student_nb, exercises: list[ExerciseCell]) -> None:
    """Mark the handed-out cells (the student edition keeps the chapter's cell order) and each check cell."""
    for ex in exercises:
        student_nb.cells[ex.index].metadata[META] = {"exercise": ex.id, "role": "answer", "kind": ex.kind}
        if ex.kind == "code":
            check_cell = next(i for i in range(ex.index + 1, len(student_nb.cells))
                              if student_nb.cells[i].cell_type == "code")
            student_nb.cells[check_cell].metadata[META] = {"exercise": ex.id, "role": "check"}


def parse_selection(items: list[str]) -> dict[str, float]:
    """``["ch01.ex2=2", "ch01.ex3"]`` -> ``{"ch01.ex2": 2.0, "ch01.ex3": 1.0}``."""
    points = {}
    for item in items:
        exercise_id, _, value = item.partition("=")
        if not re.fullmatch(r"ch\d\d\.ex\d+", exercise_id):
            raise ValueError(f"{item!r}: expected an exercise id such as ch01.ex2, optionally =POINTS")
        points[exercise_id] = float(value) if value else 1.0
    return points


def build_assignment(chapters: list[Path], selection: dict[str, float] | None = None,
                     seed: int | None = None) -> tuple[dict, dict[str, object]]:
    """``(assignment, {file name: student notebook})`` for chapter sources (.md or .ipynb).

    Without ``selection`` every coding exercise scores 1 point; with it, only the named exercises
    score (their points), and the other exercises of the chapters are listed with 0 points.
    """
    import jupytext
    from nlpcourse.exercises import has_hidden_cases

    notebooks, exercises = {}, []
    for source in chapters:
        nb = jupytext.read(source)
        chapter = Path(source).stem
        found = find_exercises(nb, chapter)
        student = student_edition(nb)
        mark_exercise_cells(student, found)
        file = f"{chapter}.ipynb"
        student.metadata[META] = {"chapter": chapter}
        handed_out = [student.cells[ex.index].source for ex in found]
        notebooks[file] = student
        for ex, cell_source in zip(found, handed_out):
            if selection is None:
                points = 1.0 if ex.kind == "code" else 0.0
            else:
                points = selection.get(ex.id, 0.0)
            exercises.append({"id": ex.id, "chapter": chapter, "notebook": file, "kind": ex.kind,
                              "points": points, "answer": ex.answer, "reference": ex.reference,
                              "hidden": ex.kind == "code" and has_hidden_cases(ex.id),
                              "digest": digest(cell_source)})
    if selection:
        missing = sorted(set(selection) - {e["id"] for e in exercises if e["kind"] == "code"})
        if missing:
            raise ValueError(f"no coding exercise {', '.join(missing)} in {', '.join(map(str, chapters))}")
    assignment = {"format": FORMAT, "seed": secrets.randbits(63) if seed is None else seed,
                  "notebooks": [{"file": f, "chapter": Path(f).stem,
                                 "digest": digest("".join(e["digest"] for e in exercises if e["notebook"] == f))}
                                for f in notebooks],
                  "exercises": exercises}
    return assignment, notebooks


def chapters_of(selection: dict[str, float], notebooks_dir: Path) -> list[Path]:
    """The chapter sources that hold the selected exercises (``notebooks/NN_*.md``)."""
    paths = []
    for number in sorted({exercise_id[2:4] for exercise_id in selection}):
        matches = sorted(notebooks_dir.glob(f"{number}_*.md"))
        if not matches:
            raise FileNotFoundError(f"no chapter {number} in {notebooks_dir}: pass the chapter files")
        paths.append(matches[0])
    return paths


def write_assignment(chapters: list[Path], out_dir: Path, assignment_path: Path,
                     selection: dict[str, float] | None = None, seed: int | None = None) -> dict:
    """Write the student notebooks into ``out_dir`` and the assignment file; returns the assignment."""
    import nbformat
    assignment, notebooks = build_assignment(chapters, selection, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for file, nb in notebooks.items():
        nbformat.write(nb, out_dir / file)
    assignment_path.parent.mkdir(parents=True, exist_ok=True)
    assignment_path.write_text(json.dumps(assignment, indent=1))
    return assignment


def read_assignment(path: Path) -> dict:
    assignment = json.loads(Path(path).read_text())
    if assignment.get("format") != FORMAT:
        raise ValueError(f"{path} is not an assignment file of this version ({FORMAT}): "
                         "write it with python -m nlpcourse.assign")
    return assignment


def write_rehearsal(handout: Path, assignment: dict, out_dir: Path, copies: int = 1) -> list[Path]:
    """Submissions to rehearse grading with before the class hands in: each handed-out notebook with the
    reference solutions filled in (``reference-1.ipynb``, ...), and as handed out (``unanswered.ipynb``)."""
    import nbformat
    out_dir.mkdir(parents=True, exist_ok=True)
    references = {e["id"]: e["reference"] for e in assignment["exercises"]}
    written = []
    for entry in assignment["notebooks"]:
        nb = nbformat.read(Path(handout) / entry["file"], as_version=4)
        prefix = "" if len(assignment["notebooks"]) == 1 else f"{entry['chapter']}-"
        nbformat.write(nb, out_dir / f"{prefix}unanswered.ipynb")
        for cell in nb.cells:
            mark = cell.metadata.get(META, {})
            if mark.get("role") == "answer" and mark.get("exercise") in references:
                cell.source = references[mark["exercise"]]
        for copy in range(1, copies + 1):
            nbformat.write(nb, out_dir / f"{prefix}reference-{copy}.ipynb")
            written.append(out_dir / f"{prefix}reference-{copy}.ipynb")
        written.append(out_dir / f"{prefix}unanswered.ipynb")
    return written
