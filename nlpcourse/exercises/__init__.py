"""Self-checked exercises: ``check("ch01.ex2", answer)`` runs hidden cases and explains failures.

Each chapter's checkers live in ``nlpcourse/exercises/chNN.py`` and register themselves
with :func:`exercise`. ``check`` prints one line per case and returns a
:class:`CheckResult`, which is true when every case passed. With
``NLPCOURSE_STRICT_CHECKS=1`` (set by the test suite) a failed check raises
:class:`ExerciseFailed`, so the reference solutions in the chapters stay correct.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

STRICT_ENV = "NLPCOURSE_STRICT_CHECKS"
_REGISTRY: dict[str, "Exercise"] = {}


class ExerciseFailed(AssertionError):
    """Raised by :func:`check` in strict mode when an answer fails a case."""


@dataclasses.dataclass(frozen=True)
class Case:
    """The outcome of one hidden case."""

    description: str
    passed: bool
    feedback: str = ""


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    checker: Callable[[Any], Iterator[Case]]


@dataclasses.dataclass(frozen=True)
class CheckResult:
    exercise: str
    cases: tuple[Case, ...]

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    def __bool__(self) -> bool:
        return self.passed

    def report(self) -> str:
        n_ok = sum(c.passed for c in self.cases)
        lines = [f"{self.exercise}: {n_ok}/{len(self.cases)} cases passed"]
        for case in self.cases:
            mark = "✓" if case.passed else "✗"
            line = f"  {mark} {case.description}"
            if not case.passed and case.feedback:
                line += "\n      " + case.feedback.replace("\n", "\n      ")
            lines.append(line)
        lines.append("  Well done!" if self.passed else "  Not yet: read the feedback above and try again.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"CheckResult({self.exercise!r}, passed={self.passed})"


def exercise(exercise_id: str, title: str) -> Callable:
    """Register a checker: a generator taking the student's answer and yielding :class:`Case`."""
    def register(checker: Callable[[Any], Iterator[Case]]) -> Callable[[Any], Iterator[Case]]:
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, checker)
        return checker
    return register


def _load_chapter(exercise_id: str) -> None:
    chapter = exercise_id.split(".")[0]
    try:
        importlib.import_module(f"nlpcourse.exercises.{chapter}")
    except ModuleNotFoundError:
        pass


def available() -> list[str]:
    """Ids of every registered exercise."""
    for path in sorted(os.listdir(os.path.dirname(__file__))):
        if path.startswith("ch") and path.endswith(".py"):
            importlib.import_module(f"nlpcourse.exercises.{path[:-3]}")
    return sorted(_REGISTRY)


def check(exercise_id: str, answer: Any, *, quiet: bool = False) -> CheckResult:
    """Run the hidden cases of an exercise on ``answer`` and print feedback (every chapter)."""
    _load_chapter(exercise_id)
    if exercise_id not in _REGISTRY:
        known = ", ".join(available())
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {known}")
    ex = _REGISTRY[exercise_id]
    cases: list[Case] = []
    try:
        for case in ex.checker(answer):
            cases.append(case)
    except NotImplementedError:
        cases.append(Case("your answer", False, "not implemented yet: replace the "
                          "`raise NotImplementedError` line with your code"))
    except Exception as err:  # the student's code raised: show where, not our internals
        tb = traceback.extract_tb(err.__traceback__)
        theirs = [f for f in tb if "nlpcourse/exercises" not in f.filename.replace("\\", "/")]
        where = f" (line {theirs[-1].lineno}: {theirs[-1].line})" if theirs else ""
        cases.append(Case(f"case {len(cases) + 1}", False,
                          f"your code raised {type(err).__name__}: {err}{where}"))
    result = CheckResult(exercise_id, tuple(cases))
    if not quiet:
        print(result.report())
    if not result.passed and os.environ.get(STRICT_ENV) == "1":
        raise ExerciseFailed(result.report())
    return result


# helpers for checkers -------------------------------------------------------------------------
def compare_arrays(description: str, got: Any, expected: np.ndarray, hint: str = "",
                   atol: float = 1e-8) -> Case:
    """A :class:`Case` comparing an array answer with the expected array."""
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return Case(description, False, f"expected an array, got {type(got).__name__}")
    if got_arr.shape != np.shape(expected):
        return Case(description, False, f"expected shape {np.shape(expected)}, got {got_arr.shape}. {hint}")
    if not np.allclose(got_arr, expected, atol=atol, rtol=1e-6):
        worst = int(np.argmax(np.abs(got_arr - expected).ravel()))
        return Case(description, False,
                    f"values differ, e.g. at flat index {worst}: expected "
                    f"{np.ravel(expected)[worst]:.6g}, got {got_arr.ravel()[worst]:.6g}. {hint}".strip())
    return Case(description, True)


def compare_values(description: str, got: Any, expected: Any, hint: str = "") -> Case:
    """A :class:`Case` comparing with ``==``."""
    if got == expected:
        return Case(description, True)
    return Case(description, False, f"expected {expected!r}, got {got!r}. {hint}".strip())


__all__ = ["Case", "CheckResult", "ExerciseFailed", "available", "check", "compare_arrays",
           "compare_values", "exercise"]
