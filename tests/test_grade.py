"""Assign and grade: exercise cells found again, hidden cases, and every bad submission a graded row.

One tiny synthetic chapter (chapter 1's exercises 2 and 3, nothing else) is handed out once; a class
of submissions, good and bad, is graded once through the command line with ``--jobs 2`` (the
module's fixture, about half a minute on a busy 2-core machine); each test then reads its row.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nlpcourse.exercises import check, check_hidden, has_hidden_cases
from nlpcourse.site.assignment import build_assignment, find_exercises, parse_selection, write_rehearsal

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("lenient")

TINY_CHAPTER = '''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A tiny chapter

```{code-cell} ipython3
import numpy as np
```

## Exercises

**Exercise 1** (concept). Why smooth?

+++ {"tags": ["solution"]}

So that no term divides by zero.

+++

**Exercise 2** (code, self-checked). Write `idf`.

```{code-cell} ipython3
:tags: [solution, hide-input]

def idf(df, n_docs):
    # BEGIN SOLUTION
    return np.log((1 + n_docs) / (1 + np.asarray(df, dtype=float))) + 1
    # END SOLUTION
```

```{code-cell} ipython3
from nlpcourse.exercises import check
check("ch01.ex2", idf);
```

**Exercise 3** (code, self-checked). Write `my_ngrams`.

```{code-cell} ipython3
:tags: [solution, hide-input]

def my_ngrams(tokens, n):
    # BEGIN SOLUTION
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    # END SOLUTION
```

```{code-cell} ipython3
check("ch01.ex3", my_ngrams);
```
'''

OFF_BY_ONE = 'def my_ngrams(tokens, n):\n    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n)]\n'

# the visible cases of ch01.ex2, answered from a table: passes check, not the hidden cases
HARD_CODED = '''def idf(df, n_docs):
    table = {((1, 2, 3), 3): [1.6931471805599454, 1.2876820724517808, 1.0],
             ((10, 1, 5, 10), 10): [1.0, 2.7047480922384253, 1.6061358035703155, 1.0],
             ((7,), 100): [3.5356789751614235], ((0, 50), 50): [4.931825632724326, 1.0]}
    return np.array(table[tuple(int(v) for v in df), n_docs])
'''


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    """The tiny chapter handed out: ``(folder, assignment)``."""
    from nlpcourse.assign import main
    folder = tmp_path_factory.mktemp("assign")
    (folder / "01_tiny.md").write_text(TINY_CHAPTER)
    assert main([str(folder / "01_tiny.md"), "-o", str(folder / "handout"), "--assignment",
                 str(folder / "assignment.json"), "--seed", "1234", "--rehearsal", str(folder / "rehearsal")]) == 0
    return folder, json.loads((folder / "assignment.json").read_text())


def answered(folder: Path, edit=None, **answers: str):
    """The rehearsal's reference submission, with some answer cells replaced and ``edit`` applied."""
    nb = nbformat.read(folder / "rehearsal" / "reference-1.ipynb", as_version=4)
    for cell in nb.cells:
        exercise = cell.metadata.get("nlpcourse", {}).get("exercise", "")
        if cell.metadata.get("nlpcourse", {}).get("role") == "answer" and exercise.replace(".", "_") in answers:
            cell.source = answers[exercise.replace(".", "_")]
    if edit:
        edit(nb.cells)
    return nb


def index_of(cells, exercise: str, role: str = "answer") -> int:
    return next(i for i, c in enumerate(cells) if c.metadata.get("nlpcourse", {}).get("exercise") == exercise
                and c.metadata["nlpcourse"]["role"] == role)


def insert_before_exercises(code: str):
    return lambda cells: cells.insert(index_of(cells, "ch01.ex2"), nbformat.v4.new_code_cell(code))


@pytest.fixture(scope="module")
def graded(handout, tmp_path_factory):
    """The class, graded once with ``--jobs 2``: ``(rows by student, feedback folder, seconds, outside)``."""
    from nlpcourse.grade import main
    folder, _ = handout
    subs = tmp_path_factory.mktemp("submissions")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "keep.txt").write_text("unchanged")
    shared = tmp_path_factory.mktemp("course-cache")         # read through links, never written
    (shared / "imdb").mkdir()
    (shared / "imdb" / "train.npz").write_text("parsed once")
    mischief = "\n".join([   # each line its own cell: every one is refused, none stops the others
        "assert open('cache/imdb/train.npz').read() == 'parsed once'",
        "open('cache/imdb/train.npz', 'w').write('poisoned')",
        f"open({str(outside / 'keep.txt')!r}, 'w').write('changed')",
        f"open({str(subs / 'reference.ipynb')!r}, 'w').write('{{}}')",
        "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)",
        f"!touch {outside}/shell.txt",
        "hog = b'x' * (8 * 2**30)",
        "import sys; sys.exit()",
        "print(open('../job.json').read())",
    ])
    notebooks = {
        "reference": answered(folder),
        "hardcoded": answered(folder, ch01_ex2=HARD_CODED, ch01_ex3=OFF_BY_ONE),
        "looping": answered(folder, insert_before_exercises("while True:\n    pass")),
        "killed": answered(folder, insert_before_exercises("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")),
        "mischief": answered(folder, lambda cells: [insert_before_exercises(line)(cells)
                                                    for line in mischief.splitlines()]),
        "syntax": answered(folder, ch01_ex2="def idf(df, n_docs)\n    return df\n"),
        "deleted": answered(folder, lambda cells: cells.pop(index_of(cells, "ch01.ex2"))),
        "renamed": answered(folder, ch01_ex2=(
            "def my_idf(df, n_docs):\n    return np.log((1 + n_docs) / (1 + df)) + 1\n")),
        "reordered": answered(folder, lambda cells: cells.insert(len(cells), cells.pop(index_of(cells, "ch01.ex2")))),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, subs / f"{name}.ipynb")
    (subs / "corrupt.ipynb").write_text('{"cells": [')
    (subs / "empty.ipynb").write_text("")
    (subs / "essay.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    (subs / "twice").mkdir()                                   # one student's folder, the chapter handed in twice
    nbformat.write(answered(folder, ch01_ex3="my_ngrams = None\n"), subs / "twice" / "first.ipynb")
    nbformat.write(answered(folder), subs / "twice" / "second.ipynb")
    os.utime(subs / "twice" / "first.ipynb", (time.time() - 60, time.time() - 60))
    named = answered(folder)                                   # named by the notebook's metadata
    named.metadata["nlpcourse"]["student"] = "Dana Scully"
    nbformat.write(named, subs / "download (3).ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*") if p.is_file()}
    out = tmp_path_factory.mktemp("grades")
    started = time.monotonic()
    assert main([str(subs), "--assignment", str(folder / "assignment.json"), "--out", str(out / "grades.csv"),
                 "--jobs", "2", "--cell-timeout", "4", "--memory-gb", "3", "--cache", str(shared)]) == 0
    seconds = time.monotonic() - started
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*") if p.is_file()}
    assert after == before, "a submission changed a file of the submissions folder"
    assert (shared / "imdb" / "train.npz").read_text() == "parsed once"
    with open(out / "grades.csv", newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return rows, out / "feedback", seconds, outside


# assigning: no kernel ---------------------------------------------------------------------------------------
def test_assignment_lists_exercises_points_and_digests(handout):
    folder, assignment = handout
    by_id = {e["id"]: e for e in assignment["exercises"]}
    assert set(by_id) == {"ch01.ex1", "ch01.ex2", "ch01.ex3"}
    assert by_id["ch01.ex1"]["kind"] == "written" and by_id["ch01.ex1"]["points"] == 0
    assert by_id["ch01.ex2"]["answer"] == "idf" and by_id["ch01.ex2"]["points"] == 1 and by_id["ch01.ex2"]["hidden"]
    assert "# BEGIN SOLUTION" not in by_id["ch01.ex2"]["reference"] and "np.log" in by_id["ch01.ex2"]["reference"]
    student = nbformat.read(folder / "handout" / "01_tiny.ipynb", as_version=4)
    marked = {c.metadata["nlpcourse"]["exercise"]: c for c in student.cells
              if c.metadata.get("nlpcourse", {}).get("role") == "answer"}
    assert "np.log" not in marked["ch01.ex2"].source and "NotImplementedError" in marked["ch01.ex2"].source
    assert hashlib.sha256(marked["ch01.ex2"].source.encode()).hexdigest() == by_id["ch01.ex2"]["digest"]
    assert "1234" not in (folder / "handout" / "01_tiny.ipynb").read_text()     # the seed stays with the instructor


def test_selection_sets_points_and_rejects_unknown_ids(tmp_path):
    assert parse_selection(["ch01.ex2=2.5", "ch01.ex3"]) == {"ch01.ex2": 2.5, "ch01.ex3": 1.0}
    with pytest.raises(ValueError, match="exercise id"):
        parse_selection(["exercise 2"])
    chapter = tmp_path / "01_tiny.md"
    chapter.write_text(TINY_CHAPTER)
    assignment, _ = build_assignment([chapter], {"ch01.ex3": 3.0}, seed=1)
    assert {e["id"]: e["points"] for e in assignment["exercises"]} == {"ch01.ex1": 0, "ch01.ex2": 0, "ch01.ex3": 3.0}
    with pytest.raises(ValueError, match="ch01.ex9"):
        build_assignment([chapter], {"ch01.ex9": 1.0})


@pytest.mark.parametrize("chapter, coding", [
    ("01_text_tfidf", {"ch01.ex2": "idf", "ch01.ex3": "my_ngrams", "ch01.ex4": "log_count_ratio"}),
    ("05_rnn", {"ch05.ex2": "gru_step_numpy", "ch05.ex3": "lstm_parameters"}),
])
def test_real_chapters_exercises_are_found_and_all_have_hidden_cases(chapter, coding):
    import jupytext
    found = find_exercises(jupytext.read(ROOT / "notebooks" / f"{chapter}.md"), chapter)
    assert {e.id: e.answer for e in found if e.kind == "code"} == coding
    assert len({e.id for e in found}) == len(found)
    assert all(has_hidden_cases(exercise) for exercise in coding)


@pytest.mark.parametrize("chapter", ["01_text_tfidf", "05_rnn"])
def test_the_chapters_reference_solutions_pass_visible_and_hidden_cases(chapter, tmp_path):
    """What the grading cell does in a kernel, here in-process: the solutions as the assignment file keeps them."""
    from nlpcourse.exercises.grading import write_results
    assignment, _ = build_assignment([ROOT / "notebooks" / f"{chapter}.md"], seed=5)
    specs = [{"id": e["id"], "answer": e["answer"], "reference": e["reference"]}
             for e in assignment["exercises"] if e["kind"] == "code"]
    namespace = {"np": np}
    for spec in specs:
        exec(spec["reference"], namespace)
    write_results(str(tmp_path / "grades.json"), specs, namespace, seed=5)
    results = json.loads((tmp_path / "grades.json").read_text())
    assert [r["id"] for r in results] == [s["id"] for s in specs]
    for result in results:
        assert result["found"] and len(result["hidden"]) >= 3, result["id"]
        assert all(c["passed"] for c in result["visible"] + result["hidden"]), result


# hidden cases: no kernel ------------------------------------------------------------------------------------
def test_hidden_cases_fail_an_answer_that_hard_codes_the_visible_ones():
    namespace = {"np": np}
    exec(HARD_CODED, namespace)
    reference = lambda df, n: np.log((1 + n) / (1 + np.asarray(df, dtype=float))) + 1
    assert check("ch01.ex2", namespace["idf"], quiet=True)
    hidden = check_hidden("ch01.ex2", namespace["idf"], reference, seed=99)
    assert hidden.cases and not any(c.passed for c in hidden.cases)
    assert check_hidden("ch01.ex2", reference, reference, seed=99)


def test_hidden_cases_depend_on_the_seed_only():
    seen = []
    record = lambda df, n: seen.append((tuple(df), n)) or np.zeros(len(df))
    for seed in (1, 1, 2):
        check_hidden("ch01.ex2", record, record, seed=seed)
    third = len(seen) // 3
    assert seen[:third] == seen[third:2 * third] != seen[2 * third:]


# grading a class ----------------------------------------------------------------------------------------------
def problems(rows, student):
    return rows[student]["problems"]


def test_reference_answers_score_full_marks_with_no_problems(graded):
    rows, feedback, _, _ = graded
    assert rows["reference"]["total"] == "2.0" and rows["reference"]["problems"] == ""
    page = (feedback / "reference.md").read_text()
    assert "Total: 2 / 2 points" in page and "✓ hidden case 1" in page and "Well done!" in page


def test_partial_credit_is_the_share_of_cases_passed(graded):
    rows, feedback, _, _ = graded
    assert rows["hardcoded"]["ch01.ex2"] == "0.5"       # 4 visible cases passed, 4 hidden failed
    assert 0 < float(rows["hardcoded"]["ch01.ex3"]) < 1   # off by one: right only where there is no n-gram
    page = (feedback / "hardcoded.md").read_text()
    assert "✗ hidden case" in page and "none when the list is shorter than n" in page


@pytest.mark.parametrize("student, problem", [
    ("looping", "timed out after 4 s"),
    ("mischief", "raised SystemExit"),
    ("mischief", "reading the grader's file '../job.json'"),
    ("killed", "kernel died"),
    ("mischief", "writing '{outside}/keep.txt' [(]outside the submission's folder[)]"),
    ("mischief", "writing 'cache/imdb/train.npz' [(]outside the submission's folder[)]"),
    ("mischief", "reference.ipynb' [(]outside the submission's folder[)]"),
    ("mischief", "network connection to 192.0.2.1"),
    ("mischief", "!touch.*is not allowed"),
    ("mischief", "MemoryError"),
])
def test_a_misbehaving_cell_costs_nothing_else(graded, student, problem):
    rows, _, _, outside = graded
    assert re.search(problem.format(outside=outside), problems(rows, student))
    assert rows[student]["total"] == "2.0", "the answers around the bad cell still count"


def test_nothing_outside_the_submission_folder_changes(graded):
    rows, _, _, outside = graded
    assert "AssertionError" not in problems(rows, "mischief"), "reading the shared cache is allowed"
    assert (outside / "keep.txt").read_text() == "unchanged"
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("student, problem, total", [
    ("syntax", "SyntaxError", "1.0"),
    ("deleted", "ch01.ex2: exercise cell deleted", "1.0"),
    ("renamed", "`idf` is not defined", "1.0"),
    ("reordered", "exercise cells reordered", "2.0"),
    ("corrupt", "corrupt notebook", "0.0"),
    ("empty", "empty file", "0.0"),
    ("essay", "not a notebook: essay.pdf", "0.0"),
])
def test_broken_submissions_are_graded_rows(graded, student, problem, total):
    rows, feedback, _, _ = graded
    assert problem in problems(rows, student) and rows[student]["total"] == total
    assert (feedback / f"{student}.md").is_file()


def test_one_row_per_student_the_newest_file_graded(graded):
    rows, _, _, _ = graded
    assert "duplicate: 2 submissions; graded the newest, second.ipynb" in problems(rows, "twice")
    assert rows["twice"]["total"] == "2.0" and rows["twice"]["files"] == "second.ipynb"
    assert rows["Dana Scully"]["total"] == "2.0"            # named by the notebook, not the file


def test_written_answers_are_listed_not_scored(graded, handout):
    rows, feedback, _, _ = graded
    assert "ch01.ex1" not in rows["reference"]
    assert "### reference" in (feedback / "written-answers.md").read_text()


def test_a_hung_job_is_killed_with_its_kernel(handout, tmp_path):
    """The wall-clock guard: a job that outlives its limit is stopped, kernel included."""
    from nlpcourse.site.grader import Limits, run_job
    job = tmp_path / "job"
    (job / "work").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\nwhile True:\n    time.sleep(1)")])
    nbformat.write(nb, job / "work" / "notebook.ipynb")
    (job / "job.json").write_text(json.dumps({"grading_cell": "pass", "grades_file": "g.json", "cell_timeout": 600,
                                              "notebook_timeout": 600, "grading_timeout": 60, "memory_bytes": 0,
                                              "threads": 1}))
    started = time.monotonic()
    report, problem = run_job(job, Limits(notebook_s=4, grading_s=0, startup_s=2))
    assert report is None and problem.startswith("timeout") and time.monotonic() - started < 15
    pid = int((job / "kernel.pid").read_text())
    time.sleep(0.5)
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z", "the kernel still runs"


def test_grade_refuses_a_missing_folder_or_assignment(tmp_path, capsys):
    from nlpcourse.grade import main
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nowhere"), "--assignment", str(tmp_path / "a.json")])
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--assignment", str(tmp_path / "a.json")])
    assert "not an assignment file" in capsys.readouterr().err



def test_a_two_chapter_assignment_sorts_each_notebook_to_its_chapter(tmp_path):
    from nlpcourse.site.assignment import write_assignment
    from nlpcourse.site.grader import Submission, read_submission
    (tmp_path / "01_tiny.md").write_text(TINY_CHAPTER)
    fifth = TINY_CHAPTER.split("**Exercise 2**")[0] + (
        "**Exercise 3** (code). Count.\n\n```{code-cell} ipython3\n:tags: [solution]\n\n"
        "def lstm_parameters(input_size, hidden_size, bidirectional=False):\n    # BEGIN SOLUTION\n"
        "    return 4 * (hidden_size * (input_size + hidden_size) + 2 * hidden_size) * (1 + bidirectional)\n"
        "    # END SOLUTION\n```\n\n```{code-cell} ipython3\ncheck(\"ch05.ex3\", lstm_parameters)\n```\n")
    (tmp_path / "05_tiny.md").write_text(fifth)
    assignment = write_assignment([tmp_path / "01_tiny.md", tmp_path / "05_tiny.md"], tmp_path / "handout",
                                  tmp_path / "a.json")
    assert {e["id"]: e["chapter"] for e in assignment["exercises"] if e["kind"] == "code"} == {
        "ch01.ex2": "01_tiny", "ch01.ex3": "01_tiny", "ch05.ex3": "05_tiny"}
    write_rehearsal(tmp_path / "handout", assignment, tmp_path / "ada")
    for chapter in ("01_tiny", "05_tiny"):
        nb = nbformat.read(tmp_path / "ada" / f"{chapter}-reference-1.ipynb", as_version=4)
        del nb.metadata["nlpcourse"]                        # found by its cells' markers alone
        nbformat.write(nb, tmp_path / f"{chapter}.ipynb")
        sub = Submission("ada", tmp_path / f"{chapter}.ipynb")
        assert read_submission(sub, assignment) is not None and sub.chapter == chapter and not sub.problems


def test_a_terminal_shows_a_progress_bar(handout, tmp_path, capsys):
    from nlpcourse.grade import grade_all
    from nlpcourse.site.grader import Limits
    (tmp_path / "notes.txt").write_text("no notebook")
    students = grade_all(tmp_path, handout[1], Limits(), jobs=2, progress=True)
    assert students["notes"][0].problems == ["not a notebook: notes.txt"]
    assert "grading: 100%" in capsys.readouterr().err


def test_a_notebook_as_colab_saves_it_is_read(handout, tmp_path):
    """Colab writes nbformat 4.0 with sources as lists of lines, its own metadata and cell ids, and outputs."""
    from nlpcourse.site.grader import Submission, read_submission
    folder, assignment = handout
    nb = json.loads((folder / "rehearsal" / "reference-1.ipynb").read_text())
    nb["nbformat_minor"] = 0
    nb["metadata"] = {"colab": {"provenance": []}, "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "accelerator": "GPU"}                     # Colab keeps cell metadata, not always the notebook's
    for number, cell in enumerate(nb["cells"]):
        cell.pop("id", None)
        cell["metadata"]["id"] = f"colab{number}"
        assert isinstance(cell["source"], list)                 # as nbformat and Colab write them
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran on Colab\n"]}]
            cell["execution_count"] = number
    (tmp_path / "ada.ipynb").write_text(json.dumps(nb))
    sub = Submission("ada", tmp_path / "ada.ipynb")
    run = read_submission(sub, assignment)
    assert run is not None and sub.chapter == "01_tiny" and sub.problems == [] and "ch01.ex1" in sub.written
    assert all(not c.get("outputs") for c in run.cells if c.cell_type == "code")


def test_exercise_cells_are_found_by_name_when_an_editor_drops_their_markers(handout, tmp_path):
    from nlpcourse.site.grader import Submission, read_submission
    folder, assignment = handout
    nb = answered(folder)
    for cell in nb.cells:
        cell.metadata.pop("nlpcourse", None)
    nb.metadata.pop("nlpcourse", None)
    nbformat.write(nb, tmp_path / "ada.ipynb")
    sub = Submission("ada", tmp_path / "ada.ipynb")
    assert read_submission(sub, assignment) is not None and sub.problems == []
