"""Self-checks reject wrong answers with useful feedback; student editions leak no solution."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlpcourse.exercises import ExerciseFailed, available, check
from nlpcourse.site.student import strip_code, student_edition

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def test_correct_answers_pass(capsys):
    assert check("ch01.ex2", lambda df, n: np.log((1 + n) / (1 + df)) + 1)
    assert check("ch01.ex3", lambda t, n: [" ".join(t[i:i + n]) for i in range(len(t) - n + 1)])
    assert "Well done" in capsys.readouterr().out


def test_wrong_answers_fail_with_feedback(capsys):
    unsmoothed = lambda df, n: np.log(n / np.maximum(df, 1)) + 1
    result = check("ch01.ex2", unsmoothed)
    assert not result and not result.passed
    out = capsys.readouterr().out
    assert "✗" in out and "smooth" in out and "Not yet" in out
    off_by_one = lambda t, n: [" ".join(t[i:i + n]) for i in range(len(t) - n)]
    assert not check("ch01.ex3", off_by_one)
    no_binarize = lambda X, y, alpha=1.0: np.log((alpha + np.asarray(X[y == 1].sum(0)).ravel())
                                                 / (alpha + np.asarray(X[y == 0].sum(0)).ravel()))
    assert not check("ch01.ex4", no_binarize)


def test_student_exceptions_are_reported_not_raised(capsys):
    def broken(df, n):
        raise ZeroDivisionError("oops")
    assert not check("ch01.ex2", broken)
    assert "ZeroDivisionError: oops" in capsys.readouterr().out

    def todo(df, n):
        raise NotImplementedError
    assert not check("ch01.ex2", todo)
    assert "not implemented yet" in capsys.readouterr().out


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("NLPCOURSE_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed, match="ch01.ex2"):
        check("ch01.ex2", lambda df, n: df, quiet=True)


def test_unknown_exercise_lists_known_ones():
    with pytest.raises(KeyError, match="ch01.ex2"):
        check("ch01.ex99", None)
    assert {"ch01.ex2", "ch01.ex3", "ch01.ex4"} <= set(available())


REGISTERED = {"ch01": ("ex2", "ex3", "ex4"), "ch02": ("ex2", "ex3", "ex4"), "ch03": ("ex2", "ex3"),
              "ch04": ("ex2", "ex3"), "ch05": ("ex2", "ex3"), "ch06": ("ex2", "ex3"), "ch07": ("ex2", "ex3"),
              "ch08": ("ex2", "ex3", "ex4"), "ch09": ("ex2", "ex3", "ex4"), "ch10": ("ex2", "ex3")}


@pytest.mark.parametrize("chapter", sorted(REGISTERED))
def test_every_chapter_registers_its_exercises(chapter):
    assert {f"{chapter}.{name}" for name in REGISTERED[chapter]} <= set(available())


def test_strip_code_keeps_signature_and_removes_body():
    source = "def f(x):\n    # BEGIN SOLUTION\n    secret = x * 42\n    return secret\n    # END SOLUTION\n"
    out = strip_code(source, "Exercise 2")
    assert "def f(x):" in out and "secret" not in out and 'raise NotImplementedError("Exercise 2")' in out
    assert strip_code("print('experiment')", "Exercise 5") == "# Exercise 5: your code here\n"
    with pytest.raises(ValueError, match="without"):
        strip_code("# BEGIN SOLUTION\nx = 1\n", "Exercise 1")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_leaks_no_solution(chapter, tmp_path):
    import jupytext
    import nbformat

    from nlpcourse.site.student import main
    nb = jupytext.read(chapter)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, "each chapter has solutions to hide"
    secret_lines = set()
    for cell in solutions:
        body = cell.source
        if "# BEGIN SOLUTION" in body:
            body = body.split("# BEGIN SOLUTION", 1)[1].split("# END SOLUTION", 1)[0]
        secret_lines |= {line.strip() for line in body.splitlines() if len(line.strip()) > 12}
    assert main([str(chapter), "-o", str(tmp_path)]) == 0
    student = nbformat.read(tmp_path / f"{chapter.stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in student.cells)
    leaked = [line for line in secret_lines if line in text]
    assert not leaked, f"solution lines left in the student edition: {leaked[:3]}"
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert len(student.cells) == len(nb.cells)
    assert student_edition(nb).cells[0].source == nb.cells[0].source
