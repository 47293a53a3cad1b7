"""The checks a grader runs inside a submission's kernel (grading; instructors guide).

``python -m nlpcourse.grade`` executes each submitted notebook, then runs one more cell that calls
:func:`write_results`: it finds each exercise's answer by the name the handed-out cell defines,
runs the visible cases of :func:`~nlpcourse.exercises.check` and the hidden ones of
:func:`~nlpcourse.exercises.check_hidden` against the reference solution, and writes every case
as JSON. It runs in the student's kernel because the answer is a live object there (a function
that may close over the chapter's variables), which no file or pickle could carry out intact.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
from collections.abc import Callable
from typing import Any

import numpy as np

from nlpcourse.exercises import STRICT_ENV, Case, CheckResult, check, check_hidden


class AnswerTimeout(Exception):
    """An answer ran longer than the grader allows one exercise."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`AnswerTimeout` in the main thread after ``seconds`` (where SIGALRM exists)."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise AnswerTimeout(f"took longer than {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def reference_function(source: str, name: str, namespace: dict[str, Any]) -> Callable:
    """The function ``name`` that the chapter's solution ``source`` defines, run over a copy of the
    notebook's names (the solution may use the chapter's imports), with numpy as ``np``."""
    scope = {**namespace, "np": np, "__name__": "reference_solution"}
    exec(compile(source, f"<reference {name}>", "exec"), scope)
    return scope[name]


def _cases(result: CheckResult) -> list[dict]:
    return [{"description": c.description, "passed": c.passed, "feedback": c.feedback} for c in result.cases]


def grade_exercise(spec: dict, namespace: dict[str, Any], seed: int, time_limit_s: float) -> dict:
    """Visible and hidden cases of one exercise (``spec``: ``id``, ``answer``, ``reference``)."""
    name = spec["answer"]
    out: dict[str, Any] = {"id": spec["id"], "found": name in namespace, "visible": [], "hidden": []}
    if not out["found"]:
        return out
    answer = namespace[name]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            with _time_limit(time_limit_s):
                out["visible"] = _cases(check(spec["id"], answer, quiet=True))
        except AnswerTimeout as err:
            out["visible"] = [{"description": "your answer", "passed": False, "feedback": str(err)}]
        if spec.get("reference"):
            try:
                reference = reference_function(spec["reference"], name, namespace)
                with _time_limit(time_limit_s):
                    out["hidden"] = _cases(check_hidden(spec["id"], answer, reference, seed))
            except AnswerTimeout as err:
                out["hidden"] = [{"description": "hidden cases", "passed": False, "feedback": str(err)}]
    return out


def write_results(path: str, exercises: list[dict], namespace: dict[str, Any], seed: int,
                  time_limit_s: float = 60.0) -> None:
    """Grade every exercise in ``exercises`` against the answers in ``namespace`` and write JSON to ``path``."""
    os.environ.pop(STRICT_ENV, None)        # a failed case is a score, not an exception
    results = []
    for spec in exercises:
        try:
            results.append(grade_exercise(spec, namespace, seed, time_limit_s))
        except Exception as err:   # noqa: BLE001  one broken exercise must not cost the others
            failed = Case("grading", False, f"{type(err).__name__}: {err}")
            results.append({"id": spec["id"], "found": True, "visible": _cases(CheckResult(spec["id"], (failed,))),
                            "hidden": []})
    with open(path, "w", encoding="utf-8") as file:
        json.dump(results, file)
