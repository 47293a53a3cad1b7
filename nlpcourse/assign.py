"""``python -m nlpcourse.assign``: hand out chapter exercises (instructors guide).

    python -m nlpcourse.assign notebooks/01_text_tfidf.md -o handout/ --assignment ch01.json
    python -m nlpcourse.assign --exercise ch01.ex2=2 --exercise ch05.ex3 -o handout/ --assignment a.json
    python -m nlpcourse.assign notebooks/01_text_tfidf.md -o handout/ --assignment ch01.json --rehearsal rehearsal/

Writes one student notebook per chapter into the output folder (hand these out) and the
assignment file (keep it: it holds the reference solutions and the seed of the hidden cases).
See :mod:`nlpcourse.site.assignment`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlpcourse.site.assignment import chapters_of, parse_selection, write_assignment, write_rehearsal


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nlpcourse.assign", description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter sources (notebooks/NN_topic.md)")
    parser.add_argument("--exercise", action="append", default=[], metavar="ID[=POINTS]",
                        help="grade only these exercises (default: every coding exercise, 1 point each)")
    parser.add_argument("-o", "--out", type=Path, default=Path("handout"), help="folder for the student notebooks")
    parser.add_argument("--assignment", type=Path, default=Path("assignment.json"), help="assignment file to write")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                        help="where to find chapters named only by --exercise")
    parser.add_argument("--seed", type=int, default=None, help="seed of the hidden cases (default: a random one)")
    parser.add_argument("--rehearsal", type=Path, default=None, metavar="FOLDER",
                        help="also write submissions to rehearse grading: reference answers filled in, and unanswered")
    parser.add_argument("--copies", type=int, default=1, help="reference submissions per notebook in --rehearsal")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        selection = parse_selection(args.exercise) or None
        chapters = args.chapters or (chapters_of(selection, args.notebooks) if selection else [])
        if not chapters:
            parser.error("name chapters, or exercises with --exercise")
        for chapter in chapters:
            if not chapter.is_file():
                parser.error(f"{chapter} does not exist")
        assignment = write_assignment(chapters, args.out, args.assignment, selection, args.seed)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for ex in assignment["exercises"]:
        scored = f"{ex['points']:g} point{'' if ex['points'] == 1 else 's'}" if ex["points"] else "listed, not scored"
        hidden = ", hidden cases" if ex["hidden"] else ""
        print(f"{ex['id']:16} {ex['kind']:10} {scored}{hidden}")
    print(f"student notebooks in {args.out}/, assignment file {args.assignment} (keep it from students)")
    if args.rehearsal:
        write_rehearsal(args.out, assignment, args.rehearsal, args.copies)
        print(f"rehearsal submissions in {args.rehearsal}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
