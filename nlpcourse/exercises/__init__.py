"""Self-checked exercises: ``check("ch01.ex2", answer)`` runs hidden cases and explains failures.

Each chapter's checkers live in ``nlpcourse/exercises/chNN.py`` and register themselves
with :func:`exercise`. ``check`` prints one line per case and returns a
:class:`CheckResult`, which is true when every case passed. With
``NLPCOURSE_STRICT_CHECKS=1`` (set by the test suite) a failed check raises
:class:`ExerciseFailed`, so the reference solutions in the chapters stay correct.

The cases of ``check`` are visible: a student can read their inputs and expected answers in
the installed package. For grading, an exercise may also declare *hidden cases* with
:func:`hidden_cases`: a function that draws inputs from a random generator. The grader
(``python -m nlpcourse.grade``) draws them with a seed kept in the instructor's assignment
file and compares the student's output with the chapter's reference solution on the same
inputs (:func:`check_hidden`), so hard-coding the visible answers does not pass.
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
    result = CheckResult(exercise_id, _run_cases(ex.checker(answer)))
    if not quiet:
        print(result.report())
    if not result.passed and os.environ.get(STRICT_ENV) == "1":
        raise ExerciseFailed(result.report())
    return result


def _run_cases(cases: Iterator[Case]) -> tuple[Case, ...]:
    """Every case a checker yields; a student's exception ends the run as one failed case."""
    done: list[Case] = []
    try:
        for case in cases:
            done.append(case)
    except NotImplementedError:
        done.append(Case("your answer", False, "not implemented yet: replace the "
                         "`raise NotImplementedError` line with your code"))
    except Exception as err:  # the student's code raised: show where, not our internals
        tb = traceback.extract_tb(err.__traceback__)
        theirs = [f for f in tb if "nlpcourse/exercises" not in f.filename.replace("\\", "/")]
        where = f" (line {theirs[-1].lineno}: {theirs[-1].line})" if theirs else ""
        done.append(Case(f"case {len(done) + 1}", False,
                         f"your code raised {type(err).__name__}: {err}{where}"))
    return tuple(done)


# hidden cases for grading ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HiddenCases:
    """How to draw an exercise's hidden cases: ``draw(rng)`` yields ``(description, args)`` pairs."""

    exercise: str
    draw: Callable[[np.random.Generator], Iterator[tuple[str, tuple]]]
    hint: str = ""


_HIDDEN: dict[str, HiddenCases] = {}


def hidden_cases(exercise_id: str, hint: str = "") -> Callable:
    """Register how to draw hidden inputs for an exercise (grading, chapter 1).

    The decorated function takes a ``numpy.random.Generator`` and yields ``(description, args)``:
    the answer is called as ``answer(*args)`` and must equal the reference solution's output on
    the same arguments (arrays to 1e-8, anything else with ``==``). The inputs are drawn, not
    listed, because a listed case is readable in the installed package; the seed that draws
    them lives only in the instructor's assignment file.
    """
    def register(draw: Callable) -> Callable:
        if exercise_id in _HIDDEN:
            raise ValueError(f"hidden cases of {exercise_id!r} are registered twice")
        _HIDDEN[exercise_id] = HiddenCases(exercise_id, draw, hint)
        return draw
    return register


def has_hidden_cases(exercise_id: str) -> bool:
    """Whether the exercise declares hidden cases (see :func:`hidden_cases`)."""
    _load_chapter(exercise_id)
    return exercise_id in _HIDDEN


def compare_outputs(description: str, got: Any, expected: Any, hint: str = "") -> Case:
    """A :class:`Case` for any output: arrays (numpy, sparse, torch) compared with
    :func:`compare_arrays`, everything else with :func:`compare_values`."""
    if hasattr(expected, "toarray"):
        expected = expected.toarray()
        got = got.toarray() if hasattr(got, "toarray") else got
    if isinstance(expected, np.ndarray) or type(expected).__module__.startswith("torch"):
        return compare_arrays(description, got, np.asarray(expected, dtype=float), hint)
    if isinstance(got, tuple) and isinstance(expected, list):
        got = list(got)
    return compare_values(description, got, expected, hint)


def exercise_seed(seed: int, exercise_id: str) -> np.random.Generator:
    """The generator that draws one exercise's hidden cases: one seed per assignment, one stream per exercise."""
    import zlib
    return np.random.default_rng([seed, zlib.crc32(exercise_id.encode())])


def check_hidden(exercise_id: str, answer: Any, reference: Callable, seed: int) -> CheckResult:
    """Compare ``answer`` with ``reference`` on the exercise's hidden inputs drawn with ``seed`` (grading).

    Each input is deep-copied for each call, so neither function sees the other's changes.
    An exercise without hidden cases gives a result with no cases.
    """
    import copy
    _load_chapter(exercise_id)
    hidden = _HIDDEN.get(exercise_id)
    if hidden is None:
        return CheckResult(exercise_id, ())

    def one_case(number: int, description: str, args: tuple) -> Iterator[Case]:
        expected = reference(*copy.deepcopy(args))
        got = answer(*copy.deepcopy(args))
        yield compare_outputs(f"hidden case {number}: {description}", got, expected, hidden.hint)

    cases: list[Case] = []
    for number, (description, args) in enumerate(hidden.draw(exercise_seed(seed, exercise_id)), 1):
        # each case on its own: an answer that raises on one input still scores on the others
        case, = _run_cases(one_case(number, description, args))
        if not case.passed and (case.description.startswith("case ") or case.description == "your answer"):
            case = Case(f"hidden case {number}: {description}", False, case.feedback)
        cases.append(case)
    return CheckResult(exercise_id, tuple(cases))


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


__all__ = ["Case", "CheckResult", "ExerciseFailed", "HiddenCases", "available", "check", "check_hidden",
           "compare_arrays", "compare_outputs", "compare_values", "exercise", "exercise_seed",
           "has_hidden_cases", "hidden_cases"]
