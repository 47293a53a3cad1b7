"""Grade a folder of submitted notebooks against an assignment (instructors guide).

    python -m nlpcourse.grade submissions/ --assignment ch01.json --out grades.csv --jobs 2

A submission is a ``.ipynb`` file as Jupyter or Colab saves it: ``submissions/alice.ipynb`` is
Alice's (or the ``nlpcourse.student`` field of the notebook's metadata names the student), and
``submissions/alice/*.ipynb`` are Alice's notebooks of a multi-chapter assignment. Each one runs in
its own process and folder (:mod:`nlpcourse.site.sandbox`); then every coding exercise scores its
points times the share of its cases passed, the visible cases of ``check`` and the hidden ones
drawn with the assignment's seed. Whatever goes wrong with a submission (a corrupt file, a
deleted exercise cell, an endless loop, a dead kernel) becomes a problem in that student's row,
never a stopped run. Written answers and experiments are collected for the instructor, not scored.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nlpcourse.site.assignment import META, digest


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per submission: seconds per cell, for the whole notebook, for the grading cell, for starting kernels
    (the wall-clock limit is their sum); memory (GiB); threads of numpy and torch; a shared cache."""

    cell_s: int = 300
    notebook_s: int = 900
    grading_s: int = 120
    startup_s: int = 180
    memory_gb: float = 6.0
    threads: int = 1
    shared_cache: str | None = None   # a course cache whose files each submission reads, never writes


@dataclasses.dataclass
class Submission:
    student: str
    path: Path
    chapter: str | None = None
    problems: list[str] = dataclasses.field(default_factory=list)
    results: dict[str, dict] = dataclasses.field(default_factory=dict)   # exercise id -> cases and score
    written: dict[str, str] = dataclasses.field(default_factory=dict)    # exercise id -> the student's text
    seconds: float = 0.0


def find_submissions(folder: Path) -> list[Submission]:
    """Every file of the folder (one per student) and of its subfolders (one subfolder per student)."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            found += [Submission(path.name, p) for p in sorted(path.iterdir())
                      if p.is_file() and not p.name.startswith(".")]
        elif path.is_file():
            found.append(Submission(path.stem, path))
    return found


def _load(sub: Submission):
    """The notebook in ``sub.path``, or ``None`` with the reason in ``sub.problems``."""
    import nbformat
    if sub.path.suffix.lower() != ".ipynb":
        sub.problems.append(f"not a notebook: {sub.path.name}")
        return None
    text = sub.path.read_bytes()
    if not text.strip():
        sub.problems.append(f"empty file: {sub.path.name}")
        return None
    try:
        nb = nbformat.reads(text.decode("utf-8"), as_version=4)
        for cell in nb.cells:
            cell.metadata, cell.source, cell.cell_type   # noqa: B018  fails on a cell that is not one
    except Exception as err:   # noqa: BLE001  any unreadable file is one problem of one row
        first_line = (str(err).strip().splitlines() or [""])[0]
        sub.problems.append(f"corrupt notebook {sub.path.name}: {type(err).__name__}: {first_line[:60]}")
        return None
    return nb


def _chapter(nb, marks: list[dict], assignment: dict) -> str | None:
    """The chapter a notebook hands in: its metadata says so, else its exercise markers, else the only one."""
    chapters = {e["chapter"] for e in assignment["exercises"]}
    ours = nb.metadata.get(META) if isinstance(nb.metadata.get(META), dict) else {}
    if ours.get("chapter") in chapters:
        return ours["chapter"]
    by_marks = {e["chapter"] for e in assignment["exercises"] if e["id"] in {m.get("exercise") for m in marks}}
    if by_marks:
        return min(by_marks)
    return min(chapters) if len(chapters) == 1 else None


def read_submission(sub: Submission, assignment: dict):
    """The notebook to run, or ``None`` with the reason in ``sub.problems``; also names the student,
    the chapter, the missing, untouched or reordered exercise cells, and collects the written answers."""
    nb = _load(sub)
    if nb is None:
        return None
    ours = nb.metadata.get(META) if isinstance(nb.metadata.get(META), dict) else {}
    if isinstance(ours.get("student"), str) and ours["student"].strip():
        sub.student = ours["student"].strip()
    cells = list(nb.cells)
    marks = [(i, c.metadata[META]) for i, c in enumerate(cells) if isinstance(c.metadata.get(META), dict)]
    sub.chapter = _chapter(nb, [m for _, m in marks], assignment)
    if sub.chapter is None:
        sub.problems.append(f"{sub.path.name} holds no exercise of this assignment")
        return None
    expected = [e for e in assignment["exercises"] if e["chapter"] == sub.chapter]
    answers = {m.get("exercise"): i for i, m in marks if m.get("role") == "answer"}
    for ex in expected:
        index = answers.get(ex["id"])
        if index is None and ex["answer"]:    # a notebook editor that drops cell metadata: the cell by its name
            index = next((i for i, c in enumerate(cells) if c.cell_type == "code"
                          and re.search(rf"^(def\s+{ex['answer']}\s*\(|{ex['answer']}\s*=)", c.source, re.M)), None)
        if index is None:
            if ex["points"]:
                sub.problems.append(f"{ex['id']}: exercise cell deleted (or its marker removed)")
        elif digest(cells[index].source) == ex["digest"]:
            if ex["kind"] == "code" and ex["points"]:
                sub.problems.append(f"{ex['id']}: not attempted (cell as handed out)")
        elif ex["kind"] != "code":
            sub.written[ex["id"]] = cells[index].source
    order = [m.get("exercise") for _, m in marks if m.get("role") == "answer"]
    if order != [e["id"] for e in expected if e["id"] in order]:
        sub.problems.append("exercise cells reordered")
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def grading_cell(assignment: dict, chapter: str, limits: Limits, grades_file: str) -> str:
    """The cell the sandbox appends: grades every scored coding exercise of the chapter in the kernel.

    Its results go to ``grades_file``, a name drawn for this run, which the notebook's own cells cannot know
    (the guard keeps them from reading the job's files): a file they wrote in advance is never read."""
    specs = [{"id": e["id"], "answer": e["answer"], "reference": e["reference"] if e["hidden"] else None}
             for e in assignment["exercises"] if e["chapter"] == chapter and e["kind"] == "code" and e["points"]]
    return ("from nlpcourse.exercises.grading import write_results as _nlpcourse_write_results\n"
            f"_nlpcourse_write_results({grades_file!r}, {specs!r}, globals(), seed={assignment['seed']!r}, "
            f"time_limit_s={limits.grading_s / max(1, len(specs)):.0f})\n")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_job(job: Path, limits: Limits) -> tuple[dict | None, str | None]:
    """Run the sandbox on ``job`` in its own process group; ``(report, None)`` or ``(None, problem)``."""
    wall = limits.notebook_s + limits.grading_s + limits.startup_s
    with open(job / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "nlpcourse.site.sandbox", str(job)], stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True, cwd=job)
        try:
            worker.wait(timeout=wall)
            problem = None
        except subprocess.TimeoutExpired:
            problem = f"timeout: still running after {wall} s, stopped"
        finally:
            _kill_group(worker.pid)
            if (job / "kernel.pid").is_file():
                _kill_group(int((job / "kernel.pid").read_text()))   # the kernel leads its own session
            worker.wait()
    report_file = job / "execution.json"
    if problem is None and not report_file.is_file():
        problem = f"grading process died (exit status {worker.returncode})"
    return (json.loads(report_file.read_text()) if report_file.is_file() and problem is None else None), problem


def execute_submission(sub: Submission, nb, assignment: dict, limits: Limits, work: Path) -> None:
    """Run the notebook in a fresh job folder and put its cases and problems into ``sub``."""
    import nbformat
    job = Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "_", sub.student)[:40] + "-", dir=work))
    (job / "work").mkdir()
    nbformat.write(nb, job / "work" / "notebook.ipynb")
    grades_file = f"grades-{secrets.token_hex(8)}.json"
    (job / "job.json").write_text(json.dumps({
        "grading_cell": grading_cell(assignment, sub.chapter, limits, grades_file), "grades_file": grades_file,
        "cell_timeout": limits.cell_s,
        "notebook_timeout": limits.notebook_s, "grading_timeout": limits.grading_s,
        "memory_bytes": int(limits.memory_gb * 2**30), "threads": limits.threads,
        "shared_cache": limits.shared_cache}))
    report, problem = run_job(job, limits)
    if problem:
        sub.problems.append(problem)
    if report:
        sub.problems += report["cells"]
        sub.problems += [f"kernel died in {cell} (a crash or too much memory); graded without that cell"
                         for cell in report["kernel_died"]]
        for key in ("stopped", "failure", "grading_error"):
            if report.get(key):
                sub.problems.append(f"{key}: {report[key]}")
    grades = job / "work" / grades_file
    results = json.loads(grades.read_text()) if grades.is_file() and not grades.is_symlink() else []
    for result in results:
        sub.results[result["id"]] = result
    if not os.environ.get("NLPCOURSE_GRADE_KEEP"):
        shutil.rmtree(job, ignore_errors=True)


def score(sub: Submission, assignment: dict) -> None:
    """Points per exercise: points × share of (visible + hidden) cases passed; missing answers score 0."""
    for ex in assignment["exercises"]:
        if ex["chapter"] != sub.chapter or ex["kind"] != "code" or not ex["points"]:
            continue
        result = sub.results.setdefault(ex["id"], {"id": ex["id"], "found": False, "visible": [], "hidden": [],
                                                   "not_run": True})
        cases = result["visible"] + result["hidden"]
        result["score"] = ex["points"] * sum(c["passed"] for c in cases) / len(cases) if cases else 0.0
        deleted = any(p.startswith(f"{ex['id']}: exercise cell deleted") for p in sub.problems)
        if not result.get("not_run") and not result["found"] and not deleted:
            sub.problems.append(f"{ex['id']}: answer missing (`{ex['answer']}` is not defined: renamed or deleted?)")


def grade_one(sub: Submission, assignment: dict, limits: Limits, work: Path) -> Submission:
    """Everything for one submission; never raises."""
    started = time.monotonic()
    try:
        nb = read_submission(sub, assignment)
        if nb is not None:
            execute_submission(sub, nb, assignment, limits, work)
        score(sub, assignment)
    except Exception as err:   # noqa: BLE001  a grader bug still leaves a row
        sub.problems.append(f"grading failed: {type(err).__name__}: {err}")
    sub.seconds = time.monotonic() - started
    return sub
