"""The instructors guide stays honest: its grading commands parse, and it names every exercise with hidden cases."""
from __future__ import annotations

import re
from pathlib import Path

from nlpcourse.exercises import has_hidden_cases

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "book" / "instructors.md").read_text()


def test_the_guides_commands_are_valid_command_lines():
    import shlex

    from nlpcourse import assign, grade
    commands = re.findall(r"^python -m nlpcourse\.(assign|grade) (.*)$", GUIDE, re.M)
    assert {name for name, _ in commands} == {"assign", "grade"}
    for name, args in commands:
        parser = {"assign": assign, "grade": grade}[name].build_parser()
        parser.parse_args(shlex.split(args.split("#")[0]))


def test_the_guide_lists_every_exercise_with_hidden_cases():
    from nlpcourse.exercises import available
    paragraph = GUIDE.split("These exercises have hidden cases:", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"ch\d\d\.ex\d+", paragraph)) == {e for e in available() if has_hidden_cases(e)}
