"""What grading writes: ``grades.csv``, a feedback page per student, the written answers (instructors guide).

The feedback page shows each exercise's cases exactly as ``check`` shows them to a student (each
case passed or not, with its hint), then the hidden cases the same way; it is Markdown, so it
reads as plain text in an e-mail and renders in any learning platform.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from nlpcourse.exercises import Case, CheckResult


def safe_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def scored_exercises(assignment: dict) -> list[dict]:
    return [e for e in assignment["exercises"] if e["kind"] == "code" and e["points"]]


def rows(students: dict[str, list], assignment: dict) -> list[dict]:
    """One row per student: points per scored exercise, total, problems, files."""
    out = []
    for student, subs in sorted(students.items()):
        row = {"student": student}
        for ex in scored_exercises(assignment):
            got = [s.results[ex["id"]]["score"] for s in subs if ex["id"] in s.results]
            row[ex["id"]] = round(max(got), 2) if got else 0.0
        row["total"] = round(sum(row[e["id"]] for e in scored_exercises(assignment)), 2)
        row["problems"] = "; ".join(p for s in subs for p in s.problems)
        row["files"] = " ".join(s.path.name for s in subs)
        out.append(row)
    return out


def write_csv(table: list[dict], assignment: dict, path: Path) -> None:
    columns = ["student", *[e["id"] for e in scored_exercises(assignment)], "total", "problems", "files"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(table)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def _report(exercise_id: str, cases: list[dict]) -> str:
    return CheckResult(exercise_id, tuple(Case(c["description"], c["passed"], c["feedback"]) for c in cases)).report()


def feedback_page(row: dict, subs: list, assignment: dict) -> str:
    maximum = sum(e["points"] for e in scored_exercises(assignment))
    lines = [f"# Feedback for {row['student']}", "", f"**Total: {row['total']:g} / {_points(maximum)}**", ""]
    if row["problems"]:
        lines += ["Problems found while running your notebook:", ""]
        lines += [f"- {p}" for p in row["problems"].split("; ")] + [""]
    results = {k: v for s in subs for k, v in s.results.items()}
    written = {k: v for s in subs for k, v in s.written.items()}
    for ex in assignment["exercises"]:
        if ex["kind"] == "code" and ex["points"]:
            lines += [f"## {ex['id']}: {row[ex['id']]:g} / {_points(ex['points'])}", ""]
            result = results.get(ex["id"], {})
            if not result.get("found"):
                lines += [f"Your notebook defines no `{ex['answer']}` when it has run, so no case could run.", ""]
                continue
            lines += ["```text", _report(ex["id"], result["visible"])]
            if result["hidden"]:
                lines += ["", "Cases you had not seen (drawn for this assignment):",
                          _report(ex["id"], result["hidden"])]
            lines += ["```", ""]
        elif ex["id"] in written:
            lines += [f"## {ex['id']} ({ex['kind']})", "", "Received; your instructor reads it.", ""]
    return "\n".join(lines)


def written_page(students: dict[str, list], assignment: dict) -> str:
    """Every written answer and experiment, by exercise then student, for the instructor to read."""
    lines = ["# Written answers and experiments", ""]
    for ex in assignment["exercises"]:
        if ex["kind"] == "code":
            continue
        lines += [f"## {ex['id']} ({ex['kind']})", ""]
        for student, subs in sorted(students.items()):
            text = next((s.written[ex["id"]] for s in subs if ex["id"] in s.written), None)
            if not text or not text.strip():
                lines += [f"### {student}", "", "*(no answer)*", ""]
            elif ex["kind"] == "experiment":
                lines += [f"### {student}", "", "```python", text.strip(), "```", ""]
            else:
                lines += [f"### {student}", "", text.strip(), ""]
    return "\n".join(lines)


def write_reports(students: dict[str, list], assignment: dict, out_csv: Path, feedback_dir: Path) -> list[dict]:
    """Write ``out_csv``, ``feedback_dir/<student>.md`` and ``feedback_dir/written-answers.md``."""
    table = rows(students, assignment)
    write_csv(table, assignment, out_csv)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    for row in table:
        page = feedback_page(row, students[row["student"]], assignment)
        (feedback_dir / f"{safe_name(row['student'])}.md").write_text(page, encoding="utf-8")
    (feedback_dir / "written-answers.md").write_text(written_page(students, assignment), encoding="utf-8")
    return table
